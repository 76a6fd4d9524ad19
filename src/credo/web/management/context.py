"""Per-request plumbing of the management API: ids, size cap, audit, Graph-shaped errors.

Every response carries ``request-id`` and ``client-request-id`` (the caller's, echoed when it
is a sane token, else the request id), as Microsoft Graph does. Bodies over ``MAX_BODY`` are
refused before parsing. Each write (POST, PATCH, DELETE) by an authenticated caller, and
each refused call, leaves a directory-audit event: the activity the route stands for, its
targets (ids from the path, or the ``id`` and ``displayName`` of a created object), the
caller (the app, and the signed-in user of a delegated token) and the status; never a
request body, so never a secret.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credo import ijson
from credo.config import Settings
from credo.errors import (
    BadRequest,
    Conflict,
    DirectoryError,
    FieldError,
    Forbidden,
    GraphError,
    InvalidInput,
    NotFound,
    NotPermitted,
    ObjectConflict,
    ObjectNotFound,
    ServiceUnavailable,
    StoreUnavailable,
    Unauthenticated,
)
from credo.model import AuditEvent
from credo.service.audit import AuditBuffer
from credo.service.management.activities import describe
from credo.web import render
from credo.web.access import note_caller
from credo.web.body import BodyTooLarge, header, read_body
from credo.web.client_address import client_address

log = logging.getLogger("credo.management")

MAX_BODY = 1024 * 1024
RETRY_AFTER_SECONDS = 5
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_MAX_CREATED_CHUNKS = 4


class RequestContext:
    """ASGI middleware around the management FastAPI app."""

    def __init__(self, app: ASGIApp, audit: AuditBuffer, settings: Settings) -> None:
        self._settings = settings
        self._app = app
        self._audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        sent = header(scope, b"client-request-id")
        client_id = sent if sent and _CLIENT_REQUEST_ID.match(sent) else request_id
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        ids = [(b"request-id", request_id.encode()), (b"client-request-id", client_id.encode())]
        status = [500]
        created: list[bytes] = []

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                kept = [(k, v) for k, v in message.get("headers", [])
                        if k.lower() not in (b"request-id", b"client-request-id")]
                message = {**message, "headers": [*kept, *ids]}
            elif status[0] == 201 and len(created) < _MAX_CREATED_CHUNKS:
                created.append(message.get("body", b""))
            await send(message)

        try:
            body = await read_body(scope, receive, MAX_BODY)
        except BodyTooLarge:
            too_large = _graph_response(BadRequest("The request body is too large."), request_id,
                                        status=413)
            await too_large(scope, receive, send_with_ids)
            return
        refusal = _not_ijson(body)
        if refusal is not None:
            await _graph_response(refusal, request_id)(scope, receive, send_with_ids)
            return
        try:
            await self._app(scope, _replay(body, receive), send_with_ids)
        except Exception:
            log.exception("management request %s failed", request_id)
        self._record(scope, state, status[0], client_id, b"".join(created))

    def _record(self, scope: Scope, state: dict[str, Any], status: int, correlation: str,
                created: bytes) -> None:
        """Every write, and every refused call (an unauthenticated one included)."""
        caller = state.get("caller")
        if caller is not None:
            note_caller(scope, caller.tenant.id, caller.app_id)
        refused = status >= 400
        if not refused and scope["method"] not in _WRITES:
            return
        if caller is None and status != 401:
            return  # a malformed request refused before anyone was authenticated
        reason = f": {state['refusal']}" if refused and state.get("refusal") else ""
        root, path = scope.get("root_path", ""), scope["path"]
        path = path if path.startswith(root) else root + path  # as sent, whichever Starlette
        template = getattr(scope.get("route"), "path", "")
        activity, category, targets = describe(
            scope["method"], template, scope.get("path_params") or {}, _created(created))
        user = caller.user if caller is not None else None  # a delegated token's user
        self._audit.add(AuditEvent(
            time=datetime.now(UTC), tenant_id=caller.tenant.id if caller else "",
            kind=f"management.{scope['method'].lower()}",
            outcome="failure" if refused else "success",
            client_id=caller.app_id if caller else "", code=status,
            user_id=user.id if user else "",
            user_principal_name=user.user_principal_name if user else "",
            detail=f"{scope['method']} {path}{reason}"[:500],
            correlation_id=correlation, ip_address=client_address(scope, self._settings),
            activity=activity, category=category, targets=targets))


def _created(body: bytes) -> dict[str, str]:
    """``id`` and ``displayName`` of the object a 201 answer holds (nothing else is read)."""
    try:
        value = json.loads(body) if body else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: str(value[k])[:256] for k in ("id", "displayName") if isinstance(value.get(k), str)}


def _not_ijson(body: bytes) -> BadRequest | None:
    """A JSON body that is not I-JSON: a string that is not Unicode text (RFC 7493 §2.1),
    named by its path, or a member name given twice in one object (§2.3), which ``json``
    would read as its last value; other bodies, valid or not, are the route's to judge."""
    try:
        ijson.loads(body, unique_names=True)
    except ijson.NotUnicodeText as exc:
        return BadRequest("The request body is not valid.", details=[FieldError(
            exc.path, "Must be Unicode text: a lone UTF-16 surrogate is not a character.")])
    except ijson.DuplicateName as exc:
        return BadRequest("The request body is not valid.", details=[FieldError(
            exc.name, "Must appear once: the member names of a JSON object are unique.")])
    except (ValueError, RecursionError):
        pass
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = [False]

    async def replay() -> Message:
        if delivered[0]:
            return await receive()
        delivered[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or uuid.uuid4())


