"""Every input to ``validate_sync`` returns a ``Principal`` or raises ``TokenValidationError``,
and every framework helper answers 200, 401 or 403, never 500 (issue 14).

Hypothesis fuzzes the compact form and its segments (``hostile_jws``), the header's
parameters, and each claim's JSON type and size in tokens *signed by the authority's key*,
so every check after the signature meets the hostile values too. The fast suite runs a few
hundred examples per property; the slow suite runs thousands.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from hypothesis import given
from hypothesis import strategies as st
from resource_fakes import DROP, FakeAuthority, app_claims, sign, user_claims
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from credo.errors import TokenValidationError
from credo.resource import Principal, TokenValidator
from credo.resource.asgi import CredoAuthBackend
from credo.resource.fastapi import install_error_handlers, require_any
from hostile_jws import COMPACT, JSON_VALUES, fuzz, raw_compact

HEADER_PARAMETERS = ["alg", "kid", "typ", "crit", "jku", "x5u", "jwk", "x5c", "x5t", "cty"]
CLAIMS = ["aud", "iss", "tid", "ver", "exp", "nbf", "iat", "azp", "appid", "idtyp", "oid",
          "sub", "scp", "roles", "upn", "preferred_username", "name", "unique_name",
          "nonce", "at_hash", "uti", "wids"]
VALUES = JSON_VALUES | st.sampled_from(["RS256", "PS256", "none", "HS256", "app", "user",
                                        "1.0", "2.0", DROP, 10**400, 2**63, -1, 1e308])
HEADERS = st.dictionaries(st.sampled_from(HEADER_PARAMETERS), VALUES, max_size=4)
OVERRIDES = st.dictionaries(st.sampled_from(CLAIMS), VALUES, min_size=1, max_size=5)
BASES = st.sampled_from([app_claims("2.0"), app_claims("1.0"), user_claims("2.0"),
                         user_claims("1.0")])


def outcome(validator: TokenValidator, token: str) -> Principal | TokenValidationError:
    """What ``validate_sync`` did; anything but these two types fails the property."""
    try:
        principal = validator.validate_sync(token)
    except TokenValidationError as error:
        assert type(error) is TokenValidationError and error.description
        return error
    assert isinstance(principal, Principal)
    assert not (principal.is_app_only and principal.scopes)
    return principal


class Fuzzed:
    """The properties, over one fake authority and one validator."""

    def __init__(self, keys: Any) -> None:
        self.keys = keys
        self.validator = FakeAuthority([keys.primary.jwk()]).validator()

    def compact(self, token: str) -> None:
        outcome(self.validator, token)

    def header(self, header: dict[str, Any], alg: str) -> None:
        merged = {"typ": "JWT", "alg": alg, "kid": self.keys.primary.kid, **header}
        head = {k: v for k, v in merged.items() if v is not DROP}
        outcome(self.validator, raw_compact(head, app_claims(), b"x" * 256))

    def claims(self, base: dict[str, Any], overrides: dict[str, Any]) -> None:
        signed = sign(self.keys.primary, {**base, **overrides})
        outcome(self.validator, signed)


def properties(fuzzed: Fuzzed) -> dict[str, tuple[Any, Any]]:
    return {
        "compact": (given(COMPACT), fuzzed.compact),
        "header": (given(HEADERS, st.sampled_from(["RS256", "PS256", "none", "HS256"])),
                   fuzzed.header),
        "claims": (given(BASES, OVERRIDES), fuzzed.claims),
    }


FAST = {"compact": 300, "header": 200, "claims": 200}
SLOW = {"compact": 1000, "header": 800, "claims": 800}


@pytest.mark.parametrize("name", sorted(FAST))
def test_fuzz_validate(keys: Any, name: str) -> None:
    strategy, check = properties(Fuzzed(keys))[name]
    assert fuzz(FAST[name], strategy, check) >= FAST[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW))
def test_fuzz_validate_many(keys: Any, name: str) -> None:
    strategy, check = properties(Fuzzed(keys))[name]
    assert fuzz(SLOW[name], strategy, check) >= SLOW[name]


# -- the framework helpers: 200, 401 or 403, never 500 ---------------------------------------

async def whoami(request: Request) -> JSONResponse:
    return JSONResponse({"scopes": request.auth.scopes})


def apps(validator: TokenValidator) -> list[Any]:
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/whoami")
    async def messages(caller: Principal = Depends(
            require_any(validator, roles=["Mail.Read"], scopes=["Mail.Read"]))) -> Any:
        return {"app_only": caller.is_app_only}

    backend = CredoAuthBackend(validator)
    starlette = Starlette(routes=[Route("/whoami", whoami)],
                          middleware=[Middleware(AuthenticationMiddleware, backend=backend,
                                                 on_error=backend.on_error)])
    return [api, starlette]


def answers(keys: Any, examples: int) -> int:
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="https://api.test")
               for app in apps(FakeAuthority([keys.primary.jwk()]).validator())]

    def check(base: dict[str, Any], overrides: dict[str, Any], raw: str | None) -> None:
        token = raw if raw is not None else sign(keys.primary, {**base, **overrides})
        for client in clients:
            response = asyncio.run(client.get("/whoami",
                                              headers={"Authorization": f"Bearer {token}"}))
            assert response.status_code in (200, 401, 403), response.text
            if response.status_code != 200:
                assert response.json()["error"] in ("invalid_token", "insufficient_scope")

    raw = st.none() | COMPACT.filter(lambda t: t.isascii() and t.strip() == t and t != "")
    return fuzz(examples, given(BASES, OVERRIDES, raw), check)


def test_fuzz_framework_answers(keys: Any) -> None:
    assert answers(keys, 100) >= 100


@pytest.mark.slow
def test_fuzz_framework_answers_many(keys: Any) -> None:
    assert answers(keys, 600) >= 600
