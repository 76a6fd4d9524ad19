"""Parsing and bounding the token request (RFC 6749 §3.2, §2.3.1).

Form bodies are decoded strictly: every ``%`` starts a two-digit escape, the decoded text
is UTF-8, a parameter appears at most once (RFC 6749 §3.2: "Request and response
parameters MUST NOT be included more than once"), and empty values count as absent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote_plus, unquote_to_bytes

from credo.aadsts import request

MAX_BODY = 64 * 1024
"""Largest token request body accepted, in bytes (larger: 413)."""
MAX_ASSERTION = 16 * 1024
"""Largest ``client_assertion`` accepted, in characters (larger: AADSTS50027)."""


FORM_TYPE = "application/x-www-form-urlencoded"
"""The only media type a token request body may have (RFC 6749 §3.2, §4.4.2)."""

QUERY_REFUSED = frozenset({
    "client_secret", "client_assertion", "client_assertion_type", "client_id",
    "grant_type", "scope", "resource", "password", "refresh_token", "code", "assertion",
})
"""Parameters that must never travel in the query string (RFC 6749 §2.3.1, §3.2)."""

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _name(text: str) -> str:
    return text[:64]


def _decode(part: str) -> str:
    if "%" not in part and "+" not in part:
        return part  # plain ASCII (checked by the caller): nothing to decode
    if _BAD_PERCENT.search(part):
        raise request.MALFORMED_FORM(detail="bad percent-escape")
    try:
        return unquote_to_bytes(part.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise request.BODY_NOT_UTF8(detail="percent-decoded bytes are not UTF-8") from None


def parse_form(body: bytes) -> dict[str, str]:
    """Decode an ``application/x-www-form-urlencoded`` body (RFC 6749 §3.2, Appendix B)."""
    if len(body) > MAX_BODY:
        raise request.BODY_TOO_LARGE(limit=MAX_BODY)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise request.MALFORMED_FORM(detail="raw non-ASCII bytes in the body") from None
    form: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = _decode(raw_name)
        if not name:
            continue
        if name in form:
            raise request.REPEATED_BODY_PARAMETER(name=_name(name))
        form[name] = _decode(raw_value)
    return form


def check_form_type(content_type: str | None) -> None:
    """The body is ``application/x-www-form-urlencoded`` (RFC 6749 §4.4.2); parameters such
    as ``charset=utf-8`` are ignored, the media type is compared case-insensitively
    (RFC 9110 §8.3.1)."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise request.NOT_A_FORM(content_type=(content_type or "none")[:64])


@dataclass(frozen=True)
class TokenRequest:
    """A parsed token request; empty parameters are ``None`` (RFC 6749 §3.1)."""

    grant_type: str
    client_id: str | None
    scope: str | None
    resource: str | None
    client_assertion: str | None
    client_assertion_type: str | None
    client_secret: str | None
    basic: tuple[str, str] | None
    params: Mapping[str, str]


def _refuse_query(query: str) -> None:
    """RFC 6749 §2.3.1: credentials "MUST NOT be included in the request URI"."""
    if not query:
        return
    for name, _ in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if name in QUERY_REFUSED:
            raise request.CREDENTIAL_IN_QUERY(name=_name(name))


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """Decode HTTP Basic client credentials (RFC 6749 §2.3.1; RFC 7617 §2); other schemes: None.

    Both parts are form-decoded as RFC 6749 §2.3.1 asks; raw values (requests-oauthlib)
    decode to themselves when they use the secret alphabet ``[A-Za-z0-9~._-]``.
    """
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        user, sep, password = decoded.partition(":")
        client_id = unquote_plus(user, errors="strict")
        secret = unquote_plus(password, errors="strict")
    except (binascii.Error, ValueError):
        raise request.MALFORMED_BASIC(detail="not base64 of UTF-8 text") from None
    if not sep or not client_id or not secret:
        raise request.MALFORMED_BASIC(detail="client id or secret missing")
    return client_id, secret


def parse_token_request(body: bytes, *, authorization: str | None, query: str) -> TokenRequest:
    """Parse a token request (RFC 6749 §3.2, §4.4.2) without authenticating anything."""
    _refuse_query(query)
    form = parse_form(body)
    basic = parse_basic(authorization)
    grant_type = form.get("grant_type") or None
    if grant_type is None:
        raise request.MISSING_BODY_PARAMETER(name="grant_type")
    return TokenRequest(
        grant_type=grant_type,
        client_id=form.get("client_id") or None,
        scope=form.get("scope") or None,
        resource=form.get("resource") or None,
        client_assertion=form.get("client_assertion") or None,
        client_assertion_type=form.get("client_assertion_type") or None,
        client_secret=form.get("client_secret") or None,
        basic=basic,
        params=MappingProxyType(form),
    )