def _graph_response(err: GraphError, request_id: str, *, status: int | None = None) -> Response:
    response = render.graph_error_response(err, request_id)
    if status is not None:
        response.status_code = status
    if isinstance(err, Unauthenticated):
        # RFC 6750 §3: a protected resource answers a missing or bad token with this header.
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _location(loc: tuple[Any, ...]) -> str:
    """A JSON path like the manifest's: ``keyCredential.key``, ``$`` for the whole body."""
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path") else loc
    return ".".join(str(p) for p in parts) or "$"


async def _on_graph_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GraphError)
    request.state.refusal = exc.detail or exc.description
    if exc.detail:
        log.info("management %s: %s (%s)", exc.code, exc.description, exc.detail)
    return _graph_response(exc, _request_id(request))


_GRAPH_SHAPE: dict[type[DirectoryError], type[GraphError]] = {
    InvalidInput: BadRequest, NotPermitted: Forbidden, ObjectNotFound: NotFound,
    ObjectConflict: Conflict}
"""How a directory rule's refusal reads on the wire (Microsoft Graph error codes)."""


def as_graph_error(exc: DirectoryError) -> GraphError:
    """The Graph error for a refusal raised below ``web/``."""
    shape = next(g for d, g in _GRAPH_SHAPE.items() if isinstance(exc, d))
    return shape(exc.description, detail=exc.detail, details=exc.details)


async def _on_directory_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DirectoryError)
    return await _on_graph_error(request, as_graph_error(exc))


async def _on_unavailable(request: Request, exc: Exception) -> Response:
    """The database did not answer: Graph's 503 with ``Retry-After`` (RFC 9110 §15.6.4)."""
    assert isinstance(exc, StoreUnavailable)
    request.state.refusal = exc.description
    log.warning("management: %s (%s)", exc.description, exc.detail)
    response = _graph_response(ServiceUnavailable(
        "The service is temporarily unavailable. Retry after the Retry-After seconds."),
        _request_id(request))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [FieldError(_location(tuple(e.get("loc", ()))), str(e.get("msg", "invalid")))
               for e in exc.errors()]
    return _graph_response(BadRequest("The request is not valid.", details=details),
                           _request_id(request))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _graph_response(NotFound(
            f"Resource not found for the segment '{request.url.path[:200]}'."),
            _request_id(request))
    message = ("Specified HTTP method is not allowed for the request uri."
               if exc.status_code == 405 else str(exc.detail)[:200])
    response = _graph_response(BadRequest(message), _request_id(request), status=exc.status_code)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    """Internal detail goes to the log (by ``RequestContext``), never to the client."""
    body = {"error": {"code": "generalException", "message": "An internal error occurred.",
                      "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                                     "request-id": _request_id(request)}}}
    return Response(render.json_bytes(body), status_code=500, media_type="application/json")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GraphError, _on_graph_error)
    app.add_exception_handler(DirectoryError, _on_directory_error)
    app.add_exception_handler(StoreUnavailable, _on_unavailable)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
