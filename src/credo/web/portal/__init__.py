"""The admin portal at ``/portal/``: server-rendered pages over the management API.

The portal is a client of Credo like any other (docs/security.md, "The portal"): it signs
the person in with the authorization code flow and PKCE (service/portal.py), keeps its
tokens on the server, and does everything through ``/v1.0`` with the person's delegated
token (graph.py), so it can do no more than their directory roles allow. Pages: templates
in ``templates/portal/``, static files in ``static/`` (assets.py), one module per area.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from credo.web.portal import (
    apps,
    credentials,
    enterprise,
    expose,
    home,
    logs,
    manifest,
    operator,
    permission_add,
    permissions,
    signin,
    users,
)
from credo.web.portal.assets import static
from credo.web.portal.frame import Handler, page
from credo.web.portal.render import guarded

_BOTH = ["GET", "POST"]
PAGES: list[tuple[str, Handler, list[str]]] = [
    ("/", home.home, ["GET"]),
    ("/apps", apps.listing, ["GET"]),
    ("/apps/new", apps.new, _BOTH),
    ("/apps/{app}", apps.overview, ["GET"]),
    ("/apps/{app}/delete", apps.delete, _BOTH),
    ("/apps/{app}/credentials", credentials.page, _BOTH),
    ("/apps/{app}/manifest", manifest.page, _BOTH),
    ("/apps/{app}/expose", expose.page, _BOTH),
    ("/apps/{app}/permissions", permissions.page, _BOTH),
    ("/apps/{app}/permissions/add", permission_add.apis, ["GET"]),
    ("/apps/{app}/permissions/add/{api}", permission_add.pick, _BOTH),
    ("/enterprise", enterprise.listing, ["GET"]),
    ("/enterprise/{sp}", enterprise.detail, _BOTH),
    ("/users", users.listing, ["GET"]),
    ("/users/new", users.new, _BOTH),
    ("/users/{user}", users.detail, _BOTH),
    ("/signins", logs.sign_ins, ["GET"]),
    ("/audit", logs.audits, ["GET"]),
    ("/keys", operator.keys, _BOTH),
    ("/tenants", operator.tenants, _BOTH),
]
"""Path under ``/portal/{tenant}``, handler, methods."""


def routes(management: ASGIApp) -> list[BaseRoute]:
    """``/portal/…``; ``management`` is the ``/v1.0`` application the pages call."""
    return [Mount("/portal", routes=[
        Route("/", guarded(signin.start), methods=["GET"]),
        Route("/callback", guarded(signin.callback), methods=["GET"]),
        Route("/signout", guarded(signin.signout), methods=["POST"]),
        Route("/static/{digest}/{name}", static, methods=["GET"]),
        *(Route("/{tenant}" + path, page(handler, management), methods=methods)
          for path, handler, methods in PAGES),
    ])]
