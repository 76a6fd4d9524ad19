"""A managed identity for code written for Azure: the App Service / Container Apps protocol.

``GET {IDENTITY_ENDPOINT}?resource=…&api-version=2019-08-01`` with the header
``X-IDENTITY-HEADER: {IDENTITY_HEADER}``, optionally naming a user-assigned identity by
``client_id``, ``principal_id`` (or ``object_id``) or ``mi_res_id``, answers
``{"access_token", "expires_on", "resource", "token_type", "client_id"}``, as
azure-identity's ``ManagedIdentityCredential`` (through MSAL) reads it. The local identity is
configured: a tenant and the appIds of applications with a service principal there, the
first being the system-assigned identity. The token is exactly the app-only token the
client-credentials grant issues for that service principal and resource (the same pipeline,
its authorization included), recorded in the sign-in log with ``managedIdentity`` as the
credential. Only loopback clients are answered unless the listener was put elsewhere on
purpose; the header secret is compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from credo import metrics
from credo.errors import CredoError, OAuthError
from credo.model import ClientSnapshot
from credo.protocol.client_auth import AuthenticatedClient, Presented
from credo.protocol.forms import TokenRequest
from credo.service.audit import AuditBuffer
from credo.service.grants import Grant, GrantCall
from credo.service.sign_ins import SignInFacts, token_event
from credo.service.snapshots import DirectoryCache
from credo.service.sources import Sources
from credo.service.tenants import token_tenant

log = logging.getLogger("credo.managed_identity")
API_VERSION = "2019-08-01"
METHOD = "managed_identity"
SECRET_FILE = "managed-identity.secret"
NO_IDENTITY = "Unable to load the proper Managed Identity."


class IdentityRefused(CredoError):
    """A managed-identity request refused; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, description: str, *, detail: str = "") -> None:
        super().__init__(description, detail=detail)
        self.status = status


@dataclass(frozen=True)
class IdentityRequest:
    """One request as the web layer read it: query parameters, the header, the peer."""

    params: dict[str, str]
    header: str | None
    peer: str
    correlation_id: str = ""
    facts: SignInFacts = field(default_factory=SignInFacts)


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ``::1`` (and ``localhost`` as a configured name)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def identity_secret(configured: str, data_dir: Path) -> str:
    """The ``X-IDENTITY-HEADER`` value: the setting, else ``<data dir>/managed-identity.secret``
    (256 random bits, made 0600 by whichever process comes first)."""
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="ascii").strip()


