"""The authorization endpoint's pipeline (RFC 6749 §4.1.1-4.1.2, §4.2; OIDC Core §3.1.2).

``prepare`` (errors become an error page, never a redirect — RFC 6749 §4.1.2.1):
tenant → client → redirect URI, exact match. ``decide`` (errors go to the redirect URI with
``state``): parse → signed in, freshly enough? → resource and consent → consent page or
record the consent → issue the code and/or tokens. The web layer renders the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlencode

from credo.aadsts import user as user_errors
from credo.aadsts.client import CLIENT_NOT_FOUND
from credo.errors import OAuthError
from credo.model import (
    Application,
    AuditEvent,
    AuthorizationCode,
    ServicePrincipal,
    Tenant,
    User,
)
from credo.protocol import authorize
from credo.protocol.authorize import AuthorizeRequest, ResponseMode
from credo.protocol.grants.authorization_code import expires_at
from credo.protocol.user_consent import must_prompt
from credo.protocol.user_tokens import response_scope
from credo.service.audit import AuditBuffer
from credo.service.authorize.outcomes import (
    ConsentPrompt,
    Decision,
    ErrorPage,
    Outcome,
    Prepared,
    Respond,
    SignedIn,
    SignIn,
)
from credo.service.snapshots import DirectoryCache
from credo.service.sources import SYSTEM, Sources
from credo.service.tenants import page_tenant
from credo.service.user_consent import UserConsentService
from credo.service.user_tokens import CODE_PURPOSE, Resolved, UserTokens, new_secret
from credo.store.api import FlowStore


class AuthorizeService:
    def __init__(self, *, cache: DirectoryCache, access: UserTokens,
                 consent: UserConsentService, flows: FlowStore, audit: AuditBuffer,
                 sources: Sources = SYSTEM) -> None:
        self._cache = cache
        self._access = access
        self._consent = consent
        self._flows = flows
        self._audit = audit
        self._sources = sources

    async def prepare(self, segment: str, version: Literal[1, 2],
                      params: Mapping[str, str]) -> Prepared | ErrorPage:
        """Tenant, client, redirect URI: nothing after this may be trusted before it."""
        try:
            tenant = await page_tenant(self._cache, segment)
            client_id, redirect_uri = authorize.client_and_redirect(params)
            app, sp = await self._client(tenant, client_id)
            redirect = authorize.match_redirect(app, redirect_uri)
        except OAuthError as err:
            return ErrorPage(err)
        return Prepared(tenant, segment, version, dict(params), app, sp, redirect)

    async def _client(self, tenant: Tenant, client_id: str
                      ) -> tuple[Application, ServicePrincipal | None]:
        """The app, installed here (it has a service principal) or a multi-tenant app of
        another tenant, which the user's consent will install."""
        snap = await self._cache.client(tenant, client_id)
        if snap is not None:
            app, sp = snap.application, snap.service_principal
            if sp is not None or (app.multi_tenant and app.tenant_id != tenant.id):
                return app, sp
        raise CLIENT_NOT_FOUND(client_id=client_id, tenant=tenant.default_domain)

    async def decide(self, prepared: Prepared, signed: SignedIn | None, *,
                     decision: Decision | None = None, for_org: bool = False) -> Outcome:
        """Everything after ``prepare``; every ``OAuthError`` is sent to the redirect URI."""
        params = prepared.params
        mode = authorize.delivery_mode(params)
        state = params.get("state") or None
        try:
            req = authorize.parse_request(params, prepared.client, prepared.redirect,
                                          prepared.version)
            mode = req.response_mode
            return await self._decide(prepared, req, signed, decision, for_org)
        except OAuthError as err:
            self._record(prepared, signed, err)
            return self._error(prepared, err, mode, state)

    async def _decide(self, prepared: Prepared, req: AuthorizeRequest,
                      signed: SignedIn | None, decision: Decision | None,
                      for_org: bool) -> Outcome:
        now = self._sources.clock()
        if signed is None or self._stale(req, signed, now):
            if "none" in req.prompt:
                raise user_errors.LOGIN_REQUIRED()
            return SignIn(self._return_to(prepared))
        user = signed.user
        resolved = await self._access.resolve(prepared.tenant, prepared.client,
                                              prepared.client_sp, req.scopes, user)
        is_admin = bool(user.directory_roles)
        if decision == "cancel":
            self._consent.declined(prepared.tenant, prepared.client, user)
            raise user_errors.USER_DECLINED()
        if decision == "accept":
            resolved = await self._record_consent(prepared, req, resolved, user,
                                                  for_org and is_admin)
        elif self._must_prompt(prepared, req, resolved, is_admin):
            return ConsentPrompt(prepared, req, resolved.resource_app, resolved.state, is_admin)
        return await self._issue(prepared, req, signed, resolved, now)

    @staticmethod
    def _stale(req: AuthorizeRequest, signed: SignedIn, now: float) -> bool:
        """OIDC Core §3.1.2.1: ``prompt=login`` and ``max_age`` ask for a fresh sign-in."""
        if "login" in req.prompt:
            return True
        return req.max_age is not None and now - signed.auth_time > req.max_age

    @staticmethod
    def _return_to(prepared: Prepared) -> str:
        """The same request after sign-in, minus what would ask for it again."""
        kept = {k: v for k, v in prepared.params.items() if k != "max_age"}
        prompt = " ".join(w for w in kept.get("prompt", "").split() if w != "login")
        if prompt:
            kept["prompt"] = prompt
        else:
            kept.pop("prompt", None)
        return f"{prepared.path()}?{urlencode(kept)}"

    @staticmethod
    def _must_prompt(prepared: Prepared, req: AuthorizeRequest, resolved: Resolved,
                     is_admin: bool) -> bool:
        new_here = prepared.client_sp is None  # a multi-tenant app not yet in this tenant
        if resolved.state is None:
            if new_here and "none" in req.prompt:
                raise user_errors.NOT_CONSENTED(client_id=prepared.client.app_id,
                                                client_name=prepared.client.display_name[:100])
            return new_here or "consent" in req.prompt
        return must_prompt(resolved.state, prompt=req.prompt, is_admin=is_admin,
                           client=prepared.client) or new_here

    async def _record_consent(self, prepared: Prepared, req: AuthorizeRequest,
                              resolved: Resolved, user: User, for_org: bool) -> Resolved:
        """The consent page's Accept: write what was missing, then resolve again."""
        missing = resolved.state.missing if resolved.state is not None else ()
        if resolved.state is not None:
            must_prompt(resolved.state, prompt=frozenset(),
                        is_admin=bool(user.directory_roles), client=prepared.client)
        await self._consent.consent(
            tenant=prepared.tenant, client=prepared.client, client_sp=prepared.client_sp,
            resource_sp=resolved.resource_sp, scopes=missing, user=user, for_org=for_org)
        snap = await self._cache.client(prepared.tenant, prepared.client.app_id)
        sp = snap.service_principal if snap is not None else None
        return await self._access.resolve(prepared.tenant, prepared.client, sp, req.scopes,
                                          user)

    async def _issue(self, prepared: Prepared, req: AuthorizeRequest, signed: SignedIn,
                     resolved: Resolved, now: float) -> Respond:
        """RFC 6749 §4.1.2 (code), §4.2.2 (token); OIDC Core §3.2.2.5, §3.3.2.5."""
        app = prepared.client
        subject = self._access.subject(signed.user, app.app_id, signed.auth_time,
                                       signed.session_id)
        out: list[tuple[str, str]] = []
        code = None
        if "code" in req.response_types:
            code = await self._new_code(prepared, req, signed, now)
            out.append(("code", code))
        token = None
        if "token" in req.response_types:
            access = resolved.access(app, req.scopes)
            token = self._access.mint_access(access, subject, app.app_id, "0", now)
            out += [("access_token", token), ("token_type", "Bearer"),
                    ("expires_in", str(self._access.lifetime - 1)),
                    ("scope", response_scope(access, req.scopes.oidc))]
        if "id_token" in req.response_types:
            out.append(("id_token", self._access.mint_id_token(
                version=req.version, subject=subject, client_id=app.app_id, scopes=req.scopes,
                nonce=req.nonce, now=now, access_token=token, code=code)))
        if req.state is not None:
            out.append(("state", req.state))
        out.append(("session_state", signed.session_id))
        self._record(prepared, signed, None)
        return Respond(req.redirect_uri, req.response_mode, tuple(out))

    async def _new_code(self, prepared: Prepared, req: AuthorizeRequest, signed: SignedIn,
                        now: float) -> str:
        value = new_secret()
        moment = datetime.fromtimestamp(now, UTC)
        await self._flows.add_code(AuthorizationCode(
            code_hash=self._access.hash(CODE_PURPOSE, value), tenant_id=prepared.tenant.id,
            client_id=prepared.client.app_id, redirect_uri=req.redirect_uri,
            redirect_kind=req.redirect_kind, user_id=signed.user.id, scope=req.scopes.text(),
            resource=req.scopes.resource or "", code_challenge=req.code_challenge,
            nonce=req.nonce, auth_time=datetime.fromtimestamp(signed.auth_time, UTC),
            session_id=signed.session_id, family_id=self._sources.new_id(), version=req.version,
            created=moment, expires=expires_at(now)))
        return value

    def _error(self, prepared: Prepared, err: OAuthError, mode: ResponseMode,
               state: str | None) -> Respond:
        """RFC 6749 §4.1.2.1 / §4.2.2.1: the error, its description and ``state``."""
        out = [("error", err.error), ("error_description", f"{err.aadsts}: {err.description} "
                                      f"Trace ID: {self._sources.new_id()}"),
               ("error_uri", f"https://login.microsoftonline.com/error?code={err.code}")]
        if state is not None:
            out.append(("state", state))
        return Respond(prepared.redirect[0], mode, tuple(out))

    def _record(self, prepared: Prepared, signed: SignedIn | None,
                err: OAuthError | None) -> None:
        who = signed.user.user_principal_name if signed is not None else "(no session)"
        self._audit.add(AuditEvent(
            time=self._sources.now(), tenant_id=prepared.tenant.id, kind="authorize",
            outcome="failure" if err else "success", client_id=prepared.client.app_id,
            code=err.code if err else 0,
            detail=f"{who}: {err.description if err else 'issued'}"[:500],
            app_name=prepared.client.display_name,
            user_id=signed.user.id if signed is not None else "",
            user_principal_name=signed.user.user_principal_name if signed is not None else ""))
