"""The parsers never raise anything but ``OAuthError`` on arbitrary input."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credo.errors import OAuthError
from credo.protocol.client_auth import parse_assertion
from credo.protocol.forms import parse_form, parse_token_request

from .factory import APP_ID, Pki, assertion_request, authenticate, b64url, seg

FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                      deadline=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)
form_text = st.text(alphabet=st.sampled_from("ab=&%+_-.~:/\u00e9 0123456789fF"), max_size=80)


@given(st.binary(max_size=300) | form_text.map(str.encode))
def test_parse_form(raw: bytes) -> None:
    with contextlib.suppress(OAuthError):
        parse_form(raw)


@given(body=st.binary(max_size=200) | form_text.map(str.encode),
       authorization=st.none() | st.text(max_size=40)
       | st.text(max_size=30).map(lambda t: "Basic " + t),
       query=form_text)
def test_parse_token_request(body: bytes, authorization: str | None, query: str) -> None:
    with contextlib.suppress(OAuthError):
        parse_token_request(body, authorization=authorization, query=query)


@given(st.text(max_size=200) | st.lists(st.text(alphabet="abcAB-_=.", max_size=30),
                                        min_size=1, max_size=5).map(".".join))
def test_parse_assertion_text(raw: str) -> None:
    with contextlib.suppress(OAuthError):
        parse_assertion(raw)


@given(header=json_values, claims=json_values)
def test_parse_assertion_json(header: Any, claims: Any) -> None:
    raw = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.AAAA"
    with contextlib.suppress(OAuthError):
        parse_assertion(raw)


def test_deeply_nested_header() -> None:
    raw = f"{b64url(b'[' * 5000 + b']' * 5000)}.{seg({})}.AAAA"
    with pytest.raises(OAuthError) as info:
        parse_assertion(raw)
    assert info.value.code == 50027


@FIXTURE_OK
@given(changes=st.dictionaries(st.sampled_from(["aud", "exp", "nbf", "iat", "jti", "iss", "sub"]),
                               json_values, max_size=4))
def test_signed_assertion_with_arbitrary_claims(pki: Pki, changes: dict[str, Any]) -> None:
    token = pki.assertion(claims={**pki.claims(), **changes})
    try:
        result = authenticate(assertion_request(token, client_id=None), pki.app)
    except OAuthError:
        return
    assert result.application.app_id == APP_ID