class ManagedIdentityService:
    """Answers the managed-identity protocol with the client-credentials grant's tokens."""

    def __init__(self, *, tenant: str, client_ids: tuple[str, ...], secret: str,
                 cache: DirectoryCache, grant: Grant, audit: AuditBuffer, sources: Sources,
                 remote_allowed: bool = False) -> None:
        if not client_ids or not secret:
            raise ValueError("a managed identity needs at least one appId and a secret")
        self._tenant = tenant
        self._client_ids = tuple(c.lower() for c in client_ids)
        self._secret = secret.encode()
        self._cache = cache
        self._grant = grant
        self._audit = audit
        self._sources = sources
        self._remote_allowed = remote_allowed

    async def token(self, request: IdentityRequest) -> dict[str, str]:
        """The token response, or ``IdentityRefused`` (nothing issued). Every refusal is
        logged (a wrong header or a remote peer as a warning: someone is probing); a refusal
        of the grant is also recorded in the sign-in log, as at the token endpoint."""
        try:
            return await self._answer(request)
        except IdentityRefused as refused:
            log.log(logging.WARNING if refused.status in (401, 403) else logging.INFO,
                    "managed identity refused: %d %s (%s)", refused.status,
                    refused.description, refused.detail or "-",
                    extra={"correlation_id": request.correlation_id})
            raise

    async def _answer(self, request: IdentityRequest) -> dict[str, str]:
        self._admit(request)
        resource = request.params.get("resource", "").strip()
        if request.params.get("api-version") != API_VERSION:
            raise IdentityRefused(400, f"The api-version must be {API_VERSION}.")
        if not resource:
            raise IdentityRefused(400, "The request must name a resource ('resource').")
        now = self._sources.clock()
        facts = request.facts
        facts.kind = METHOD
        try:
            snap = await self._identity(request.params)
            facts.tenant, facts.snapshot, facts.client_id = (
                snap.tenant, snap, snap.application.app_id)
            body = await self._issue(snap, resource, now, facts)
        except OAuthError as err:
            self._record(now, request, err)
            raise IdentityRefused(err.http_status, f"AADSTS{err.code}: {err.description}",
                                  detail=err.detail) from None
        self._record(now, request, None)
        return body

    def _admit(self, request: IdentityRequest) -> None:
        """Loopback peers only (unless configured otherwise), then the header secret."""
        if not self._remote_allowed and not is_loopback(request.peer):
            raise IdentityRefused(403, "The managed identity endpoint answers loopback "
                                  "clients only.", detail=f"peer {request.peer}")
        given = (request.header or "").encode()
        if not hmac.compare_digest(given, self._secret):
            raise IdentityRefused(401, "The X-IDENTITY-HEADER header is missing or wrong: send "
                                  "the value of IDENTITY_HEADER.")

    async def _identity(self, params: dict[str, str]) -> ClientSnapshot:
        """The configured identity the request names (the first when it names none)."""
        tenant = await token_tenant(self._cache, self._tenant)
        chosen = [(k, params[k].strip()) for k in ("client_id", "principal_id", "object_id",
                                                   "mi_res_id") if params.get(k, "").strip()]
        if len(chosen) > 1:
            raise IdentityRefused(400, "Name the identity once: client_id, principal_id, "
                                  "object_id or mi_res_id.")
        for client_id in self._client_ids if chosen else self._client_ids[:1]:
            snap = await self._cache.client(tenant, client_id)
            if snap is not None and snap.service_principal is not None \
                    and all(_names(snap, kind, value) for kind, value in chosen):
                return snap
        raise IdentityRefused(400, NO_IDENTITY, detail=f"{chosen or 'system-assigned'} in "
                              f"{tenant.default_domain}")

    async def _issue(self, snap: ClientSnapshot, resource: str, now: float,
                     facts: SignInFacts) -> dict[str, str]:
        """The client-credentials grant for the identity's service principal (v1 shape:
        ``resource``), reshaped as the managed-identity protocol answers."""
        app = snap.application
        facts.presented = Presented(METHOD, app.app_id, None, None)
        client = facts.client = AuthenticatedClient(application=app, method=METHOD, acr="2")
        request = TokenRequest("client_credentials", app.app_id, None, resource, None, None,
                               None, None, MappingProxyType({}))
        body = await self._grant.issue(GrantCall(request, snap.tenant, snap, client, 1, now,
                                                 facts))
        return {"access_token": str(body["access_token"]), "expires_on": str(body["expires_on"]),
                "resource": resource, "token_type": "Bearer", "client_id": app.app_id}

    def _record(self, now: float, request: IdentityRequest, err: OAuthError | None) -> None:
        self._audit.add(token_event(now, request.facts, err,
                                    correlation_id=request.correlation_id,
                                    ip_address=request.peer))
        metrics.token_request(METHOD, err.code if err else 0)


def _names(snap: ClientSnapshot, kind: str, value: str) -> bool:
    """Whether ``client_id`` (appId), ``principal_id``/``object_id`` (the service principal's
    object id) or ``mi_res_id`` (a resource id whose last segment is the appId or the
    display name) names this identity."""
    sp = snap.service_principal
    value = value.lower()
    if kind == "client_id":
        return value == snap.application.app_id.lower()
    if kind in ("principal_id", "object_id"):
        return sp is not None and value == sp.id.lower()
    last = value.rstrip("/").rsplit("/", 1)[-1]
    return last in (snap.application.app_id.lower(), snap.application.display_name.lower())
