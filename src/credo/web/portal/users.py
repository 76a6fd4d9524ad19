"""Users: the list with their directory roles, "New user", and one user's page: "Disable
sign-in" / "Enable sign-in", "Reset password", and the assigned directory roles.

Every change is one management API call; who may make it (no administrator reset or
disabled by someone weaker) is the API's rule, and its refusal is shown as it said it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from credo.model import DIRECTORY_ROLE_TEMPLATES
from credo.service.management.policy import ROLE_DIRECTORY_ROLES, ROLE_USERS
from credo.web.portal.frame import Portal
from credo.web.portal.graph import Graph, GraphFailure

ROLES: dict[str, str] = {str(name): t for name, t in DIRECTORY_ROLE_TEMPLATES.items()}
_FIELDS = {"upn": "userPrincipalName", "name": "displayName",
           "password": "passwordProfile.password"}


async def roles_of(graph: Graph) -> dict[str, list[str]]:
    """User id → the names of the directory roles they hold."""
    held: dict[str, list[str]] = {}
    for role, template in ROLES.items():
        for member in await graph.values(f"/directoryRoles/{template}/members"):
            held.setdefault(member["id"], []).append(role)
    return held


async def listing(portal: Portal) -> Response:
    users = sorted(await portal.graph.values("/users"),
                   key=lambda u: str(u["userPrincipalName"]))
    return portal.render("users.html", title="Users", users=users,
                         roles=await roles_of(portal.graph), can_write=portal.can(ROLE_USERS))


async def new(portal: Portal) -> Response:
    org = (await portal.graph.values("/organization"))[0]
    domains = [d["name"] for d in org["verifiedDomains"]]
    values = {"local": "", "domain": domains[0], "name": "", "enabled": "on"}
    if portal.request.method == "POST":
        values = {k: portal.form.get(k).strip() for k in ("local", "domain", "name")}
        values["enabled"] = "on" if portal.form.checked("enabled") else ""
        try:
            user = await portal.graph.send("POST", "/users", {
                "userPrincipalName": f"{values['local']}@{values['domain']}",
                "displayName": values["name"], "accountEnabled": bool(values["enabled"]),
                "passwordProfile": {"password": portal.form.get("password")}})
        except GraphFailure as err:
            if err.status not in (400, 409):
                raise
            return _new_form(portal, values, domains, err)
        assert user is not None
        return portal.back(f"/users/{user['id']}", created="1")
    return _new_form(portal, values, domains, None)


def _new_form(portal: Portal, values: dict[str, str], domains: list[str],
              err: GraphFailure | None) -> Response:
    errors = {f: err.for_field(target) for f, target in _FIELDS.items()} if err else {}
    return portal.render("user_new.html", status=err.status if err else 200, title="New user",
                         values=values, domains=domains, errors=errors,
                         summary=err.message if err else "", can_write=portal.can(ROLE_USERS))


async def detail(portal: Portal) -> Response:
    ref = (await portal.graph.get(f"/users/{portal.request.path_params['user']}"))["id"]
    outcome: dict[str, Any] = {}
    if portal.request.method == "POST":
        try:
            outcome = {"notice": await _act(portal, ref)}
        except GraphFailure as err:
            if err.status != 400:
                raise
            outcome = {"error": err}
    user = await portal.graph.get(f"/users/{ref}")
    held = (await roles_of(portal.graph)).get(user["id"], [])
    # Offer only what the API would allow: no change to someone stronger (policy.py).
    reachable = portal.covers(held) and (not held or portal.can(ROLE_DIRECTORY_ROLES))
    can_assign = portal.can(ROLE_DIRECTORY_ROLES) and portal.covers(held)
    return portal.render("user.html", status=400 if "error" in outcome else 200,
                         title=user["displayName"] or user["userPrincipalName"], user=user,
                         held=held, available=[r for r in ROLES if r not in held
                                               and can_assign and portal.covers([r])],
                         removable=[r for r in held if can_assign and portal.covers([r])],
                         created="created" in portal.request.query_params,
                         can_write=portal.can(ROLE_USERS) and reachable,
                         stronger=bool(held) and not reachable,
                         **{"notice": "", "error": None, **outcome})


async def _act(portal: Portal, ref: str) -> str:
    form, graph, action = portal.form, portal.graph, portal.form.get("action")
    if action in ("enable", "disable"):
        await graph.send("PATCH", f"/users/{ref}", {"accountEnabled": action == "enable"})
        return "Sign-in enabled." if action == "enable" else "Sign-in disabled."
    if action == "reset-password":
        await graph.send("PATCH", f"/users/{ref}",
                         {"passwordProfile": {"password": form.get("password")}})
        return "Password reset. The user's sessions have ended."
    role = form.get("role")
    template = ROLES.get(role)
    if template and action == "add-role":
        await graph.send("POST", f"/directoryRoles/{template}/members/$ref",
                         {"@odata.id": f"{portal.base_url}/v1.0/directoryObjects/{ref}"})
        return f"{role} assigned."
    if template and action == "remove-role":
        await graph.send("DELETE", f"/directoryRoles/{template}/members/{ref}/$ref")
        return f"{role} removed."
    return ""
