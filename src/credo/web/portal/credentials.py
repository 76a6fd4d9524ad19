"""Certificates & secrets: "Upload certificate", "New client secret", and removing either.

A certificate file (.cer, .crt or .pem; DER or PEM) goes to ``addKey`` as it is, and the
API says what is wrong with it. The list shows each certificate's thumbprint as Entra does
(SHA-1, upper-case hex) and its SHA-256, its validity and a warning when it expires within
``EXPIRING_DAYS``. A new client secret's value is in this one answer only (``no-store``),
with a copy button.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import Response

from credo.web.portal.frame import Portal
from credo.web.portal.graph import GraphFailure

SECRET_DAYS = {"90": "90 days (3 months)", "180": "180 days (6 months, recommended)",
               "365": "365 days (12 months)", "730": "730 days (24 months)"}
PEM = b"-----BEGIN"
EXPIRING_DAYS = 30


def parse_time(text: str) -> datetime:
    """A Graph ``DateTimeOffset`` (``2026-01-01T00:00:00Z``) as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def credential_state(app: dict[str, Any], now: datetime) -> str:
    """Entra's status column: "", "Current", "Expiring soon" or "Expired"."""
    ends = [parse_time(c["endDateTime"]) for c in
            (*app.get("keyCredentials", []), *app.get("passwordCredentials", []))]
    if not ends:
        return ""
    latest = max(ends)
    if latest < now:
        return "Expired"
    return "Expiring soon" if latest < now + timedelta(days=EXPIRING_DAYS) else "Current"


def certificate_rows(app: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    return [{**key, **_thumbprints(key.get("key")), "warning": _warning(key, now)}
            for key in app["keyCredentials"]]


def _thumbprints(key: str | None) -> dict[str, str]:
    try:
        der = base64.b64decode(key or "", validate=True)
    except (ValueError, binascii.Error):
        der = b""
    if not der:
        return {"sha1": "", "sha256": ""}
    return {"sha1": hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - a thumbprint
            "sha256": hashlib.sha256(der).hexdigest().upper()}


def _warning(credential: dict[str, Any], now: datetime) -> str:
    end = parse_time(credential["endDateTime"])
    if end < now:
        return "Expired"
    if end < now + timedelta(days=EXPIRING_DAYS):
        return f"Expires in {max((end - now).days, 0)} days"
    return ""


async def page(portal: Portal) -> Response:
    app_ref = portal.request.path_params["app"]
    outcome: dict[str, Any] = {}
    if portal.request.method == "POST":
        try:
            outcome = await _act(portal, app_ref)
        except GraphFailure as err:
            if err.status not in (400, 409):
                raise
            outcome = ({"upload_errors": [m for _, m in err.details] or [err.message]}
                       if portal.form.get("action") == "upload" else {"error": err})
    app = await portal.graph.get(f"/applications/{app_ref}")
    now = portal.services.sources.now()
    status = 400 if {"error", "upload_errors"} & set(outcome) else 200
    return portal.render("app_credentials.html", status=status,
                         title=f"{app['displayName']} · Certificates & secrets", app=app,
                         tab="credentials", certificates=certificate_rows(app, now),
                         secrets=[{**s, "warning": _warning(s, now)}
                                  for s in app["passwordCredentials"]],
                         secret_days=SECRET_DAYS, can_write=portal.can_change(app),
                         **{"notice": "", "error": None, "upload_errors": [],
                            "new_secret": None, **outcome})


async def _act(portal: Portal, app_ref: str) -> dict[str, Any]:
    form, graph = portal.form, portal.graph
    action = form.get("action")
    if action == "upload":
        await graph.send("POST", f"/applications/{app_ref}/addKey", {"keyCredential": {
            "type": "AsymmetricX509Cert", "usage": "Verify", "key": _key(portal),
            "displayName": form.get("description").strip() or None}})
        return {"notice": "Certificate uploaded."}
    if action == "new-secret":
        days = int(form.get("expires")) if form.get("expires") in SECRET_DAYS else 180
        end = portal.services.sources.now() + timedelta(days=days)
        created = await graph.send("POST", f"/applications/{app_ref}/addPassword", {
            "passwordCredential": {"displayName": form.get("description").strip() or None,
                                   "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")}})
        return {"new_secret": created}
    if action in ("remove-key", "remove-secret"):
        path = "removeKey" if action == "remove-key" else "removePassword"
        await graph.send("POST", f"/applications/{app_ref}/{path}", {"keyId": form.get("keyId")})
        return {"notice": "Certificate removed." if action == "remove-key" else "Secret removed."}
    return {}


def _key(portal: Portal) -> str:
    """The uploaded file as the API takes it: PEM text, or the base64 of DER bytes."""
    upload = portal.form.files.get("certificate")
    data = upload.data if upload else b""
    if data.lstrip().startswith(PEM):
        return data.decode("ascii", errors="replace")
    return base64.b64encode(data).decode("ascii")
