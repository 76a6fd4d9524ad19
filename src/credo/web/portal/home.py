"""The tenant's overview: its name, ids and domains, who is signed in, what they may do."""

from __future__ import annotations

from starlette.responses import Response

from credo.web.portal.frame import Portal

PERMISSION_TEXT = {
    "Directory.Read.All": "Read the directory: applications, service principals, users",
    "AuditLog.Read.All": "Read the sign-in and audit logs",
    "Application.ReadWrite.All": "Register and change applications, their certificates and "
                                 "secrets",
    "AppRoleAssignment.ReadWrite.All": "Grant and revoke permissions (admin consent)",
    "User.ReadWrite.All": "Create users, reset passwords, disable sign-in",
    "RoleManagement.ReadWrite.Directory": "Assign directory roles",
    "Tenant.ReadWrite.All": "Run the deployment: tenants and signing keys",
}


async def home(portal: Portal) -> Response:
    org = (await portal.graph.values("/organization"))[0]
    user = portal.caller.user
    return portal.render("home.html", title=portal.tenant.display_name, org=org,
                         roles=list(user.directory_roles) if user else [],
                         permissions=[(p, text) for p, text in PERMISSION_TEXT.items()
                                      if portal.can(p)])
