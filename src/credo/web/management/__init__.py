"""The management API under ``/v1.0``: Microsoft Graph shaped, authorized by Credo's own tokens.

The CLI and the portal change state only through here. Each route is parse → service
(``service.management``, which owns every rule) → render; every error is a Graph error body
(``{"error": {"code", "message", "details"?, "innerError"}}``), never a bare 500 for bad
input; every response carries ``request-id`` and echoes ``client-request-id``. OpenAPI at
``/v1.0/openapi.json``; no interactive docs page, since Swagger UI would load third-party
script and style on Credo's own origin (the pages' origin: sign-in and consent).
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import Mount
from starlette.types import ASGIApp

from credo.service.runtime import Services
from credo.web.management.applications import router as applications
from credo.web.management.audit_logs import router as audit_logs
from credo.web.management.context import RequestContext, install_error_handlers
from credo.web.management.delegated import router as delegated
from credo.web.management.federated import router as federated
from credo.web.management.grants import router as grants
from credo.web.management.openapi import ERROR_RESPONSES, without_validation_errors
from credo.web.management.service_principals import router as service_principals
from credo.web.management.tenants import router as tenants
from credo.web.management.users import router as users

__all__ = ["management_app", "management_mount"]

_DESCRIPTION = """\
Applications, credentials, service principals, application-permission grants and tenants,
in the shapes of Microsoft Graph v1.0. Authenticate with a Credo access token for
`api://credo/.default` (client credentials). Application permissions of the management
API: `Directory.Read.All` (read), `Application.ReadWrite.All` (applications, credentials,
service principals), `AppRoleAssignment.ReadWrite.All` (grants), `Tenant.ReadWrite.All`
(tenants and signing keys; bootstrap tenant only), `User.ReadWrite.All` (users) and
`RoleManagement.ReadWrite.Directory` (directory-role members).

Differences from Microsoft Graph: `addKey` and `removeKey` accept a call without `proof`
from a caller holding `Application.ReadWrite.All` (a proof that is sent is verified);
`PATCH /applications/{id}` reports every bad manifest member at once and changes nothing
unless all are valid; `/tenants` and `/keys` are Credo extensions for the operator.
"""


def management_app(services: Services) -> ASGIApp:
    """The ``/v1.0`` application over already-open services."""
    app = FastAPI(title="Credo management API", version="1.0", description=_DESCRIPTION,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    app.state.services = services
    for router in (tenants, applications, service_principals, grants, users, delegated,
                   audit_logs, federated):
        app.include_router(router, responses=ERROR_RESPONSES)
    without_validation_errors(app)
    install_error_handlers(app)
    return RequestContext(app, services.audit, services.settings)


def management_mount(app: ASGIApp) -> Mount:
    """``/v1.0`` and everything under it, a path holding a newline included (Starlette's
    pattern stops at one, which would hand ``/v1.0/users/a%0A`` to the protocol's 404)."""
    mount = Mount("/v1.0", app=app)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount
