"""Who is calling the management API: Credo's own v2 access tokens, verified in-process.

RFC 6750 §2.1 bearer tokens (``Authorization: Bearer <jwt>``), RS256 only (ARCHITECTURE.md D4),
signed by one of the keys this deployment publishes; ``aud`` is the management API's app id,
``iss`` the v2 issuer of the token's own tenant, and only app-only tokens (``idtyp: app``)
are accepted. Every object the caller touches is then looked up within ``Caller.tenant``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from credo import jose
from credo.errors import Forbidden, JoseError, ObjectNotFound, Unauthenticated
from credo.model import Tenant, is_guid
from credo.protocol import metadata
from credo.service.bootstrap import (
    MANAGEMENT_APP_ID,
    ROLE_APPS,
    ROLE_GRANTS,
    ROLE_READ,
    ROLE_TENANTS,
)
from credo.service.runtime import Services

LEEWAY_SECONDS = 60
_DENIED = "Insufficient privileges to complete the operation."
_bearer = HTTPBearer(auto_error=False, description="A Credo access token for `api://credo`.")


@dataclass(frozen=True)
class Caller:
    """An authenticated app: its tenant, the management roles it holds there, its ids."""

    tenant: Tenant
    roles: frozenset[str]
    app_id: str
    object_id: str


def services_of(request: Request) -> Services:
    return cast(Services, request.app.state.services)


def _fail(message: str, detail: str = "") -> Unauthenticated:
    return Unauthenticated(message, detail=detail)


async def _signature(services: Services, token: str) -> dict[str, Any]:
    """RFC 7515 §5.2: parse, pick the published key by ``kid``, verify RS256; the claims."""
    try:
        jws = jose.parse_compact(token)
    except JoseError as exc:
        raise _fail("IDX14100: JWT is not well formed.", str(exc)) from exc
    kid = jws.header.get("kid")
    if jws.header.get("alg") != "RS256" or not isinstance(kid, str):
        raise _fail("Access token validation failure. Invalid signature algorithm or key id.")
    key = services.keys.public_key(kid)
    if key is None:
        await services.keys.load()  # another node may have rotated since we last looked
        key = services.keys.public_key(kid)
    if key is None:
        raise _fail("Access token validation failure. Signing key not found.", kid[:64])
    try:
        jose.verify_rsa("RS256", key, jws.signing_input, jws.signature, allowed=("RS256",))
    except JoseError as exc:
        raise _fail("Access token validation failure. Invalid signature.", str(exc)) from exc
    return jws.claims


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _check_claims(claims: dict[str, Any], base_url: str, now: float) -> str:
    """RFC 7519 §4.1: ``iss``, ``aud``, ``exp``/``nbf`` with bounded leeway; returns ``tid``."""
    tid = claims.get("tid")
    if not isinstance(tid, str) or not is_guid(tid):
        raise _fail("Access token validation failure. Invalid tenant.")
    if claims.get("iss") != metadata.issuer_v2(base_url, tid.lower()):
        raise _fail("Access token validation failure. Invalid issuer.")
    if claims.get("aud") != MANAGEMENT_APP_ID:
        raise _fail("Access token validation failure. Invalid audience.")
    exp, nbf = _number(claims, "exp"), _number(claims, "nbf")
    if exp is None or now > exp + LEEWAY_SECONDS or (
            nbf is not None and now < nbf - LEEWAY_SECONDS):
        raise _fail("Lifetime validation failed, the token is expired or not yet valid.")
    if claims.get("idtyp") != "app":
        raise _fail("Access token validation failure. Only app-only tokens are accepted.")
    return tid.lower()


async def authenticate(services: Services, token: str, *, now: float) -> Caller:
    """Verify a management access token; raises ``Unauthenticated`` (401) on any failure."""
    claims = await _signature(services, token)
    tid = _check_claims(claims, services.settings.base_url, now)
    try:
        tenant = await services.directory.tenant(tid)
    except ObjectNotFound as exc:
        raise _fail("Access token validation failure. Unknown tenant.", tid) from exc
    roles = claims.get("roles")
    return Caller(
        tenant=tenant,
        roles=frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list)
        else frozenset(),
        app_id=str(claims.get("azp") or ""),
        object_id=str(claims.get("oid") or ""),
    )


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The FastAPI dependency behind every route; remembers the caller for the audit log."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _fail("Access token is empty.")
    caller = await authenticate(services_of(request), credentials.credentials, now=time.time())
    request.state.caller = caller
    return caller


def require_any(*roles: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets the caller through when it holds at least one of ``roles``."""
    wanted = frozenset(roles)

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not caller.roles & wanted:
            raise Forbidden(_DENIED, detail=f"needs one of {sorted(wanted)}")
        return caller

    return check


async def _operator(request: Request,
                    caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """Tenant-wide operations: ``Tenant.ReadWrite.All`` held in the bootstrap tenant."""
    bootstrap = services_of(request).settings.bootstrap_tenant.lower()
    if ROLE_TENANTS not in caller.roles or not bootstrap or caller.tenant.id != bootstrap:
        raise Forbidden(_DENIED, detail="needs Tenant.ReadWrite.All in the bootstrap tenant")
    return caller


Reader = Annotated[Caller, Depends(require_any(ROLE_READ, ROLE_APPS, ROLE_GRANTS))]
AppWriter = Annotated[Caller, Depends(require_any(ROLE_APPS))]
GrantWriter = Annotated[Caller, Depends(require_any(ROLE_GRANTS))]
Operator = Annotated[Caller, Depends(_operator)]
ServicesDep = Annotated[Services, Depends(services_of)]
