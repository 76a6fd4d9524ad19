"""The signed-in person's management API: ``/v1.0`` called in-process with their token.

The portal holds no power of its own. Every read and write is a request to the very
management application mounted at ``/v1.0`` (web/app.py), with the person's delegated access
token as its bearer token, so the API's rules (scp within the user's directory roles), its
Graph-shaped errors and its directory-audit events apply exactly as to any other client.
The request runs in this process (httpx's ASGI transport, no network hop or TLS), with the
browser's address as the client address, so the audit log names the right one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp

ROOT = "/v1.0"
_SEGMENT = re.compile(r"[A-Za-z0-9@$()'=_~+,;:!*-][A-Za-z0-9@$()'=_~+,;:!*.-]*")
"""A path segment as the pages build them (ids, ``appId='…'``, UPNs, ``$ref``); no ``.`` or
``..`` segment, no ``?``, ``#``, ``%``, ``/``, space or control character inside one."""


@dataclass(eq=False)
class GraphFailure(Exception):
    """A Graph error answer: shown on the page, field errors beside their fields."""

    status: int
    code: str
    message: str
    details: list[tuple[str, str]] = field(default_factory=list)
    """``(target, message)`` of each bad field (Graph ``error.details``)."""
    request_id: str = ""

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def for_field(self, target: str) -> list[str]:
        return [m for t, m in self.details if t == target or t.startswith(f"{target}.")
                or t.startswith(f"{target}[")]


class Graph:
    """``/v1.0`` as the signed-in person, from within this process."""

    def __init__(self, app: ASGIApp, base_url: str, token: str, address: str) -> None:
        self._app = app
        self._base = base_url
        self._token = token
        self._address = address

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        found = await self.send("GET", path, params=params)
        assert found is not None
        return found

    async def values(self, path: str) -> list[dict[str, Any]]:
        """The ``value`` of a collection."""
        return list((await self.get(path))["value"])

    async def send(self, method: str, path: str, body: Any = None, *,
                   params: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The JSON answer (None for 204); ``GraphFailure`` for an error answer.

        ``path`` holds values from the page's URL and form (ids, a UPN): a segment that is
        not one (``..``, ``?``, ``%``, a control character) is Graph's 404 before anything is
        sent, so a page's form never reaches another route of the API."""
        if not all(_SEGMENT.fullmatch(part) for part in path.split("/")[1:]):
            raise GraphFailure(404, "Request_ResourceNotFound",
                               "Resource does not exist or one of its queried "
                               "reference-property objects are not present.")
        transport = httpx.ASGITransport(app=self._app, root_path=ROOT,
                                        client=(self._address, 0))
        async with httpx.AsyncClient(transport=transport, base_url=self._base) as http:
            response = await http.request(
                method, ROOT + path, params=params, json=body,
                headers={"Authorization": f"Bearer {self._token}"})
        if response.status_code >= 400:
            raise _failure(response)
        return None if response.status_code == 204 else dict(response.json())


def _failure(response: httpx.Response) -> GraphFailure:
    try:
        error = response.json()["error"]
        details = [(str(d.get("target", "")), str(d.get("message", "")))
                   for d in error.get("details") or []]
        return GraphFailure(response.status_code, str(error["code"]), str(error["message"]),
                            details, response.headers.get("request-id", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return GraphFailure(response.status_code, "generalException",
                            "The management API answered with an unexpected body.",
                            request_id=response.headers.get("request-id", ""))
