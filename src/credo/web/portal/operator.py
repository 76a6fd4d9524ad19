"""For the operator (a Global Administrator of the bootstrap tenant, who holds
``Tenant.ReadWrite.All`` there): every tenant of the deployment, and the signing keys
(current, next, retired) with "Rotate".
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from credo.web.portal.frame import Portal
from credo.web.portal.graph import GraphFailure

STATES = {"active": "Current", "next": "Next", "retired": "Retired"}


async def keys(portal: Portal) -> Response:
    notice = ""
    if portal.request.method == "POST" and portal.form.get("action") == "rotate":
        rotated = await portal.graph.send("POST", "/keys/rotate")
        notice = f"Rotated: the current key is now {(rotated or {}).get('activeKid', '')}."
    found = await portal.graph.get("/keys")
    return portal.render("keys.html", title="Signing keys", keys=found["value"],
                         states=STATES, notice=notice)


async def tenants(portal: Portal) -> Response:
    values: dict[str, Any] = {"domain": "", "name": "", "profile": "entra"}
    error: GraphFailure | None = None
    if portal.request.method == "POST":
        values = {k: portal.form.get(k).strip() for k in values}
        try:
            await portal.graph.send("POST", "/tenants", {
                "domain": values["domain"], "displayName": values["name"] or None,
                "profile": values["profile"] if values["profile"] == "strict" else "entra"})
            return portal.back("/tenants", created=values["domain"])
        except GraphFailure as err:
            if err.status not in (400, 409):
                raise
            error = err
    found = await portal.graph.values("/tenants")
    return portal.render("tenants.html", status=error.status if error else 200,
                         title="Tenants", tenants=found, values=values, error=error,
                         created=portal.request.query_params.get("created", ""))
