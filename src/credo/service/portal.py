"""The admin portal as a client of Credo: authorization code + PKCE, tokens kept server-side.

The portal (``PORTAL_APP_ID``, a public client made by bootstrap.py) signs a person in to the
chosen tenant with the authorization code flow and PKCE (RFC 6749 §4.1, RFC 7636 §4.2 S256)
and calls the management API with the delegated token it gets, so it can do no more than
the person's directory roles allow (service/management/caller.py). Nothing is stored before
the callback: ``state`` is the tenant and the page to return to, MACed together with a
random per-browser flow secret (an HttpOnly cookie), and the PKCE verifier is another MAC of
the same values, so a callback from another browser, or with a changed ``state``, fails.
"Grant admin consent" sends the browser to Credo's admin-consent flow with the portal's
redirect URI and a ``state`` bound to the browser session in the same way.

Codes and refresh tokens are redeemed in-process through the token endpoint's own pipeline
(``TokenService``: the same checks, sign-in log and audit as over HTTP). The tokens are
sealed at rest and filed under the browser session (``PortalTokenStore``): they end with it
and never reach the browser. An access token within ``REFRESH_MARGIN`` seconds of expiry is
refreshed with the rotating refresh token, one refresh at a time per session in a process.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import weakref
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from credo import jose
from credo.errors import CredoError, JoseError, OAuthError
from credo.model import ObjectId, TenantId
from credo.protocol.pkce import s256
from credo.service.bootstrap import PORTAL_CALLBACK
from credo.service.management.policy import MANAGEMENT_SCOPE, PORTAL_APP_ID
from credo.service.sessions import SessionService, session_key
from credo.service.sources import SYSTEM, Sources
from credo.service.token import TokenCall, TokenService
from credo.store.api import PortalTokenStore

SCOPE = f"{MANAGEMENT_SCOPE} offline_access"
REFRESH_MARGIN = 120.0
"""Seconds before ``exp`` at which a request refreshes the access token first."""
MAX_STATE = 2048
CONSENT = "consent."
"""How an admin consent's ``state`` starts (a sign-in's never does: base64url of JSON)."""


class PortalSignInFailed(CredoError):
    """The portal's sign-in cannot be completed (another browser's or a changed ``state``,
    or tokens that are not the signed-in user's)."""


@dataclass(frozen=True)
class Session:
    """The browser session the portal files its tokens under."""

    cookie: str
    tenant_id: TenantId
    user_id: ObjectId


@dataclass(frozen=True)
class _Held:
    access_token: str
    refresh_token: str
    expires_at: float
    tenant_id: str
    user_id: str


class PortalSignIn:
    """Starts the portal's sign-in, redeems its callback, hands out fresh access tokens."""

    def __init__(self, *, base_url: str, tokens: TokenService, store: PortalTokenStore,
                 sessions: SessionService, sources: Sources = SYSTEM) -> None:
        self._base = base_url
        self._tokens = tokens
        self._store = store
        self._sessions = sessions
        self._sources = sources
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    @property
    def redirect_uri(self) -> str:
        return self._base + PORTAL_CALLBACK

    # -- the authorization request and its callback ------------------------------------
    def authorize_url(self, tenant_id: str, flow: str, return_to: str) -> str:
        """RFC 6749 §4.1.1 with RFC 7636 §4.3: where the browser signs in for the portal."""
        state = self._state(tenant_id, return_to, flow)
        query = urlencode({
            "client_id": PORTAL_APP_ID, "response_type": "code", "response_mode": "query",
            "redirect_uri": self.redirect_uri, "scope": SCOPE, "state": state,
            "code_challenge": s256(self._verifier(state, flow)),
            "code_challenge_method": "S256"})
        return f"{self._base}/{tenant_id}/oauth2/v2.0/authorize?{query}"

    def _state(self, tenant_id: str, return_to: str, flow: str) -> str:
        return self._bound("portal state", flow, [tenant_id, return_to])

    def _verifier(self, state: str, flow: str) -> str:
        """43 characters of ``[A-Za-z0-9_-]`` (RFC 7636 §4.1), never sent to the browser."""
        return self._sessions.csrf_token("portal pkce", flow, state)

    def read_state(self, state: str, flow: str) -> tuple[str, str]:
        """``(tenant id, return path)`` of a ``state`` this browser's flow made."""
        return self._unbound("portal state", flow, state, "The sign-in was started in "
                             "another browser window or has expired. Open the portal again.")

    # -- "Grant admin consent for …": Credo's admin-consent flow, answering to the portal --
    def consent_url(self, session_id: str, tenant_id: str, client_id: str,
                    app_object_id: str) -> str:
        """The admin-consent request for the app, whose answer comes back to the portal
        with a ``state`` bound to this browser session."""
        state = CONSENT + self._bound("portal consent", session_id, [tenant_id, app_object_id])
        query = urlencode({"client_id": client_id, "redirect_uri": self.redirect_uri,
                           "state": state})
        return f"{self._base}/{tenant_id}/adminconsent?{query}"

    def read_consent(self, state: str, session_id: str) -> tuple[str, str]:
        """``(tenant id, app object id)`` of a consent this session started."""
        return self._unbound("portal consent", session_id, state.removeprefix(CONSENT),
                             "This admin consent was not started from the portal in this "
                             "session.")

    def _bound(self, purpose: str, key: str, values: list[str]) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(values).encode()
                                           ).rstrip(b"=").decode("ascii")
        return f"{payload}.{self._sessions.csrf_token(purpose, key, payload)}"

    def _unbound(self, purpose: str, key: str, state: str, refusal: str) -> tuple[str, str]:
        payload, _, mac = state.partition(".")
        expected = self._sessions.csrf_token(purpose, key, payload)
        if len(state) > MAX_STATE or not key or not hmac.compare_digest(mac, expected):
            raise PortalSignInFailed(refusal, detail=f"{purpose} does not match its key")
        try:
            first, second = json.loads(base64.urlsafe_b64decode(payload + "=="))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise PortalSignInFailed("The answer is malformed.") from exc
        return str(first), str(second)

    async def redeem(self, session: Session, *, code: str, state: str, flow: str,
                     correlation: str, address: str) -> str:
        """RFC 6749 §4.1.3: the code for tokens, filed under ``session``; the return path.
        Raises ``OAuthError`` (the token endpoint's answer) or ``PortalSignInFailed``."""
        tenant_id, return_to = self.read_state(state, flow)
        answer = await self._token(tenant_id, correlation, address, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "code_verifier": self._verifier(state, flow), "scope": SCOPE})
        held = self._held(answer)
        if (held.tenant_id, held.user_id) != (session.tenant_id, session.user_id):
            raise PortalSignInFailed(
                "The account that signed in is not the one of this browser session. Open the "
                "portal again.", detail=f"token of {held.user_id}, session of {session.user_id}")
        await self._save(session, held)
        return return_to

    # -- tokens of a session -----------------------------------------------------------
    async def access_token(self, session: Session, *, correlation: str,
                           address: str) -> str | None:
        """A management access token of ``session`` valid for a while yet, refreshed when
        needed; None when there is none (or it can no longer be refreshed): sign in again."""
        key = session_key(session.cookie)
        if key is None:
            return None
        held = await self._load(key, session)
        if held is None or held.expires_at - self._sources.clock() > REFRESH_MARGIN:
            return held.access_token if held else None
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            held = await self._load(key, session)  # another request may have refreshed
            if held is None or held.expires_at - self._sources.clock() > REFRESH_MARGIN:
                return held.access_token if held else None
            try:
                answer = await self._token(session.tenant_id, correlation, address, {
                    "grant_type": "refresh_token", "refresh_token": held.refresh_token,
                    "scope": SCOPE})
            except OAuthError:
                await self._store.forget_portal_tokens(key)
                return None
            fresh = self._held(answer)
            await self._save(session, fresh)
            return fresh.access_token

    async def forget(self, cookie: str) -> None:
        key = session_key(cookie)
        if key is not None:
            await self._store.forget_portal_tokens(key)

    # -- plumbing -----------------------------------------------------------------------
    async def _token(self, tenant_id: str, correlation: str, address: str,
                     form: dict[str, str]) -> dict[str, Any]:
        body = urlencode({**form, "client_id": PORTAL_APP_ID}).encode("ascii")
        return await self._tokens.token(TokenCall(tenant_id, 2, body, None, "", correlation,
                                                  address))

    def _held(self, answer: dict[str, Any]) -> _Held:
        """The tokens of a token response this process just received from itself."""
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        try:
            claims = jose.parse_compact(str(access)).claims
        except JoseError as exc:
            raise PortalSignInFailed("The portal received no usable token.") from exc
        if not isinstance(refresh, str) or not isinstance(claims.get("exp"), int):
            raise PortalSignInFailed("The portal received no refresh token.")
        return _Held(str(access), refresh, float(claims["exp"]), str(claims.get("tid", "")),
                     str(claims.get("oid", "")))

    async def _save(self, session: Session, held: _Held) -> None:
        key = session_key(session.cookie)
        if key is None:
            raise PortalSignInFailed("The browser session is not valid.")
        await self._store.save_portal_tokens(key, json.dumps(asdict(held)).encode(),
                                             self._sources.now())

    async def _load(self, key: str, session: Session) -> _Held | None:
        payload = await self._store.portal_tokens(key)
        if payload is None:
            return None
        try:
            held = _Held(**json.loads(payload))
        except (ValueError, TypeError):
            return None  # not this version's: sign in again
        if (held.tenant_id, held.user_id) != (session.tenant_id, session.user_id):
            return None
        return held
