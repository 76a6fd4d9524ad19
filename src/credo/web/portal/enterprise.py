"""Enterprise applications: the tenant's service principals, and for each the application
permissions it was granted (and, for an API, those granted on it): who granted each and
when, and "Remove" for one.

Who granted an assignment is what the directory audit log says: the "Add app role
assignment to service principal" or "Consent to application" event that names the
assignment among its targets (the same ``/auditLogs/directoryAudits`` any client reads,
filtered to the minute after the assignment's ``createdDateTime``). Reading it needs
``AuditLog.Read.All``: without it the column says so instead of naming anyone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import Response

from credo.service.management.policy import ROLE_AUDIT, ROLE_GRANTS
from credo.web.portal.credentials import parse_time
from credo.web.portal.frame import Portal
from credo.web.portal.graph import Graph

SIDES = ("appRoleAssignments", "appRoleAssignedTo")
MAX_LOOKUPS = 50
"""Assignments whose granter is looked up per page (one audit query per distinct minute)."""


async def listing(portal: Portal) -> Response:
    sps = sorted(await portal.graph.values("/servicePrincipals"),
                 key=lambda sp: str(sp["displayName"]).casefold())
    return portal.render("enterprise.html", title="Enterprise applications", principals=sps)


async def detail(portal: Portal) -> Response:
    sp_id = portal.request.path_params["sp"]
    graph = portal.graph
    if portal.request.method == "POST" and portal.form.get("action") == "remove":
        side = portal.form.get("side")
        side = side if side in SIDES else SIDES[0]
        await graph.send("DELETE", f"/servicePrincipals/{sp_id}/{side}/"
                                   f"{portal.form.get('assignment')}")
        return portal.back(f"/enterprise/{sp_id}", removed="1")
    sp = await graph.get(f"/servicePrincipals/{sp_id}")
    every = await graph.values("/servicePrincipals")
    names = {p["appId"]: p["displayName"] for p in every}
    granted = await graph.values(f"/servicePrincipals/{sp_id}/appRoleAssignments")
    on_this = await graph.values(f"/servicePrincipals/{sp_id}/appRoleAssignedTo")
    roles = await _role_names(graph, sp, granted)
    logs = portal.can(ROLE_AUDIT)
    who = await granted_by(graph, [*granted, *on_this], names) if logs else {}
    apps = {p["id"]: p["appId"] for p in every}
    locked = {a["id"] for a in (*granted, *on_this)  # the built-ins' grants never change
              if portal.builtin(apps.get(a["principalId"], ""))}
    return portal.render("enterprise_app.html", title=sp["displayName"], sp=sp,
                         granted=granted, on_this=on_this, roles=roles, who=who, locked=locked,
                         logs=logs,
                         removed="removed" in portal.request.query_params,
                         can_grant=portal.can(ROLE_GRANTS))


async def _role_names(graph: Graph, sp: dict[str, Any], granted: list[dict[str, Any]]
                      ) -> dict[tuple[str, str], str]:
    """``(resource SP id, role id)`` → the role's value, for both tables."""
    found = {(sp["id"], r["id"]): r["value"] for r in sp["appRoles"]}
    for resource_id in {a["resourceId"] for a in granted} - {sp["id"]}:
        api = await graph.get(f"/servicePrincipals/{resource_id}")
        found.update({(api["id"], r["id"]): r["value"] for r in api["appRoles"]})
    return found


async def granted_by(graph: Graph, assignments: list[dict[str, Any]],
                     names: dict[str, str]) -> dict[str, str]:
    """Assignment id → who granted it, from the directory audit log ("" when unknown)."""
    found: dict[str, str] = {}
    pages: dict[str, list[dict[str, Any]]] = {}
    for a in assignments[:MAX_LOOKUPS]:
        if not a.get("createdDateTime"):
            continue
        minute = a["createdDateTime"][:16]
        if minute not in pages:
            pages[minute] = await _events(graph, a["createdDateTime"])
        event = next((e for e in pages[minute]
                      if any(t.get("id") == a["id"] for t in e["targetResources"])), None)
        found[a["id"]] = _initiator(event, names) if event else ""
    return found


async def _events(graph: Graph, created: str) -> list[dict[str, Any]]:
    start = parse_time(created).replace(second=0) - timedelta(seconds=5)
    end = start + timedelta(seconds=125)
    window = (f"activityDateTime ge {start:%Y-%m-%dT%H:%M:%SZ} and activityDateTime le "
              f"{end:%Y-%m-%dT%H:%M:%SZ} and category eq 'ApplicationManagement'")
    page = await graph.get("/auditLogs/directoryAudits", {"$filter": window, "$top": "1000"})
    return [e for e in page["value"] if e["result"] == "success"]


def _initiator(event: dict[str, Any], names: dict[str, str]) -> str:
    user, app = event["initiatedBy"].get("user"), event["initiatedBy"].get("app")
    if user:
        return str(user["userPrincipalName"])
    if app:
        return names.get(app["appId"]) or app.get("displayName") or app["appId"]
    return ""
