"""The management plane: every ``/v1.0`` operation, with the permission model applied.

``web/management`` parses and renders; everything it asks goes through ``Management``, whose
parts take the authenticated ``Caller`` and check policy.py before reading or writing.
"""

from __future__ import annotations

from dataclasses import dataclass

from credo.service.audit import AuditBuffer
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.management.apps import Applications
from credo.service.management.audit_logs import AuditLogs
from credo.service.management.caller import Caller, InvalidToken, ManagementAuth
from credo.service.management.delegated import DelegatedGrants
from credo.service.management.federated import FederatedCredentials
from credo.service.management.grants import Grants
from credo.service.management.powers import Powers
from credo.service.management.tenants import Tenants
from credo.service.management.users import Users
from credo.service.users import UserService
from credo.store.api import AuditLog, FlowStore

__all__ = ["Caller", "InvalidToken", "Management", "open_management"]


@dataclass(frozen=True)
class Management:
    auth: ManagementAuth
    apps: Applications
    grants: Grants
    delegated: DelegatedGrants
    users: Users
    tenants: Tenants
    audit_logs: AuditLogs
    federated: FederatedCredentials


def open_management(*, base_url: str, directory: DirectoryService, keys: KeyService,
                    users: UserService, flows: FlowStore, audit: AuditBuffer, log: AuditLog,
                    bootstrap_tenant: str, operator_app_id: str) -> Management:
    powers = Powers(directory, flows, operator_app_id=operator_app_id,
                    bootstrap_tenant=bootstrap_tenant)
    return Management(
        auth=ManagementAuth(base_url=base_url, keys=keys, tenant=directory.tenant,
                            user=users.by_id, operator_app_id=operator_app_id,
                            bootstrap_tenant=bootstrap_tenant),
        apps=Applications(directory, powers),
        grants=Grants(directory, powers),
        delegated=DelegatedGrants(directory, flows, users, builtins=powers.builtins),
        users=Users(users, powers),
        tenants=Tenants(directory, keys, flows, bootstrap_tenant=bootstrap_tenant,
                        operator_app_id=operator_app_id),
        audit_logs=AuditLogs(audit, log),
        federated=FederatedCredentials(directory, powers),
    )
