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

from credo.errors import InvalidRequest, InvalidScope, UnsupportedResponseType
from credo.model import Application, RedirectKind, is_guid
from credo.protocol import pkce
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope, parse_v1
from credo.protocol.forms import INVALID_PARAMETER, MISSING_PARAMETER

ResponseMode = Literal["query", "fragment", "form_post"]
RESPONSE_MODES: tuple[ResponseMode, ...] = ("query", "fragment", "form_post")
RESPONSE_TYPES = frozenset({frozenset({"code"}), frozenset({"id_token"}), frozenset({"token"}),
                            frozenset({"id_token", "token"}), frozenset({"code", "id_token"})})
"""Entra's ``response_types_supported`` (entra-protocol-facts §1.4), as sets of words."""
PROMPTS = frozenset({"none", "login", "consent", "select_account", "admin_consent"})

INVALID_CLIENT_ID = 700038
REDIRECT_MISMATCH = 50011
NO_REDIRECT = 500113
UNSUPPORTED_TYPE = 70018
TOKEN_NOT_ENABLED = 700051
ID_TOKEN_NOT_ENABLED = 700054
QUERY_WITH_TOKENS = 700052
NONCE_REQUIRED = 900144


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
        raise InvalidRequest(MISSING_PARAMETER, "The request must contain the following "
                             "parameter: 'client_id'.")
    if not is_guid(client_id):
        raise InvalidRequest(INVALID_CLIENT_ID, f"Invalid client identifier "
                             f"'{client_id[:64]}': the client_id must be a GUID.")
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
        raise InvalidRequest(NO_REDIRECT if not registered else MISSING_PARAMETER,
                             "No reply address is registered for the application." if
                             not registered else "The request must contain the following "
                             "parameter: 'redirect_uri'.")
    for uri, kind in registered:
        if uri == redirect_uri:
            return uri, kind
    raise InvalidRequest(
        REDIRECT_MISMATCH, f"The redirect URI '{redirect_uri[:300]}' specified in the request "
        f"does not match the redirect URIs configured for the application '{app.app_id}'. Make "
        "sure the redirect URI sent in the request matches one added to your application.")


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
        raise InvalidRequest(MISSING_PARAMETER, "The request must contain the following "
                             "parameter: 'response_type'.")
    if types not in RESPONSE_TYPES:
        raise UnsupportedResponseType(UNSUPPORTED_TYPE, f"The response_type "
                                      f"'{' '.join(sorted(types))[:64]}' is not supported.")
    if "token" in types and not app.oauth2_allow_implicit_flow:
        raise UnsupportedResponseType(TOKEN_NOT_ENABLED, "The provided value for the input "
                                      "parameter 'response_type' is not allowed for this "
                                      "client. Expected value is 'code'. response_type 'token' "
                                      "is not enabled for the application.")
    if "id_token" in types and not app.oauth2_allow_id_token_implicit_flow:
        raise UnsupportedResponseType(ID_TOKEN_NOT_ENABLED, "response_type 'id_token' is not "
                                      "enabled for the application.")


def _check_mode(params: Mapping[str, str], types: frozenset[str]) -> ResponseMode:
    mode = _param(params, "response_mode")
    if mode is not None and mode not in RESPONSE_MODES:
        raise InvalidRequest(INVALID_PARAMETER, f"The response_mode '{mode[:32]}' is not "
                             "supported; use query, fragment or form_post.")
    chosen = delivery_mode(params)
    if chosen == "query" and types & {"token", "id_token"}:
        # Multiple Response Type Encoding Practices §5: tokens never travel in the query.
        raise InvalidRequest(QUERY_WITH_TOKENS, "response_mode 'query' is not allowed when an "
                             "id_token or a token is requested; use fragment or form_post.")
    return chosen


def _scopes(params: Mapping[str, str], version: Literal[1, 2],
            types: frozenset[str]) -> ScopeRequest:
    scopes = (parse_scope(_param(params, "scope")) if version == 2
              else parse_v1(_param(params, "resource"), _param(params, "scope")))
    if "id_token" in types and not scopes.openid:
        raise InvalidScope(70011, "The provided value for the input parameter 'scope' is not "
                           "valid: an id_token requires the 'openid' scope.")
    return scopes


def _prompt(params: Mapping[str, str]) -> frozenset[str]:
    """OIDC Core §3.1.2.1: space-separated; ``none`` with any other value is an error."""
    words = frozenset((_param(params, "prompt") or "").split())
    unknown = words - PROMPTS
    if unknown or ("none" in words and len(words) > 1):
        raise InvalidRequest(INVALID_PARAMETER, "Invalid value for the 'prompt' parameter: "
                             f"'{' '.join(sorted(words))[:64]}'.")
    return words


def _max_age(params: Mapping[str, str]) -> int | None:
    raw = _param(params, "max_age")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequest(INVALID_PARAMETER, "The 'max_age' parameter must be a "
                             "non-negative number of seconds.")
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
        raise InvalidRequest(NONCE_REQUIRED, "The request must contain the following "
                             "parameter: 'nonce'.")
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
