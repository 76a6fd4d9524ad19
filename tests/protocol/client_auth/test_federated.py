"""The federated credential's pure rules: which assertions it takes from ``private_key_jwt``,
the issuer → subject → audience match, then the issuer's key, the signature and the times."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InvalidClient, InvalidRequest, OAuthError
from credo.model import FederatedIdentityCredential
from credo.protocol.client_auth import METHODS, ExternalKey, detect
from credo.protocol.client_auth.federated import external_issuer, match_credential
from federation import EXCHANGE, Issuer, SigningKey

from ..factory import NOW, Pki, assertion_request, authenticate, context

GITHUB = "https://token.actions.githubusercontent.com"
K8S = "https://oidc.cluster.example/9f1c"
MAIN = "repo:contoso/mail:ref:refs/heads/main"
RSA_KEY, EC_KEY = SigningKey("RS256"), SigningKey("ES256")
GH = Issuer(GITHUB, [RSA_KEY])
KUBE = Issuer(K8S, [EC_KEY])
CREDENTIALS = (
    FederatedIdentityCredential("f-1", "main", GITHUB, MAIN),
    FederatedIdentityCredential("f-2", "sender", K8S, "system:serviceaccount:mail:sender",
                                ("api://mail-cluster",)),
)


@pytest.fixture
def app(pki: Pki) -> Any:
    return replace(pki.app, federated_credentials=CREDENTIALS)


def verify(app: Any, token: str, key: SigningKey | None, issuer: str = GITHUB, *,
           now: float = NOW, profile: Any = "entra") -> Any:
    presented = detect(assertion_request(token))
    external = ExternalKey(issuer, key.kid if key else "none",
                           key.private.public_key() if key else None)
    ctx = replace(context(app, profile, now=now), external_key=external)
    return METHODS[presented.method].verify(presented, ctx)


def refused(app: Any, token: str, key: SigningKey | None = RSA_KEY, issuer: str = GITHUB,
            **kw: Any) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        verify(app, token, key, issuer, **kw)
    return info.value


def test_github_and_kubernetes_tokens_verify(app: Any) -> None:
    github = verify(app, GH.github(now=NOW), RSA_KEY)
    assert (github.method, github.acr, github.jti, github.replay_key, github.credential) == (
        "federated_identity_credential", "2", None, None, None)
    kube = verify(app, KUBE.kubernetes(aud=["api://mail-cluster"], now=NOW), EC_KEY, K8S)
    assert kube.application == app


def test_which_method_an_assertion_goes_to(pki: Pki) -> None:
    """An https ``iss`` is an external issuer's token, whatever its header (GitHub sends
    ``x5t`` too); the client's own (``iss`` = client id) stays ``private_key_jwt``, with or
    without a thumbprint."""
    assert detect(assertion_request(GH.github(now=NOW))).method == "federated_identity_credential"
    assert detect(assertion_request(pki.assertion())).method == "private_key_jwt"
    no_thumbprint = pki.assertion(header=pki.header(x5t=None, kid="k"))
    assert detect(assertion_request(no_thumbprint)).method == "private_key_jwt"
    with pytest.raises(InvalidClient) as info:
        authenticate(assertion_request(no_thumbprint), pki.app)
    assert info.value.code == 50027
    assert external_issuer("not.a.jwt") is None
    assert external_issuer(GH.token("x", iss="http://plain.example")) is None


@pytest.mark.parametrize(("form", "code", "message"), [
    ({"client_id": None}, 900144,
     "The request body must contain the following parameter: 'client_id'."),
    ({"client_assertion_type": "urn:other"}, 90011, "Unexpected client assertion type."),
])
def test_presentation_needs_client_id_and_the_type(form: dict[str, Any], code: int,
                                                   message: str) -> None:
    extra = {k: v for k, v in form.items() if v is not None}
    with pytest.raises(OAuthError) as info:
        detect(assertion_request(GH.github(now=NOW), client_id=form.get("client_id", "x"),
                                 **extra))
    assert (info.value.code, info.value.description) == (code, message)


@pytest.mark.parametrize(("token", "reason"), [
    (lambda: RSA_KEY.sign({"iss": GITHUB, "sub": MAIN, "aud": EXCHANGE}, alg="PS256"),
     "The 'alg' header parameter of an external issuer's token must be RS256 or ES256."),
    (lambda: GH.token(MAIN, key=SigningKey("RS256", kid="")),
     "The 'kid' header parameter must name the issuer's signing key."),
    (lambda: GH.token(""), "The 'sub' claim must be a non-empty string."),
    (lambda: GH.token(MAIN, aud=[1]), "The 'aud' claim must be a string or an array of "
                                      "strings."),
])
def test_malformed_external_tokens(token: Any, reason: str) -> None:
    with pytest.raises(InvalidClient) as info:
        detect(assertion_request(token()))
    assert (info.value.code, info.value.description) == (50027, f"Invalid JWT token. {reason}")


def test_issuer_then_subject_then_audience(app: Any) -> None:
    other = Issuer(GITHUB + "/", [RSA_KEY])  # a trailing slash is another issuer
    error = refused(app, other.github(now=NOW))
    assert (error.code, error.status, error.description) == (
        700211, 401, "No matching federated identity record found for presented assertion "
        "issuer 'https://token.actions.githubusercontent.com/'. Check your federated identity "
        "credential Subject, Audience and Issuer against the presented assertion.")
    error = refused(app, GH.github(ref="refs/heads/dev", now=NOW))
    assert (error.code, error.description) == (
        700213, "No matching federated identity record found for presented assertion subject "
        "'repo:contoso/mail:ref:refs/heads/dev'. Check your federated identity credential "
        "Subject, Audience and Issuer against the presented assertion.")
    error = refused(app, GH.github(repo="Contoso/Mail", now=NOW))
    assert error.code == 7002138 and "case-insensitive comparison" in error.description
    error = refused(app, GH.github(aud="api://elsewhere", now=NOW))
    assert (error.code, error.description) == (
        700212, "No matching federated identity record found for presented assertion audience "
        "'api://elsewhere'. Check your federated identity credential Subject, Audience and "
        "Issuer against the presented assertion.")
    assert verify(app, GH.github(aud=["api://x", EXCHANGE], now=NOW), RSA_KEY)


def test_an_app_without_federated_credentials(pki: Pki) -> None:
    error = refused(pki.app, GH.github(now=NOW))
    assert (type(error), error.code, error.status, error.description) == (
        InvalidRequest, 70021, 400, "No matching federated identity record found for presented "
        f"assertion. Assertion Issuer: '{GITHUB}'. Assertion Subject: '{MAIN}'. Assertion "
        f"Audience: '{EXCHANGE}'.")


def test_the_key_the_issuer_publishes(app: Any) -> None:
    token = GH.github(now=NOW)
    unknown = refused(app, token, None)
    assert (unknown.code, unknown.description) == (
        7000272, f"The certificate with identifier {RSA_KEY.kid} used to sign the federated "
        f"credential could not be found in the metadata of identity provider {GITHUB}. Please "
        "validate that your Identity Provider's metadata exposes the key used to sign the "
        "incoming token.")
    # A key of another issuer, or under another kid, is never used.
    assert refused(app, token, RSA_KEY, K8S).code == 7000272
    impostor = SigningKey("RS256", kid=RSA_KEY.kid)
    forged = refused(app, GH.github(now=NOW, key=impostor), RSA_KEY)
    assert (forged.code, forged.description) == (
        700027, "Client assertion contains an invalid signature. [Reason - The key was found, "
        f"but use of the key to verify the signature failed., Key id of the external issuer: "
        f"'{RSA_KEY.kid}']")
    # ES256 with an RSA key (or the reverse) is refused, not confused.
    ec_as_rsa = SigningKey("ES256", kid=RSA_KEY.kid)
    assert refused(app, GH.github(now=NOW, key=ec_as_rsa), RSA_KEY).code == 700027


def test_times(app: Any) -> None:
    expired = refused(app, GH.github(now=NOW - 1000, lifetime=300))
    assert (expired.code, expired.description.split(".")[0]) == (
        700024, "Client assertion is not within its valid time range")
    # Within the profile's leeway, and with a lifetime longer than a client assertion's cap
    # (an external issuer decides how long its tokens live).
    assert verify(app, GH.github(now=NOW - 500, lifetime=300), RSA_KEY)
    assert verify(app, KUBE.kubernetes(aud="api://mail-cluster", now=NOW, lifetime=86400),
                  EC_KEY, K8S)
    assert refused(app, GH.github(now=NOW - 500, lifetime=300), profile="strict").code == 700024


def test_matching_is_pure_and_reports_the_first_difference(app: Any) -> None:
    claims = {"iss": K8S, "sub": "system:serviceaccount:mail:sender",
              "aud": "api://mail-cluster"}
    assert match_credential(app, claims) is CREDENTIALS[1]
    with pytest.raises(InvalidClient) as info:
        match_credential(app, {**claims, "iss": K8S.upper()})
    assert info.value.code == 700211


_ISSUERS = st.sampled_from(["https://idp.example", "http://idp.example", "app-id", "", 7,
                            None, "HTTPS://idp.example", "https:", "\u00e9https://x"])


@settings(max_examples=300, deadline=None, database=None)
@given(first=_ISSUERS, second=st.none() | _ISSUERS, aud=st.sampled_from(
    ["https://login.example/t/oauth2/v2.0/token", "api://x"]), escape=st.booleans(),
       spaces=st.sampled_from(["", " ", "\n\t "]))
def test_the_quick_issuer_check_agrees_with_a_full_parse(first: Any, second: Any, aud: str,
                                                        escape: bool, spaces: str) -> None:
    """``external_issuer`` skips parsing payloads that cannot name an https issuer; it must
    answer as reading the payload would, whatever the spacing, escapes and duplicate keys."""
    members = [f'"aud"{spaces}:{spaces}{json.dumps(aud)}', f'"iss"{spaces}:{spaces}'
               f'{json.dumps(first, ensure_ascii=escape)}']
    if second is not None:  # a duplicate member: the last one counts (docs/protocol.md)
        members.append(f'"iss":{json.dumps(second, ensure_ascii=escape)}')
    payload = "{" + ",".join(members) + "}"
    segment = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    iss = json.loads(payload)["iss"]
    expected = iss if isinstance(iss, str) and iss.startswith("https://") else None
    assert external_issuer(f"e30.{segment}.c2ln") == expected


@pytest.mark.parametrize(("payload", "expected"), [
    (r'{"iss":"\u0068ttps://idp.example"}', "https://idp.example"),  # escaped: parsed
    (r'{"\u0069ss":"https://idp.example"}', "https://idp.example"),
    ('{"iss" :\r\n "https:\\/\\/idp.example"}', "https://idp.example"),
    ('{"iss":"https://a.example","iss":"app"}', None),
    ('{"aud":"https://login.example","iss":"app"}', None),
])
def test_the_quick_issuer_check_reads_escapes_and_spacing(payload: str,
                                                          expected: str | None) -> None:
    segment = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    assert external_issuer(f"e30.{segment}.c2ln") == expected
