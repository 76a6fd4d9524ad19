"""``POST /{tenant}/oauth2/token`` and ``/{tenant}/oauth2/v2.0/token`` as a raw ASGI route.

The hot path skips the framework (``bench/`` measures Starlette's form handling at about a
fifth of a token's CPU budget): refuse a body that is not a form, read the capped body,
hand the raw parts to the token service, write the JSON, and write the access line and
latency observation itself (``access.answered``). Every other path falls through to the
access-logged Starlette application.
"""

from __future__ import annotations

import re
import time
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from credo.aadsts.request import BODY_TOO_LARGE_PLAIN, TOKEN_METHOD
from credo.config import Settings
from credo.errors import OAuthError
from credo.protocol.forms import MAX_BODY, check_form_type
from credo.service.token import TokenCall, TokenService
from credo.web import render
from credo.web.access import answered, note_caller
from credo.web.body import BodyTooLarge, header, read_body
from credo.web.client_address import client_address

TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/(v2\.0/)?token/?$")
TOKEN_ROUTES = {False: "/{tenant}/oauth2/token", True: "/{tenant}/oauth2/v2.0/token"}


class TokenEndpoint:
    """The outermost ASGI layer: answers the two token paths, passes everything else on."""

    def __init__(self, tokens: TokenService, fallback: ASGIApp, settings: Settings) -> None:
        self._settings = settings
        self._tokens = tokens
        self._fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = TOKEN_PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None:
            await self._fallback(scope, receive, send)
            return
        started = time.perf_counter()
        correlation = render.correlation_id(
            header(scope, b"client-request-id") or header(scope, b"x-ms-client-request-id"))
        status = 500  # what the access line says if anything below fails unexpectedly
        try:
            status, headers, payload = await self._answer(scope, receive, match, correlation)
            headers = [*headers, (b"content-length", str(len(payload)).encode()),
                       (b"client-request-id", correlation.encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
        finally:
            answered(scope, TOKEN_ROUTES[match.group(2) is not None], status, correlation,
                     time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive, match: re.Match[str],
                      correlation: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        version: Literal[1, 2] = 2 if match.group(2) else 1
        try:
            if scope["method"] != "POST":
                raise TOKEN_METHOD(method=scope["method"][:10], headers={"Allow": "POST"})
            check_form_type(header(scope, b"content-type"))
            try:
                body = await read_body(scope, receive, MAX_BODY)
            except BodyTooLarge:
                raise BODY_TOO_LARGE_PLAIN() from None
            call = TokenCall(match.group(1), version, body, header(scope, b"authorization"),
                             scope.get("query_string", b"").decode("latin-1"), correlation,
                             client_address(scope, self._settings))
            try:
                result = await self._tokens.token(call)
            finally:  # the client id only once it names a registered app
                facts = call.facts
                note_caller(scope, facts.tenant.id if facts.tenant else "",
                            facts.snapshot.application.app_id if facts.snapshot else "")
            return 200, render.NO_STORE, render.json_bytes(result)
        except OAuthError as err:
            return render.oauth_error(err, correlation)
