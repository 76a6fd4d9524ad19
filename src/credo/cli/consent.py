"""``credo consent``: grant, revoke and list application permissions (admin consent).

A grant is a Graph ``appRoleAssignment`` of one of the resource's app roles to the client's
service principal, made on the resource side (``POST …/appRoleAssignedTo``). A
multi-tenant client that has no service principal in the tenant yet is installed first, as
Entra's admin consent does. The tenant defaults to the client app's home tenant. Granting
what is held and revoking what is not are no-ops that say so (exit 0).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from credo.cli import lookup
from credo.cli.api import Management
from credo.cli.common import (
    EXIT_USAGE,
    CaOption,
    CliError,
    DataDirOption,
    JsonOption,
    ServerOption,
    TenantOption,
    command_group,
    handle_errors,
)
from credo.cli.output import emit, emit_table

app = command_group("Grant and revoke application permissions in a tenant (admin consent).")

ClientArgument = Annotated[str, typer.Argument(
    metavar="APP", help="The client app: appId, object id or display name.", show_default=False)]
ResourceOption = Annotated[str, typer.Option(
    "--resource", help="The API: identifier URI (api://mail), appId or display name.",
    show_default=False)]
RolesOption = Annotated[list[str] | None, typer.Option(
    "--role", help="An application permission (app role value), e.g. Mail.Read; repeatable.")]
_COLUMNS = (("client", "principalDisplayName"), ("resource", "resourceDisplayName"),
            ("permission", "role"), ("assignment id", "id"), ("granted", "createdDateTime"))
Object = dict[str, Any]


def _grants_between(api: Management, tenant: str, client: Object,
                    resource: Object) -> list[Object]:
    assigned = api.collection(tenant, f"/servicePrincipals/{resource['id']}/appRoleAssignedTo")
    return [a for a in assigned if a.get("principalId") == client.get("id")]


def _with_roles(grants: list[Object], names: dict[str, str]) -> list[Object]:
    return [{**g, "role": names.get(str(g.get("appRoleId")), str(g.get("appRoleId")))}
            for g in grants]


def _where(api: Management, client: str, tenant: str | None) -> tuple[str, str]:
    """``(tenant, client ref)``: by default the client's home tenant, the client by appId."""
    if tenant is not None:
        return tenant, client
    home, found = lookup.locate(api, client, None)
    return home, str(found["appId"])


@app.command("grant")
@handle_errors
def grant(
    client: ClientArgument, resource: ResourceOption, data_dir: DataDirOption,
    roles: RolesOption = None, tenant: TenantOption = None, server: ServerOption = None,
    ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Grant a client application permissions on an API in a tenant."""
    if not roles:
        raise CliError("give at least one --role (an app role value such as Mail.Read)",
                       exit_code=EXIT_USAGE)
    with Management(data_dir, server, ca=ca) as api:
        where, client_ref = _where(api, client, tenant)
        resource_sp = lookup.require_service_principal(api, where, resource)
        wanted = {value: lookup.app_role(resource_sp, value) for value in roles}
        client_sp = lookup.service_principal_or_install(api, where, client_ref)
        held = {g.get("appRoleId") for g in _grants_between(api, where, client_sp, resource_sp)}
        created = [api.post(where, f"/servicePrincipals/{resource_sp['id']}/appRoleAssignedTo",
                            {"principalId": client_sp["id"], "resourceId": resource_sp["id"],
                             "appRoleId": role["id"]})
                   for role in wanted.values() if role["id"] not in held]
    already = [value for value, role in wanted.items() if role["id"] in held]
    rows = _with_roles(created, lookup.role_names(resource_sp))
    emit({"granted": created, "alreadyGranted": already}, as_json,
         lambda: _report("granted", "to", client_sp, resource_sp, rows, already, "already granted"))


def _report(verb: str, preposition: str, client: Object, resource: Object,
            rows: list[Object], unchanged: list[str], unchanged_label: str) -> None:
    for row in rows:
        typer.echo(f"{verb} {row['role']} on {resource.get('displayName')} {preposition} "
                   f"{client.get('displayName')} (appId {client.get('appId')})")
    if unchanged:
        typer.echo(f"{unchanged_label}: {', '.join(unchanged)}")
    if not rows and not unchanged:
        typer.echo(f"{client.get('displayName')} holds no permission on "
                   f"{resource.get('displayName')}: nothing to {verb.removesuffix('d')}")


@app.command("revoke")
@handle_errors
def revoke(
    client: ClientArgument, resource: ResourceOption, data_dir: DataDirOption,
    roles: RolesOption = None,
    all_roles: Annotated[bool, typer.Option(
        "--all", help="Revoke every permission the client holds on the resource.")] = False,
    tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke permissions; tokens issued afterwards no longer carry them."""
    if bool(roles) == all_roles:
        raise CliError("give either --role (repeatable) or --all", exit_code=EXIT_USAGE)
    with Management(data_dir, server, ca=ca) as api:
        where, client_ref = _where(api, client, tenant)
        resource_sp = lookup.require_service_principal(api, where, resource)
        client_sp = lookup.require_service_principal(api, where, client_ref)
        grants = _grants_between(api, where, client_sp, resource_sp)
        wanted = {value: lookup.app_role(resource_sp, value)["id"] for value in roles or []}
        if not all_roles:
            grants = [g for g in grants if g.get("appRoleId") in wanted.values()]
        for found in grants:
            api.delete(where, f"/servicePrincipals/{resource_sp['id']}/appRoleAssignedTo/"
                              f"{found['id']}")
    revoked = {g.get("appRoleId") for g in grants}
    missing = [value for value, role_id in wanted.items() if role_id not in revoked]
    rows = _with_roles(grants, lookup.role_names(resource_sp))
    emit({"revoked": grants, "notGranted": missing}, as_json,
         lambda: _report("revoked", "from", client_sp, resource_sp, rows, missing, "not granted"))


@app.command("list")
@handle_errors
def list_grants(
    data_dir: DataDirOption,
    client: Annotated[str | None, typer.Argument(
        metavar="[APP]", help="Only this client's permissions.", show_default=False)] = None,
    tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the application permissions granted in a tenant (or to one app)."""
    if client is None and tenant is None:
        raise CliError("give the APP, or --tenant to list every grant in a tenant",
                       exit_code=EXIT_USAGE)
    with Management(data_dir, server, ca=ca) as api:
        where, client_ref = _where(api, client, tenant) if client else (str(tenant), "")
        sps = api.collection(where, "/servicePrincipals")
        names = {rid: value for sp in sps for rid, value in lookup.role_names(sp).items()}
        if client_ref:
            client_sp = lookup.require_service_principal(api, where, client_ref)
            grants = api.collection(where,
                                    f"/servicePrincipals/{client_sp['id']}/appRoleAssignments")
        else:
            grants = [g for sp in sps if sp.get("appRoles")
                      for g in api.collection(
                          where, f"/servicePrincipals/{sp['id']}/appRoleAssignedTo")]
    rows = _with_roles(grants, names)
    emit(grants, as_json, lambda: emit_table(rows, _COLUMNS, empty="no permissions granted"))
