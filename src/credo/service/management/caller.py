"""Who is calling the management API: Credo's own v2 access tokens, verified in-process.

RFC 6750 §2.1 bearer tokens, RS256 only, signed by a key this deployment publishes; ``aud``
the management API's app id, ``iss`` the v2 issuer of the token's own tenant, times per
RFC 7519 §4.1.4-4.1.5 with 60 s of leeway, and app-only tokens (``idtyp: app``). The
caller's power is what its token's roles grant in its tenant; the operator app holds
everything (service/management/policy.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from credo import jose
from credo.errors import CredoError, JoseError, ObjectNotFound
from credo.model import Tenant, is_guid
from credo.numericdate import TimeClaimError, TimeRules, check_times
from credo.protocol import metadata
from credo.service.keys import KeyService
from credo.service.management.policy import Power

MANAGEMENT_APP_ID = "c4ed0000-0000-4000-8000-000000000001"
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

    @property
    def permissions(self) -> frozenset[str]:
        """The management permissions held in the caller's own tenant."""
        return frozenset(p for t, p in self.power.pairs if t == self.tenant.id)


TenantLookup = Callable[[str], Any]


class ManagementAuth:
    """Verifies management access tokens; raises ``InvalidToken`` on any failure."""

    def __init__(self, *, base_url: str, keys: KeyService, tenant: TenantLookup,
                 operator_app_id: str) -> None:
        self._base = base_url
        self._keys = keys
        self._tenant = tenant
        self._operator = operator_app_id

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
        roles = claims.get("roles")
        held = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
        power = Power(everything=True) if self._operator and app_id == self._operator \
            else Power.of(tenant.id, held)
        return Caller(tenant, power, app_id, str(claims.get("oid") or ""))

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
        if claims.get("idtyp") != "app":
            raise InvalidToken("Access token validation failure. Only app-only tokens are "
                               "accepted.")
        return tid.lower()
