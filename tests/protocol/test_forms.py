"""Token request parsing and bounds (RFC 6749 §2.3.1, §3.2)."""

from __future__ import annotations

import base64

import pytest

from credo.errors import InvalidClient, InvalidRequest
from credo.protocol.forms import MAX_BODY, parse_basic, parse_form, parse_token_request

from .factory import APP_ID, SECRET

BAD_FORM = "The request body is not valid application/x-www-form-urlencoded content."


def test_parse_form_decodes_plus_and_percent() -> None:
    assert parse_form(b"a=x+y&b=%2F%7E%C3%A9&c=&&d") == {"a": "x y", "b": "/~\u00e9", "c": "",
                                                         "d": ""}


FORM_ERRORS = [
    ("repeated", b"scope=a&scope=b", 400,
     "The request body must contain a single value for parameter 'scope'."),
    ("repeated-empty", b"client_id=&client_id=x", 400,
     "The request body must contain a single value for parameter 'client_id'."),
    ("repeated-encoded-name", b"scope=a&sc%6Fpe=b", 400,
     "The request body must contain a single value for parameter 'scope'."),
    ("bad-percent", b"a=%zz", 400, BAD_FORM),
    ("truncated-percent", b"a=%4", 400, BAD_FORM),
    ("raw-non-ascii", "a=\u00e9".encode(), 400, BAD_FORM),
    ("invalid-utf8", b"a=%ff%fe", 400, "The request body is not valid UTF-8."),
    ("too-large", b"a=" + b"x" * MAX_BODY, 413,
     f"The request body is larger than {MAX_BODY} bytes."),
]


@pytest.mark.parametrize(("raw", "status", "description"), [c[1:] for c in FORM_ERRORS],
                         ids=[c[0] for c in FORM_ERRORS])
def test_parse_form_errors(raw: bytes, status: int, description: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_form(raw)
    assert (info.value.code, info.value.http_status, info.value.description) == (
        90100, status, description)


def test_body_at_the_limit_is_accepted() -> None:
    assert len(parse_form(b"a=" + b"x" * (MAX_BODY - 2))["a"]) == MAX_BODY - 2


def test_token_request_fields() -> None:
    req = parse_token_request(
        b"grant_type=client_credentials&client_id=" + APP_ID.encode()
        + b"&scope=api%3A%2F%2Fx%2F.default&client_info=1&claims=%7B%7D&resource=",
        authorization=None, query="api-version=1.0")
    assert (req.grant_type, req.client_id, req.scope, req.resource, req.client_secret,
            req.client_assertion, req.client_assertion_type, req.basic) == (
        "client_credentials", APP_ID, "api://x/.default", None, None, None, None, None)
    assert req.params["client_info"] == "1" and req.params["claims"] == "{}"


@pytest.mark.parametrize("name", ["client_secret", "client_assertion", "grant_type", "scope",
                                  "client_id", "resource"])
def test_parameters_in_the_query_string_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_token_request(b"grant_type=client_credentials", authorization=None,
                            query=f"{name}=x")
    assert (info.value.code, info.value.description) == (
        90100, f"The parameter '{name}' must be sent in the request body, not in the query "
        "string.")


@pytest.mark.parametrize("raw", [b"", b"client_id=x", b"grant_type="])
def test_missing_grant_type(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_token_request(raw, authorization=None, query="")
    assert (info.value.code, info.value.description) == (
        900144, "The request body must contain the following parameter: 'grant_type'.")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BASIC_OK = [
    ("raw-requests-oauthlib", f"Basic {b64(APP_ID + ':' + SECRET)}", (APP_ID, SECRET)),
    ("form-encoded-rfc6749", f"Basic {b64('my%20app:p%2Bss%3Aword')}", ("my app", "p+ss:word")),
    ("colon-in-secret", f"Basic {b64('id:a:b')}", ("id", "a:b")),
    ("scheme-case", f"basic {b64('id:s')}", ("id", "s")),
    ("bearer-ignored", "Bearer abc", None),
    ("absent", None, None),
]


@pytest.mark.parametrize(("header", "expected"), [c[1:] for c in BASIC_OK],
                         ids=[c[0] for c in BASIC_OK])
def test_basic(header: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_basic(header) == expected


@pytest.mark.parametrize("header", [
    "Basic", "Basic !!!!", f"Basic {b64('no-colon')}", f"Basic {b64(':secret')}",
    f"Basic {b64('id:')}", f"Basic {b64('id:%ff')}",
    "Basic " + base64.b64encode(b"\xff:x").decode(),
], ids=["empty", "not-base64", "no-colon", "no-id", "no-secret", "bad-utf8-escape",
        "bad-utf8"])
def test_malformed_basic(header: str) -> None:
    with pytest.raises(InvalidClient) as info:
        parse_token_request(b"grant_type=client_credentials", authorization=header, query="")
    assert (info.value.code, info.value.http_status, info.value.description) == (
        90023, 401, "The HTTP Basic authorization header is malformed.")

