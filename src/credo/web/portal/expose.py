"""Expose an API: the Application ID URI, app roles ("Create app role") and delegated scopes
("Add a scope"), each change one ``PATCH /applications/{id}`` of the member it touches.

A role or scope is disabled before it is deleted (the API refuses otherwise, as Entra does);
the form's fields carry the API's messages for the new entry beside them.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from credo.web.portal.frame import Portal
from credo.web.portal.graph import GraphFailure

MEMBER_TYPES = {"Application": ["Application"], "User": ["User"],
                "Both": ["User", "Application"]}
CONSENT = {"Admin": "Admins only", "User": "Admins and users"}
ROLE_FIELDS = ("displayName", "value", "description", "allowedMemberTypes")
SCOPE_FIELDS = ("value", "type", "adminConsentDisplayName", "adminConsentDescription",
                "userConsentDisplayName", "userConsentDescription")


async def page(portal: Portal) -> Response:
    app_ref = portal.request.path_params["app"]
    app = await portal.graph.get(f"/applications/{app_ref}")
    if portal.request.method == "POST":
        try:
            await portal.graph.send("PATCH", f"/applications/{app_ref}", _change(portal, app))
        except GraphFailure as err:
            if err.status not in (400, 409):
                raise
            return _render(portal, app, err, status=400)
        return portal.back(f"/apps/{app_ref}/expose", saved=portal.form.get("action"))
    return _render(portal, app, None)


def _change(portal: Portal, app: dict[str, Any]) -> dict[str, Any]:
    form, action = portal.form, portal.form.get("action")
    roles, scopes = list(app["appRoles"]), list(app["api"]["oauth2PermissionScopes"])
    if action == "uri":
        uri = form.get("identifierUri").strip()
        return {"identifierUris": [uri] if uri else []}
    if action == "add-role":
        roles.append({"id": portal.services.sources.new_id(), "isEnabled": True,
                      "allowedMemberTypes": MEMBER_TYPES.get(form.get("memberTypes"), []),
                      **{k: form.get(k).strip() for k in ROLE_FIELDS[:3]}})
    elif action == "add-scope":
        scopes.append({"id": portal.services.sources.new_id(), "isEnabled": True,
                       **{k: form.get(k).strip() or None for k in SCOPE_FIELDS}})
    elif action in ("enable", "disable", "delete"):
        entry = form.get("id")
        roles, scopes = (_toggle(items, entry, action) for items in (roles, scopes))
    if action.endswith("scope") or any(s["id"] == form.get("id") for s in
                                       app["api"]["oauth2PermissionScopes"]):
        return {"api": {**app["api"], "oauth2PermissionScopes": scopes}}
    return {"appRoles": roles}


def _toggle(items: list[dict[str, Any]], entry: str, action: str) -> list[dict[str, Any]]:
    if action == "delete":
        return [i for i in items if i["id"] != entry]
    return [{**i, "isEnabled": action == "enable"} if i["id"] == entry else i for i in items]


def _render(portal: Portal, app: dict[str, Any], err: GraphFailure | None, *,
            status: int = 200) -> Response:
    form = portal.form
    action = form.get("action") if err else ""
    new_role = f"appRoles[{len(app['appRoles'])}]"
    new_scope = f"api.oauth2PermissionScopes[{len(app['api']['oauth2PermissionScopes'])}]"
    prefix = {"add-role": new_role, "add-scope": new_scope, "uri": "identifierUris"}.get(
        action, "")
    fields = ROLE_FIELDS if action == "add-role" else SCOPE_FIELDS
    errors = {f: err.for_field(f"{prefix}.{f}") for f in fields} if err and prefix else {}
    if err and action == "uri":
        errors = {"identifierUri": err.for_field("identifierUris")}
    shown = {m for found in errors.values() for m in found}
    other = [f"{t}: {m}" for t, m in (err.details if err else []) if m not in shown]
    return portal.render(
        "app_expose.html", status=status, title=f"{app['displayName']} · Expose an API",
        app=app, tab="expose", action=action, errors=errors, other=other,
        summary=err.message if err else "", values=form.fields if err else {},
        saved=portal.request.query_params.get("saved", ""), member_types=MEMBER_TYPES,
        consent=CONSENT, can_write=portal.can_change(app))
