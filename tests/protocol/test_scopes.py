"""Resource selection: v2 ``<resource>/.default``, v1 ``resource`` (RFC 6749 §3.3; RFC 8707 §2)."""

from __future__ import annotations

from typing import Literal

import pytest

from credo.errors import InvalidRequest, InvalidScope, OAuthError
from credo.model import canonical_identifier_uri
from credo.protocol.forms import parse_token_request
from credo.protocol.scopes import ResourceRef, guid_identifier, resource_from_request

from .factory import body


def ref(version: Literal[1, 2], **params: str) -> ResourceRef:
    req = parse_token_request(body(grant_type="client_credentials", **params),
                              authorization=None, query="")
    return resource_from_request(req, version)


ACCEPTED = [
    ("v2-app-id-uri", 2, {"scope": "api://mail/.default"}, "api://mail"),
    ("v2-trailing-slash-resource", 2, {"scope": "https://x.example//.default"},
     "https://x.example/"),
    ("v2-guid", 2, {"scope": "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b/.default"},
     "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
    ("v2-path-resource", 2, {"scope": "https://x.example/api/v1/.default"},
     "https://x.example/api/v1"),
    ("v2-same-resource-twice", 2, {"scope": "api://mail/.default  api://mail/.default"},
     "api://mail"),
    ("v1-resource", 1, {"resource": "https://service.contoso.com/"},
     "https://service.contoso.com/"),
    ("v1-scope-ignored", 1, {"resource": "api://mail", "scope": "openid"}, "api://mail"),
]


@pytest.mark.parametrize(("version", "params", "identifier"), [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepted(version: Literal[1, 2], params: dict[str, str], identifier: str) -> None:
    assert ref(version, **params) == ResourceRef(identifier=identifier, requested=identifier)


def invalid(scope: str) -> str:
    return (f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier (application "
            "ID URI).")


REFUSED = [
    ("v2-no-default", 2, {"scope": "api://mail/Mail.Read"}, InvalidScope, 1002012,
     invalid("api://mail/Mail.Read")),
    ("v2-openid", 2, {"scope": "openid api://mail/.default"}, InvalidScope, 1002012,
     invalid("openid api://mail/.default")),
    ("v2-bare-default", 2, {"scope": ".default"}, InvalidScope, 1002012, invalid(".default")),
    ("v2-empty-resource", 2, {"scope": "/.default"}, InvalidScope, 1002012, invalid("/.default")),
    ("v2-two-resources", 2, {"scope": "api://a/.default api://b/.default"}, InvalidScope, 700022,
     "The provided value for the input parameter scope is not valid because it contains more "
     "than one resource. Scope api://a/.default api://b/.default is not valid."),
    ("v2-resource-param", 2, {"scope": "api://a/.default", "resource": "api://a"},
     InvalidRequest, 901002, "The 'resource' request parameter is not supported."),
    ("v2-no-scope", 2, {}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'scope'."),
    ("v2-blank-scope", 2, {"scope": "   "}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'scope'."),
    ("v1-no-resource", 1, {"scope": "api://a/.default"}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'resource'."),
]


@pytest.mark.parametrize(("version", "params", "cls", "code", "description"),
                         [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(version: Literal[1, 2], params: dict[str, str], cls: type[OAuthError],
                 code: int, description: str) -> None:
    with pytest.raises(OAuthError) as info:
        ref(version, **params)
    assert (type(info.value), info.value.http_status, info.value.code,
            info.value.description) == (cls, 400, code, description)


@pytest.mark.parametrize(("identifier", "expected"), [
    ("https://x.example/", None),
    ("api://mail", None),
    ("6E1A2B3C-4D5E-4F60-8A7B-9C0D1E2F3A4B", "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
    ("6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b/", "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
    ("/", None),
], ids=["uri-with-slash", "app-id-uri", "guid-upper", "guid-slash", "only-slash"])
def test_guid_identifier(identifier: str, expected: str | None) -> None:
    assert guid_identifier(identifier) == expected


@pytest.mark.parametrize(("a", "b"), [
    ("https://hr.contoso.example/", "https://hr.contoso.example"),
    ("HTTPS://HR.Contoso.Example", "https://hr.contoso.example//"),
    ("api://Mail", "api://mail/"),
])
def test_canonical_identifier_uris_compare_equal(a: str, b: str) -> None:
    assert canonical_identifier_uri(a) == canonical_identifier_uri(b)
