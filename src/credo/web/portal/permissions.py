"""API permissions: what the app asks for (``requiredResourceAccess``) and whether each is
granted for the tenant; "Grant admin consent for …", revoke, remove.

The status comes from the app's service principal here: its app-role assignments
(application permissions) and its ``AllPrincipals`` delegated grants. "Grant admin consent"
runs Credo's own admin-consent flow (``/{tenant}/adminconsent`` with the portal's redirect
URI), where the rules of admin consent apply; for someone who may not grant, the button is
disabled with the reason beside it. Revoking an application permission deletes its
assignment; revoking a delegated one takes its value out of the grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from credo.service.management.policy import MANAGEMENT_APP_ID, ROLE_GRANTS
from credo.web.portal import render
from credo.web.portal.frame import Portal
from credo.web.portal.graph import Graph, GraphFailure
from credo.web.portal.signin import consent_url


@dataclass(frozen=True)
class Row:
    api: str
    api_app_id: str
    kind: str  # "Application" or "Delegated"
    id: str
    value: str
    description: str
    granted: bool
    assignment_id: str = ""


async def page(portal: Portal) -> Response:
    app_ref = portal.request.path_params["app"]
    app = await portal.graph.get(f"/applications/{app_ref}")
    if portal.request.method == "POST":
        return await _act(portal, app)
    sp = await principal(portal.graph, app["appId"])
    rows = await _rows(portal.graph, app, sp)
    return portal.render(
        "app_permissions.html", title=f"{app['displayName']} · API permissions", app=app,
        tab="permissions", rows=rows, consent_blocked=(
            "Credo's own application: its permissions are set up by Credo."
            if portal.builtin(app["appId"]) else _consent_blocked(portal, rows)),
        outcome=portal.request.query_params.get("consent", ""),
        added=portal.request.query_params.get("added", ""),
        can_write=portal.can_change(app),
        can_grant=portal.can(ROLE_GRANTS) and not portal.builtin(app["appId"]))


async def principal(graph: Graph, app_id: str) -> dict[str, Any] | None:
    """The app's service principal in this tenant, or None."""
    try:
        return await graph.get(f"/servicePrincipals(appId='{app_id}')")
    except GraphFailure as err:
        if err.status == 404:
            return None
        raise


async def _rows(graph: Graph, app: dict[str, Any], sp: dict[str, Any] | None) -> list[Row]:
    roles: dict[tuple[str, str], str] = {}
    scopes: dict[str, set[str]] = {}
    if sp is not None:
        for a in await graph.values(f"/servicePrincipals/{sp['id']}/appRoleAssignments"):
            roles[(a["resourceId"], a["appRoleId"])] = a["id"]
        for g in await graph.values(f"/servicePrincipals/{sp['id']}/oauth2PermissionGrants"):
            if g["consentType"] == "AllPrincipals":
                scopes.setdefault(g["resourceId"], set()).update(g["scope"].split())
    rows: list[Row] = []
    for required in app["requiredResourceAccess"]:
        api = await principal(graph, required["resourceAppId"])
        for access in required["resourceAccess"]:
            rows.append(_row(api, required["resourceAppId"], access, roles, scopes))
    return rows


def _row(api: dict[str, Any] | None, api_app_id: str, access: dict[str, Any],
         roles: dict[tuple[str, str], str], scopes: dict[str, set[str]]) -> Row:
    name = api["displayName"] if api else f"Unknown API {api_app_id}"
    if access["type"] == "Role":
        role = next((r for r in (api or {}).get("appRoles", []) if r["id"] == access["id"]),
                    None)
        granted = roles.get((api["id"], access["id"]), "") if api else ""
        return Row(name, api_app_id, "Application", access["id"],
                   role["value"] if role else access["id"],
                   role["description"] if role else "Not defined by the API", bool(granted),
                   granted)
    scope = next((s for s in (api or {}).get("oauth2PermissionScopes", [])
                  if s["id"] == access["id"]), None)
    value = scope["value"] if scope else access["id"]
    held = scopes.get(api["id"], set()) if api else set()
    return Row(name, api_app_id, "Delegated", access["id"], value,
               scope["adminConsentDescription"] if scope else "Not defined by the API",
               value in held)


def _consent_blocked(portal: Portal, rows: list[Row]) -> str:
    """Why "Grant admin consent" is unavailable to this person ("" when it is available)."""
    tenant = portal.tenant.display_name
    if not rows:
        return "Add a permission first."
    if not portal.can(ROLE_GRANTS):
        return (f"Only an administrator of {tenant} (a Global Administrator, Application "
                "Administrator or Cloud Application Administrator) can grant admin consent. "
                "Ask one of them to grant it.")
    user = portal.caller.user
    if any(r.api_app_id == MANAGEMENT_APP_ID and r.kind == "Application" for r in rows) and (
            user is None or "Global Administrator" not in user.directory_roles):
        return ("The permissions of the Credo Management API can be granted only by a Global "
                f"Administrator of {tenant}.")
    return ""


async def _act(portal: Portal, app: dict[str, Any]) -> Response:
    form, graph, action = portal.form, portal.graph, portal.form.get("action")
    base = f"/apps/{app['id']}/permissions"
    if action == "consent":
        return render.redirect(consent_url(portal, app["id"], app["appId"]))
    if action == "remove":
        kept = [{**r, "resourceAccess": [a for a in r["resourceAccess"]
                                         if a["id"] != form.get("id")]}
                if r["resourceAppId"] == form.get("api") else r
                for r in app["requiredResourceAccess"]]
        await graph.send("PATCH", f"/applications/{app['id']}", {
            "requiredResourceAccess": [r for r in kept if r["resourceAccess"]]})
        return portal.back(base)
    if action == "revoke":
        await _revoke(graph, app, form.get("api"), form.get("id"), form.get("assignment"))
    return portal.back(base)


async def _revoke(graph: Graph, app: dict[str, Any], api_app_id: str, permission: str,
                  assignment: str) -> None:
    sp = await principal(graph, app["appId"])
    if sp is None:
        return
    if assignment:
        await graph.send("DELETE", f"/servicePrincipals/{sp['id']}/appRoleAssignments/"
                                   f"{assignment}")
        return
    api = await principal(graph, api_app_id)
    scope = next((s["value"] for s in (api or {}).get("oauth2PermissionScopes", [])
                  if s["id"] == permission), None)
    for grant in await graph.values(f"/servicePrincipals/{sp['id']}/oauth2PermissionGrants"):
        if api and grant["resourceId"] == api["id"] and grant["consentType"] == "AllPrincipals":
            kept = " ".join(v for v in grant["scope"].split() if v != scope)
            await (graph.send("PATCH", f"/oauth2PermissionGrants/{grant['id']}", {"scope": kept})
                   if kept else graph.send("DELETE", f"/oauth2PermissionGrants/{grant['id']}"))
