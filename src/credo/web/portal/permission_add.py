""""Add a permission": pick an API of the tenant, then its application permissions (app
roles open to applications) and delegated permissions (scopes); they are added to the app's
``requiredResourceAccess`` in one ``PATCH``. Nothing is granted here: that is admin consent.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from credo.web.portal.frame import Portal


def _offers(sp: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    roles = [r for r in sp["appRoles"]
             if r["isEnabled"] and "Application" in r["allowedMemberTypes"]]
    scopes = [s for s in sp["oauth2PermissionScopes"] if s["isEnabled"]]
    return roles, scopes


async def apis(portal: Portal) -> Response:
    """"Request API permissions": the tenant's APIs that offer any permission."""
    app = await portal.graph.get(f"/applications/{portal.request.path_params['app']}")
    found = [sp for sp in await portal.graph.values("/servicePrincipals") if any(_offers(sp))]
    return portal.render("app_permission_apis.html", title="Request API permissions", app=app,
                         tab="permissions",
                         apis=sorted(found, key=lambda sp: str(sp["displayName"]).casefold()))


async def pick(portal: Portal) -> Response:
    app_ref, sp_id = portal.request.path_params["app"], portal.request.path_params["api"]
    app = await portal.graph.get(f"/applications/{app_ref}")
    sp = await portal.graph.get(f"/servicePrincipals/{sp_id}")
    roles, scopes = _offers(sp)
    listed = {a["id"] for r in app["requiredResourceAccess"]
              if r["resourceAppId"] == sp["appId"] for a in r["resourceAccess"]}
    if portal.request.method == "POST":
        chosen = [{"id": r["id"], "type": "Role"} for r in roles
                  if portal.form.checked(f"role:{r['id']}") and r["id"] not in listed]
        chosen += [{"id": s["id"], "type": "Scope"} for s in scopes
                   if portal.form.checked(f"scope:{s['id']}") and s["id"] not in listed]
        if chosen:
            await portal.graph.send("PATCH", f"/applications/{app['id']}", {
                "requiredResourceAccess": _merged(app["requiredResourceAccess"], sp["appId"],
                                                  chosen)})
        return portal.back(f"/apps/{app['id']}/permissions", added=str(len(chosen)))
    return portal.render("app_permission_pick.html", title=f"Request API permissions · "
                         f"{sp['displayName']}", app=app, tab="permissions", api=sp,
                         roles=roles, scopes=scopes, listed=listed)


def _merged(required: list[dict[str, Any]], api_app_id: str,
            chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not any(r["resourceAppId"] == api_app_id for r in required):
        return [*required, {"resourceAppId": api_app_id, "resourceAccess": chosen}]
    return [{**r, "resourceAccess": [*r["resourceAccess"], *chosen]}
            if r["resourceAppId"] == api_app_id else r for r in required]
