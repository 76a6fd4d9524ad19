"""Who is calling the management API: Credo's own v2 access tokens, verified in-process.

RFC 6750 §2.1 bearer tokens, RS256 only, signed by a key this deployment publishes; ``aud``
the management API's app id, ``iss`` the v2 issuer of the token's own tenant, times per
RFC 7519 §4.1.4-4.1.5 with 60 s of leeway. The caller's power (policy.py):

* an app-only token (``idtyp: app``): what its ``roles`` grant in its tenant; the operator
  app holds everything;
* a delegated token (``idtyp: user``, a signed-in user's client such as the portal): its
  ``scp`` within what the user's directory roles allow, as Microsoft Graph does; the user
  must still exist in the token's tenant and be enabled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from credo import jose
from credo.errors import CredoError, JoseError, ObjectNotFound
from credo.model import Tenant, User, is_guid
from credo.numericdate import TimeClaimError, TimeRules, check_times
from credo.protocol import metadata
from credo.service.keys import KeyService
from credo.service.management.policy import MANAGEMENT_APP_ID, Power, user_power

LEEWAY = TimeRules(past_leeway=60, future_leeway=60)


class InvalidToken(CredoError):
    """The bearer token is missing, malformed, foreign or expired (Graph 401)."""


@dataclass(frozen=True)
class Caller:
    """An authenticated principal, its tenant and what it may do."""

    tenant: Tenant
    power: Power
    app_id: str
    object_id: str
    user: User | None = None
    """The signed-in user of a delegated token; ``None`` for an app."""

    @property
    def permissions(self) -> frozenset[str]:
        """The management permissions held in the caller's own tenant."""
        return frozenset(p for t, p in self.power.pairs if t == self.tenant.id)


TenantLookup = Callable[[str], Awaitable[Tenant]]
UserLookup = Callable[[str], Awaitable[User | None]]


class ManagementAuth:
    """Verifies management access tokens; raises ``InvalidToken`` on any failure."""

    def __init__(self, *, base_url: str, keys: KeyService, tenant: TenantLookup,
                 user: UserLookup, operator_app_id: str, bootstrap_tenant: str) -> None:
        self._base = base_url
        self._keys = keys
        self._tenant = tenant
        self._user = user
        self._operator = operator_app_id
        self._bootstrap = bootstrap_tenant.lower()

    async def authenticate(self, token: str | None, now: float) -> Caller:
        if not token:
            raise InvalidToken("Access token is empty.")
        claims = await self._signature(token)
        tid = self._check_claims(claims, now)
        try:
            tenant: Tenant = await self._tenant(tid)
        except ObjectNotFound as exc:
            raise InvalidToken("Access token validation failure. Unknown tenant.",
                               detail=tid) from exc
        app_id = str(claims.get("azp") or "")
        if claims.get("idtyp") == "user":
            return await self._user_caller(claims, tenant, app_id)
        roles = claims.get("roles")
        held = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
        power = Power(everything=True) if self._operator and app_id == self._operator \
            else Power.of(tenant.id, held)
        return Caller(tenant, power, app_id, str(claims.get("oid") or ""))

    async def _user_caller(self, claims: Mapping[str, Any], tenant: Tenant,
                           app_id: str) -> Caller:
        """Graph's rule for delegated tokens: ``scp`` within the user's own power."""
        oid, scp = claims.get("oid"), claims.get("scp")
        user = await self._user(oid) if isinstance(oid, str) else None
        if user is None or user.tenant_id != tenant.id or not user.account_enabled:
            raise InvalidToken("Access token validation failure. The user is unknown or "
                               "disabled.")
        scopes = scp.split() if isinstance(scp, str) else []
        allowed = user_power(tenant.id, user.directory_roles,
                             bootstrap=tenant.id == self._bootstrap)
        return Caller(tenant, Power.of(tenant.id, scopes) & allowed, app_id, user.id, user)

    async def _signature(self, token: str) -> dict[str, Any]:
        """RFC 7515 §5.2: parse, pick the published key by ``kid``, verify RS256."""
        try:
            jws = jose.parse_compact(token)
        except JoseError as exc:
            raise InvalidToken("IDX14100: JWT is not well formed.", detail=str(exc)) from exc
        kid = jws.header.get("kid")
        if jws.header.get("alg") != "RS256" or not isinstance(kid, str):
            raise InvalidToken("Access token validation failure. Invalid signature algorithm "
                               "or key id.")
        key = self._keys.public_key(kid)
        if key is None:
            await self._keys.load()  # another node may have rotated since we last looked
            key = self._keys.public_key(kid)
        if key is None:
            raise InvalidToken("Access token validation failure. Signing key not found.",
                               detail=kid[:64])
        try:
            jose.verify_rsa("RS256", key, jws.signing_input, jws.signature, allowed=("RS256",))
        except JoseError as exc:
            raise InvalidToken("Access token validation failure. Invalid signature.",
                               detail=str(exc)) from exc
        return jws.claims

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> str:
        """RFC 7519 §4.1: ``tid``, ``iss``, ``aud``, times, app-only; returns ``tid``."""
        tid = claims.get("tid")
        if not isinstance(tid, str) or not is_guid(tid):
            raise InvalidToken("Access token validation failure. Invalid tenant.")
        if claims.get("iss") != metadata.issuer_v2(self._base, tid.lower()):
            raise InvalidToken("Access token validation failure. Invalid issuer.")
        if claims.get("aud") != MANAGEMENT_APP_ID:
            raise InvalidToken("Access token validation failure. Invalid audience.")
        try:
            check_times(claims, now, LEEWAY)
        except TimeClaimError as exc:
            raise InvalidToken("Lifetime validation failed, the token is expired or not yet "
                               "valid.", detail=str(exc)) from exc
        if claims.get("idtyp") not in ("app", "user"):
            raise InvalidToken("Access token validation failure. The token is neither an "
                               "application's nor a signed-in user's.")
        return tid.lower()
