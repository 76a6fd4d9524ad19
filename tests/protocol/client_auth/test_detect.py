"""Detect exactly one client authentication method (RFC 6749 §2.3)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from credo.errors import InvalidClient, InvalidRequest, OAuthError
from credo.jose import parse_compact
from credo.protocol import client_auth
from credo.protocol.client_auth import (
    METHODS,
    AuthContext,
    AuthenticatedClient,
    Presented,
    detect,
    presented_by,
)
from credo.protocol.forms import TokenRequest, parse_token_request

from ..factory import APP_ID, JWT_BEARER, SECRET, Pki, body


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def detect_from(auth: str | None = None, **params: str) -> Presented:
    form = {"grant_type": "client_credentials", **params}
    return detect(parse_token_request(body(**form), authorization=auth, query=""))


TWO = "Only one client authentication method may be used per request."

REFUSED = [
    ("assertion-and-secret", None, {"client_assertion": "a.b.c",
                                    "client_assertion_type": JWT_BEARER,
                                    "client_secret": SECRET, "client_id": APP_ID},
     InvalidClient, 90023, TWO),
    ("secret-post-and-basic", basic(APP_ID, SECRET), {"client_secret": SECRET,
                                                      "client_id": APP_ID},
     InvalidClient, 90023, TWO),
    ("assertion-and-basic", basic(APP_ID, SECRET), {"client_assertion": "a.b.c",
                                                    "client_assertion_type": JWT_BEARER},
     InvalidClient, 90023, TWO),
    ("assertion-type-and-secret", None, {"client_assertion_type": JWT_BEARER,
                                         "client_secret": SECRET, "client_id": APP_ID},
     InvalidClient, 90023, TWO),
    ("none", None, {"client_id": APP_ID}, InvalidClient, 7000218,
     "The request body must contain the following parameter: 'client_assertion' or "
     "'client_secret'."),
    ("empty-secret-is-none", None, {"client_id": APP_ID, "client_secret": ""}, InvalidClient,
     7000218, "The request body must contain the following parameter: 'client_assertion' or "
     "'client_secret'."),
    ("assertion-without-type", None, {"client_assertion": "a.b.c", "client_id": APP_ID},
     InvalidRequest, 900144,
     "The request body must contain the following parameter: 'client_assertion_type'."),
    ("type-without-assertion", None, {"client_assertion_type": JWT_BEARER, "client_id": APP_ID},
     InvalidRequest, 900144,
     "The request body must contain the following parameter: 'client_assertion'."),
    ("saml-assertion-type", None, {"client_assertion": "a.b.c", "client_id": APP_ID,
                                   "client_assertion_type":
                                   "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
     InvalidClient, 90011, "Unexpected client assertion type."),
    ("secret-post-without-client-id", None, {"client_secret": SECRET}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'client_id'."),
    ("basic-client-id-mismatch", basic(APP_ID, SECRET), {"client_id": "someone-else"},
     InvalidClient, 700021,
     "The client identified by HTTP Basic does not match the 'client_id' parameter."),
]


@pytest.mark.parametrize(("auth", "params", "cls", "code", "description"),
                         [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(auth: str | None, params: dict[str, str], cls: type[OAuthError], code: int,
                 description: str) -> None:
    with pytest.raises(OAuthError) as info:
        detect_from(auth, **params)
    assert (type(info.value), info.value.code, info.value.description) == (cls, code, description)
    assert info.value.http_status == (401 if cls is InvalidClient else 400)


def test_secret_post() -> None:
    assert detect_from(client_id=APP_ID, client_secret=SECRET) == Presented(
        "client_secret_post", APP_ID, None, SECRET)


def test_basic_without_client_id_in_form() -> None:
    """requests-oauthlib: raw Basic credentials and no client_id in the body."""
    assert detect_from(basic(APP_ID, SECRET), scope="api://x/.default") == Presented(
        "client_secret_basic", APP_ID, None, SECRET)


def test_basic_with_matching_client_id() -> None:
    assert detect_from(basic(APP_ID, SECRET), client_id=APP_ID).method == "client_secret_basic"


def test_assertion_identifies_the_client_without_client_id(pki: Pki) -> None:
    """Authlib sends no client_id: iss/sub identify the client (RFC 7521 §4.2)."""
    presented = detect_from(client_assertion=pki.assertion(), client_assertion_type=JWT_BEARER)
    assert (presented.method, presented.client_id, presented.secret) == (
        "private_key_jwt", APP_ID, None)
    assert presented.assertion is not None and presented.assertion.alg == "RS256"


def test_registry_is_keyed_by_wire_names() -> None:
    assert list(METHODS) == ["client_secret_post", "federated_identity_credential",
                             "private_key_jwt", "client_secret_basic"]
    assert all(method.name == name for name, method in METHODS.items())
    # A certificate's assertion and an external issuer's token share the carrier.
    assert {m.carrier for m in METHODS.values()} == {
        "client_secret", "client_assertion", "Authorization"}


@dataclass
class Extra:
    """A method a later module might add: it presents on ``carrier`` when ``when`` says so."""

    name: str
    carrier: str
    when: Callable[[TokenRequest], bool]

    def presents(self, req: TokenRequest) -> bool:
        return self.when(req)

    def present(self, req: TokenRequest) -> Presented:
        return Presented(self.name, req.client_id or "", None, None)

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        raise NotImplementedError


def test_a_new_method_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    """Detection iterates the registry: a method sharing the assertion's carrier and listed
    first takes the requests it recognises; one on another carrier is a second method."""
    unsigned = Extra("federated", "client_assertion",
                     lambda req: req.client_assertion is not None
                     and "x5t" not in parse_compact(req.client_assertion).header)
    monkeypatch.setattr(client_auth, "METHODS", {"federated": unsigned, **METHODS})
    foreign = pki.assertion(header={"alg": "RS256", "typ": "JWT"})
    assert detect_from(client_id=APP_ID, client_assertion=foreign,
                       client_assertion_type=JWT_BEARER).method == "federated"
    assert detect_from(client_assertion=pki.assertion(),
                       client_assertion_type=JWT_BEARER).method == "private_key_jwt"
    header = Extra("header", "x-client-token", lambda req: True)
    monkeypatch.setattr(client_auth, "METHODS", {**METHODS, "header": header})
    with pytest.raises(InvalidClient) as info:
        detect_from(client_id=APP_ID, client_secret=SECRET)
    assert (info.value.code, info.value.detail) == (
        90023, "presented: client_secret_post, header")


def test_public_clients_may_present_nothing() -> None:
    req = parse_token_request(body(grant_type="authorization_code", client_id=APP_ID),
                              authorization=None, query="")
    assert presented_by(req) is None
    with pytest.raises(InvalidClient) as info:
        detect(req)
    assert info.value.code == 7000218


def test_parsed_assertion_is_read_only(pki: Pki) -> None:
    presented = detect_from(client_assertion=pki.assertion(), client_assertion_type=JWT_BEARER)
    assert presented.assertion is not None
    with pytest.raises(TypeError):
        presented.assertion.header["alg"] = "none"  # type: ignore[index]
    with pytest.raises(TypeError):
        presented.assertion.claims["iss"] = "x"  # type: ignore[index]
