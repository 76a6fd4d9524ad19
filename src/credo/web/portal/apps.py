"""App registrations: the list (with search), "New registration", the overview, deletion.

Entra's words and fields: display name, supported account types (``signInAudience``), a
redirect URI on one platform; the overview shows the application (client) id, object id
and directory (tenant) id, and the endpoints an app is configured with, each with a copy
button. Every write is one management API call (web/portal/graph.py).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from credo.service.management.policy import ROLE_APPS
from credo.web.portal.credentials import credential_state
from credo.web.portal.frame import Portal
from credo.web.portal.graph import GraphFailure

AUDIENCES = {
    "AzureADMyOrg": "Accounts in this organizational directory only (single tenant)",
    "AzureADMultipleOrgs": "Accounts in any organizational directory (multitenant)",
}
PLATFORMS = {"web": "Web", "publicClient": "Public client/native (mobile & desktop)",
             "spa": "Single-page application"}


async def listing(portal: Portal) -> Response:
    query = portal.request.query_params.get("q", "").strip()
    apps = sorted(await portal.graph.values("/applications"),
                  key=lambda a: str(a["displayName"]).casefold())
    shown = [a for a in apps if query.casefold() in str(a["displayName"]).casefold()
             or query.lower() == str(a["appId"]).lower()] if query else apps
    now = portal.services.sources.now()
    return portal.render("apps.html", title="App registrations", apps=shown, total=len(apps),
                         query=query, states={a["id"]: credential_state(a, now) for a in shown},
                         can_write=portal.can(ROLE_APPS))


async def new(portal: Portal) -> Response:
    """GET the form; POST registers (``POST /applications``) and opens the overview."""
    values = {"name": "", "audience": "AzureADMyOrg", "platform": "web", "redirect": ""}
    if portal.request.method == "POST":
        values = {k: portal.form.get(k, v).strip() for k, v in values.items()}
        try:
            app = await portal.graph.send("POST", "/applications", _manifest(values))
        except GraphFailure as err:
            if err.status != 400:
                raise
            return _form(portal, values, err, status=400)
        assert app is not None
        return portal.back(f"/apps/{app['id']}", created="1")
    return _form(portal, values, None)


def _manifest(values: dict[str, str]) -> dict[str, Any]:
    manifest: dict[str, Any] = {"displayName": values["name"],
                                "signInAudience": values["audience"]}
    if values["redirect"]:
        platform = values["platform"] if values["platform"] in PLATFORMS else "web"
        manifest[platform] = {"redirectUris": [values["redirect"]]}
    return manifest


def _form(portal: Portal, values: dict[str, str], err: GraphFailure | None, *,
          status: int = 200) -> Response:
    errors = {"name": err.for_field("displayName") if err else [],
              "audience": err.for_field("signInAudience") if err else [],
              "redirect": [m for p in PLATFORMS for m in err.for_field(p)] if err else []}
    other = ([m for t, m in err.details if not any(
        t.startswith(p) for p in ("displayName", "signInAudience", *PLATFORMS))]
        if err else [])
    return portal.render("app_new.html", status=status, title="Register an application",
                         values=values, errors=errors, summary=err.message if err else "",
                         other=other, audiences=AUDIENCES, platforms=PLATFORMS,
                         can_write=portal.can(ROLE_APPS))


async def overview(portal: Portal) -> Response:
    app = await _app(portal)
    tid, base = portal.tenant.id, portal.base_url
    endpoints = [
        ("OAuth 2.0 token endpoint (v2)", f"{base}/{tid}/oauth2/v2.0/token"),
        ("OAuth 2.0 token endpoint (v1)", f"{base}/{tid}/oauth2/token"),
        ("OAuth 2.0 authorization endpoint (v2)", f"{base}/{tid}/oauth2/v2.0/authorize"),
        ("OAuth 2.0 authorization endpoint (v1)", f"{base}/{tid}/oauth2/authorize"),
        ("OpenID Connect metadata document",
         f"{base}/{tid}/v2.0/.well-known/openid-configuration"),
        ("Admin consent URL", f"{base}/{tid}/adminconsent?client_id={app['appId']}"),
    ]
    redirects = [(PLATFORMS[p], u) for p in PLATFORMS for u in app[p]["redirectUris"]]
    return portal.render("app_overview.html", title=app["displayName"], app=app, tab="overview",
                         endpoints=endpoints, redirects=redirects,
                         audience=AUDIENCES.get(app["signInAudience"], app["signInAudience"]),
                         created="created" in portal.request.query_params,
                         can_write=portal.can_change(app))


async def delete(portal: Portal) -> Response:
    """GET asks "Delete app registration?"; POST deletes (``DELETE /applications/{id}``)."""
    app = await _app(portal)
    if portal.request.method == "POST":
        await portal.graph.send("DELETE", f"/applications/{app['id']}")
        return portal.back("/apps", deleted=str(app["displayName"])[:100])
    return portal.render("app_delete.html", title=f"Delete {app['displayName']}", app=app,
                         tab="overview")


async def _app(portal: Portal) -> dict[str, Any]:
    return await portal.graph.get(f"/applications/{portal.request.path_params['app']}")
