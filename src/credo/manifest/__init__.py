"""Application manifest JSON ⇄ model, in the Microsoft Graph shape (AAD Graph names accepted).

Pure: no I/O, no clock, no randomness (``now`` and ``new_id`` are parameters). Output is the
Graph shape only (https://learn.microsoft.com/graph/api/resources/application); input also
takes the AAD Graph names of
https://learn.microsoft.com/entra/identity-platform/reference-app-manifest. Every reader
reports all bad fields at once as :class:`~credo.errors.InvalidInput` ``details``.

Modules: ``read`` (Manage Manifest), ``write`` (application, servicePrincipal,
appRoleAssignment, organization), ``credentials`` / ``passwords`` (keyCredential,
passwordCredential), ``permissions`` (appRole, permissionScope, requiredResourceAccess),
``uris`` (identifier and redirect URI rules), ``fields`` (which top-level members mean what).
"""

from credo.manifest.credentials import key_credential_from_json, key_credential_to_json
from credo.manifest.passwords import password_credential_to_json
from credo.manifest.permissions import (
    app_role_from_json,
    app_role_to_json,
    app_roles_from_json,
    permission_scope_from_json,
    permission_scope_to_json,
    permission_scopes_from_json,
    required_resource_access_from_json,
    required_resource_access_to_json,
)
from credo.manifest.read import MANIFEST_INVALID, MAX_ENTRIES, application_from_json
from credo.manifest.uris import identifier_uri_problem, redirect_uri_problem
from credo.manifest.write import (
    application_to_json,
    assignment_to_json,
    service_principal_to_json,
    tenant_to_json,
)

__all__ = [
    "MANIFEST_INVALID",
    "MAX_ENTRIES",
    "app_role_from_json",
    "app_role_to_json",
    "app_roles_from_json",
    "application_from_json",
    "application_to_json",
    "assignment_to_json",
    "identifier_uri_problem",
    "key_credential_from_json",
    "key_credential_to_json",
    "password_credential_to_json",
    "permission_scope_from_json",
    "permission_scope_to_json",
    "permission_scopes_from_json",
    "redirect_uri_problem",
    "required_resource_access_from_json",
    "required_resource_access_to_json",
    "service_principal_to_json",
    "tenant_to_json",
]
