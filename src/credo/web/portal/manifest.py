"""Manifest: view, edit, download and upload the application's JSON ("Manage manifest").

Save and Upload send the whole document to ``PATCH /applications/{id}``, which changes
nothing unless every member is valid and otherwise names each bad one; the page then shows
the document with every message beside its member (manifest_view.py), and keeps what was
typed in the editor. A ``keyCredentials`` entry made by ``credo cert keycredential`` is
accepted when pasted (the API reads ``key`` as base64 DER or PEM).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.responses import Response

from credo.web.portal import render
from credo.web.portal.frame import Portal
from credo.web.portal.graph import GraphFailure
from credo.web.portal.manifest_view import Line, annotate, annotate_text

_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _document(app: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in app.items() if not k.startswith("@odata.")}


async def page(portal: Portal) -> Response:
    app_ref = portal.request.path_params["app"]
    app = await portal.graph.get(f"/applications/{app_ref}")
    if portal.request.query_params.get("download"):
        return _download(app)
    if portal.request.method != "POST":
        text = json.dumps(_document(app), indent=2, ensure_ascii=False)
        return _render(portal, app, text, notice="saved" in portal.request.query_params)
    text = _submitted(portal)
    try:
        doc = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        msg = getattr(exc, "msg", str(exc))
        return _render(portal, app, text, lines=annotate_text(text, line, column, msg),
                       summary="The manifest is not valid JSON.", status=400)
    except RecursionError:
        return _render(portal, app, text, lines=annotate_text(
            text, 1, 1, "arrays and objects are nested more deeply than Credo reads"),
                       summary="The manifest cannot be read.", status=400)
    try:
        await portal.graph.send("PATCH", f"/applications/{app_ref}", doc)
    except GraphFailure as err:
        if err.status not in (400, 409):
            raise
        return _render(portal, app, text, lines=annotate(doc, err.details or [("$", "")]),
                       summary=err.message, status=err.status)
    return portal.back(f"/apps/{app_ref}/manifest", saved="1")


def _submitted(portal: Portal) -> str:
    if portal.form.get("action") == "upload":
        upload = portal.form.files.get("file")
        return upload.data.decode("utf-8", errors="replace") if upload else ""
    return portal.form.get("manifest")


def _render(portal: Portal, app: dict[str, Any], text: str, *, lines: list[Line] | None = None,
            summary: str = "", notice: bool = False, status: int = 200) -> Response:
    problems = [m for line in lines or [] for m in line.errors]
    return portal.render("app_manifest.html", status=status,
                         title=f"{app['displayName']} · Manifest", app=app, tab="manifest",
                         text=text, lines=lines or [], problems=problems, summary=summary,
                         notice=notice, can_write=portal.can_change(app))


def _download(app: dict[str, Any]) -> Response:
    name = _FILENAME.sub("-", str(app["displayName"])).strip("-")[:60] or "manifest"
    body = json.dumps(_document(app), indent=2, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type="application/json", headers={
        **render.HEADERS, "Content-Disposition": f'attachment; filename="{name}.json"'})


def _finite(text: str) -> float:
    """A JSON number as a float, refusing one past a float's range (``1e400``), which JSON
    allows but cannot be sent on (RFC 8259 §6)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _no_constant(text: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259 §6)."""
    raise ValueError(f"{text} is not a JSON value")
