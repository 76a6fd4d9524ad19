"""``credo consent``: grant, revoke and list application permissions (admin consent).

A grant is a Graph ``appRoleAssignment`` of one of the resource's app roles to the client's
service principal, made on the resource side (``POST …/appRoleAssignedTo``). A
multi-tenant client that has no service principal in the tenant yet is installed first, as
Entra's admin consent does. Only a tenant administrator's credential may do this; the
operator holds that role in every tenant.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from credo.cli import lookup
from credo.cli.api import (
    Management,
    ServerOption,
    TenantOption,
    emit,
    emit_table,
    management_errors,
)
from credo.cli.common import EXIT_FAILURE, CliError, DataDirOption, JsonOption

app = typer.Typer(no_args_is_help=True,
                  help="Grant and revoke application permissions in a tenant (admin consent).")

ClientOption = Annotated[str, typer.Option(
    "--client", help="The client app: appId, object id or display name.", show_default=False)]
ResourceOption = Annotated[str, typer.Option(
    "--resource", help="The API: identifier URI (api://mail), appId or display name.",
    show_default=False)]
RolesOption = Annotated[list[str] | None, typer.Option(
    "--role", help="An application permission (app role value), e.g. Mail.Read; repeatable.")]
_COLUMNS = (("client", "principalDisplayName"), ("resource", "resourceDisplayName"),
            ("permission", "role"), ("assignment id", "id"), ("granted", "createdDateTime"))


def _grants_between(api: Management, tenant: str, client: dict[str, Any],
                    resource: dict[str, Any]) -> list[dict[str, Any]]:
    assigned = api.collection(tenant, f"/servicePrincipals/{resource['id']}/appRoleAssignedTo")
    return [a for a in assigned if a.get("principalId") == client.get("id")]


def _with_roles(grants: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{**g, "role": names.get(str(g.get("appRoleId")), str(g.get("appRoleId")))}
            for g in grants]


@app.command("grant")
@management_errors
def grant(
    tenant: TenantOption, client: ClientOption, resource: ResourceOption,
    data_dir: DataDirOption, roles: RolesOption = None, server: ServerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Grant a client application permissions on an API in a tenant."""
    if not roles:
        raise CliError("give at least one --role (an app role value such as Mail.Read)")
    with Management(data_dir, server) as api:
        resource_sp = lookup.require_service_principal(api, tenant, resource)
        wanted = {value: lookup.app_role(resource_sp, value) for value in roles}
        client_sp = lookup.service_principal_or_install(api, tenant, client)
        held = {g.get("appRoleId") for g in _grants_between(api, tenant, client_sp, resource_sp)}
        created = [api.post(tenant, f"/servicePrincipals/{resource_sp['id']}/appRoleAssignedTo",
                            {"principalId": client_sp["id"], "resourceId": resource_sp["id"],
                             "appRoleId": role["id"]})
                   for role in wanted.values() if role["id"] not in held]
    already = [value for value, role in wanted.items() if role["id"] in held]
    rows = _with_roles(created, lookup.role_names(resource_sp))
    emit(created, as_json, lambda: _report(client_sp, resource_sp, rows, already))


def _report(client: dict[str, Any], resource: dict[str, Any], rows: list[dict[str, Any]],
            already: list[str]) -> None:
    for row in rows:
        typer.echo(f"granted {row['role']} on {resource.get('displayName')} to "
                   f"{client.get('displayName')} (appId {client.get('appId')})")
    if already:
        typer.echo(f"already granted: {', '.join(already)}")


@app.command("revoke")
@management_errors
def revoke(
    tenant: TenantOption, client: ClientOption, resource: ResourceOption,
    data_dir: DataDirOption, roles: RolesOption = None,
    all_roles: Annotated[bool, typer.Option(
        "--all", help="Revoke every permission the client holds on the resource.")] = False,
    server: ServerOption = None,
) -> None:
    """Revoke permissions; tokens issued afterwards no longer carry them."""
    if bool(roles) == all_roles:
        raise CliError("give either --role (repeatable) or --all")
    with Management(data_dir, server) as api:
        resource_sp = lookup.require_service_principal(api, tenant, resource)
        client_sp = lookup.require_service_principal(api, tenant, client)
        grants = _grants_between(api, tenant, client_sp, resource_sp)
        if not all_roles:
            ids = {lookup.app_role(resource_sp, value)["id"] for value in roles or []}
            grants = [g for g in grants if g.get("appRoleId") in ids]
        if not grants:
            raise CliError(f"{client_sp.get('displayName')} holds no such permission on "
                           f"{resource_sp.get('displayName')}", exit_code=EXIT_FAILURE)
        for found in grants:
            api.delete(tenant, f"/servicePrincipals/{resource_sp['id']}/appRoleAssignedTo/"
                               f"{found['id']}")
    names = lookup.role_names(resource_sp)
    for row in _with_roles(grants, names):
        typer.echo(f"revoked {row['role']} on {resource_sp.get('displayName')} from "
                   f"{client_sp.get('displayName')}")


@app.command("list")
@management_errors
def list_grants(
    tenant: TenantOption, data_dir: DataDirOption,
    client: Annotated[str | None, typer.Option(
        "--client", help="Only this client's permissions.")] = None,
    server: ServerOption = None, as_json: JsonOption = False,
) -> None:
    """List the application permissions granted in a tenant."""
    with Management(data_dir, server) as api:
        sps = api.collection(tenant, "/servicePrincipals")
        names = {rid: value for sp in sps for rid, value in lookup.role_names(sp).items()}
        if client is not None:
            client_sp = lookup.require_service_principal(api, tenant, client)
            grants = api.collection(tenant,
                                    f"/servicePrincipals/{client_sp['id']}/appRoleAssignments")
        else:
            grants = [g for sp in sps if sp.get("appRoles")
                      for g in api.collection(
                          tenant, f"/servicePrincipals/{sp['id']}/appRoleAssignedTo")]
    rows = _with_roles(grants, names)
    emit(grants, as_json, lambda: emit_table(rows, _COLUMNS, empty="no permissions granted"))
