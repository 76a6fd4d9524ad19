"""Parsing and validating an authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3).

Two phases, because errors travel differently (RFC 6749 §4.1.2.1): until the client and
its redirect URI are known to match "the authorization server SHOULD inform the resource
owner of the error and MUST NOT automatically redirect"; every later error goes back to
the redirect URI in the response mode, with ``state``. :func:`client_and_redirect` and
:func:`match_redirect` are the first phase, :func:`parse_request` the second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from credo.aadsts import client, grant, request, user
from credo.model import Application, RedirectKind, is_guid
from credo.protocol import pkce
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope, parse_v1

ResponseMode = Literal["query", "fragment", "form_post"]
RESPONSE_MODES: tuple[ResponseMode, ...] = ("query", "fragment", "form_post")
RESPONSE_TYPES = frozenset({frozenset({"code"}), frozenset({"id_token"}), frozenset({"token"}),
                            frozenset({"id_token", "token"}), frozenset({"code", "id_token"})})
"""Entra's ``response_types_supported`` (its discovery documents), as sets of words."""
PROMPTS = frozenset({"none", "login", "consent", "select_account", "admin_consent"})



@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request (RFC 6749 §4.1.1; OIDC Core §3.1.2.1)."""

    version: Literal[1, 2]
    client_id: str
    redirect_uri: str
    redirect_kind: RedirectKind
    response_types: frozenset[str]
    response_mode: ResponseMode
    scopes: ScopeRequest
    state: str | None
    nonce: str | None
    prompt: frozenset[str]
    max_age: int | None
    code_challenge: str | None
    login_hint: str | None
    client_info: bool


def _param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value if value else None


def client_and_redirect(params: Mapping[str, str]) -> tuple[str, str | None]:
    """``client_id`` (a GUID) and the raw ``redirect_uri``; errors here are never redirected."""
    client_id = _param(params, "client_id")
    if client_id is None:
        raise request.MISSING_PARAMETER(name="client_id")
    if not is_guid(client_id):
        raise client.CLIENT_ID_NOT_GUID(client_id=client_id[:64])
    return client_id.lower(), _param(params, "redirect_uri")


def _registered(app: Application) -> tuple[tuple[str, RedirectKind], ...]:
    return (*((u, "web") for u in app.web_redirect_uris),
            *((u, "spa") for u in app.spa_redirect_uris),
            *((u, "publicClient") for u in app.public_client_redirect_uris))


def match_redirect(app: Application, redirect_uri: str | None) -> tuple[str, RedirectKind]:
    """The registered redirect URI the request names, compared exactly (RFC 6749 §3.1.2.3;
    RFC 9700 §2.1 "exact string matching"); with none sent, the only one registered."""
    registered = _registered(app)
    if redirect_uri is None:
        if len(registered) == 1:
            return registered[0]
        raise (request.MISSING_PARAMETER(name="redirect_uri") if registered
               else user.NO_REDIRECT())
    for uri, kind in registered:
        if uri == redirect_uri:
            return uri, kind
    raise user.REDIRECT_NOT_REGISTERED(redirect_uri=redirect_uri[:300], client_id=app.app_id)


def _types(params: Mapping[str, str]) -> frozenset[str]:
    raw = _param(params, "response_type")
    return frozenset(raw.split()) if raw else frozenset()


def delivery_mode(params: Mapping[str, str]) -> ResponseMode:
    """Where the response (or an error) goes: the requested mode when valid, else the
    default of the response type (OAuth 2.0 Multiple Response Type Encoding Practices §2.1)."""
    mode = _param(params, "response_mode")
    if mode in RESPONSE_MODES:
        return mode
    return "query" if _types(params) <= {"code"} else "fragment"


def _check_types(types: frozenset[str], app: Application) -> None:
    """RFC 6749 §4.1.2.1/§4.2.2.1; implicit only when the manifest allows it."""
    if not types:
        raise request.MISSING_PARAMETER(name="response_type")
    if types not in RESPONSE_TYPES:
        raise request.UNSUPPORTED_RESPONSE_TYPE(response_type=" ".join(sorted(types))[:64])
    if "token" in types and not app.oauth2_allow_implicit_flow:
        raise user.TOKEN_NOT_ENABLED()
    if "id_token" in types and not app.oauth2_allow_id_token_implicit_flow:
        raise user.ID_TOKEN_NOT_ENABLED()


def _check_mode(params: Mapping[str, str], types: frozenset[str]) -> ResponseMode:
    mode = _param(params, "response_mode")
    if mode is not None and mode not in RESPONSE_MODES:
        raise request.BAD_RESPONSE_MODE(mode=mode[:32])
    chosen = delivery_mode(params)
    if chosen == "query" and types & {"token", "id_token"}:
        # Multiple Response Type Encoding Practices §5: tokens never travel in the query.
        raise user.QUERY_WITH_TOKENS()
    return chosen


def _scopes(params: Mapping[str, str], version: Literal[1, 2],
            types: frozenset[str]) -> ScopeRequest:
    scopes = (parse_scope(_param(params, "scope")) if version == 2
              else parse_v1(_param(params, "resource"), _param(params, "scope")))
    if "id_token" in types and not scopes.openid:
        raise grant.SCOPE_NEEDS_OPENID()
    return scopes


def _prompt(params: Mapping[str, str]) -> frozenset[str]:
    """OIDC Core §3.1.2.1: space-separated; ``none`` with any other value is an error."""
    words = frozenset((_param(params, "prompt") or "").split())
    unknown = words - PROMPTS
    if unknown or ("none" in words and len(words) > 1):
        raise request.BAD_PROMPT(prompt=" ".join(sorted(words))[:64])
    return words


def _max_age(params: Mapping[str, str]) -> int | None:
    raw = _param(params, "max_age")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise request.BAD_MAX_AGE()
    return int(raw)


def parse_request(params: Mapping[str, str], app: Application, redirect: tuple[str,
                  RedirectKind], version: Literal[1, 2]) -> AuthorizeRequest:
    """The second phase, in RFC order; every error raised here goes to the redirect URI."""
    types = _types(params)
    _check_types(types, app)
    mode = _check_mode(params, types)
    scopes = _scopes(params, version, types)
    nonce = _param(params, "nonce")
    if nonce is None and "id_token" in types:
        # OIDC Core §3.2.2.1 / §3.3.2.11: nonce is REQUIRED when an id_token is returned
        # from the authorization endpoint.
        raise request.MISSING_PARAMETER(name="nonce")
    challenge = None
    if "code" in types:
        challenge = pkce.check_challenge(
            _param(params, "code_challenge"), _param(params, "code_challenge_method"),
            public=redirect[1] != "web")
    return AuthorizeRequest(
        version=version, client_id=app.app_id, redirect_uri=redirect[0],
        redirect_kind=redirect[1], response_types=types, response_mode=mode, scopes=scopes,
        state=_param(params, "state"), nonce=nonce, prompt=_prompt(params),
        max_age=_max_age(params), code_challenge=challenge,
        login_hint=_param(params, "login_hint"), client_info=params.get("client_info") == "1")
