"""``credo tenant``: create, list and show tenants; choose a tenant's security profile.

The tenant is the ID of these commands: ``credo tenant show contoso.example`` and
``credo tenant show -t contoso.example`` are the same. Tenant-wide operations need
``Tenant.ReadWrite.All`` in the bootstrap tenant, so every call here runs with the operator's
token for the bootstrap tenant (docs/security.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from credo.cli.api import Management, segment, unknown_tenant
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
from credo.cli.output import emit, emit_table, print_fields, text
from credo.errors import NotFound

app = command_group("Create and list tenants (operator).")

ProfileName = Literal["entra", "strict"]
TenantArgument = Annotated[str | None, typer.Argument(
    metavar="[TENANT]", help="The tenant's id (GUID) or a domain name (or give --tenant).",
    show_default=False)]
ProfileOption = Annotated[ProfileName, typer.Option(
    help="Security profile: entra (Entra-compatible) or strict (single-use assertions).")]
_COLUMNS = (("id", "id"), ("domain", "domain"), ("display name", "displayName"),
            ("profile", "profile"))


def _domains(tenant: dict[str, Any]) -> list[str]:
    return [str(d.get("name")) for d in tenant.get("verifiedDomains") or []]


def _show(tenant: dict[str, Any]) -> None:
    print_fields({"Tenant id": tenant.get("id"), "Domains": _domains(tenant),
                  "Display name": tenant.get("displayName") or "",
                  "Profile": tenant.get("profile"),
                  "Created": tenant.get("createdDateTime") or ""})


def _find(api: Management, name: str) -> dict[str, Any]:
    """The tenant ``name`` (id or domain), or the CLI's one error for an unknown tenant."""
    try:
        found: dict[str, Any] = api.get(api.bootstrap_tenant, f"/tenants/{segment(name)}")
    except NotFound as exc:
        raise unknown_tenant(name) from exc
    return found


def _one(argument: str | None, option: str | None) -> str:
    if (argument is None) == (option is None):
        raise CliError("name the tenant once: `credo tenant VERB TENANT` or --tenant TENANT",
                       exit_code=EXIT_USAGE)
    return str(argument or option)


@app.command("create")
@handle_errors
def create(
    data_dir: DataDirOption,
    domain: Annotated[str | None, typer.Argument(
        metavar="[DOMAIN]", help="The tenant's domain, e.g. contoso.example (or give --tenant).",
        show_default=False)] = None,
    tenant: TenantOption = None,
    display_name: Annotated[str | None, typer.Option(help="Default: the domain.")] = None,
    profile: ProfileOption = "entra",
    server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Create a tenant; the operator may manage it at once."""
    name = _one(domain, tenant)
    body = {"domain": name, "displayName": display_name or name, "profile": profile}
    with Management(data_dir, server, ca=ca) as api:
        created = api.post(api.bootstrap_tenant, "/tenants", body)
    emit(created, as_json, lambda: _show(created))


@app.command("list")
@handle_errors
def list_tenants(data_dir: DataDirOption, server: ServerOption = None, ca: CaOption = None,
                 as_json: JsonOption = False) -> None:
    """List every tenant."""
    with Management(data_dir, server, ca=ca) as api:
        tenants = api.tenants()
    rows = [{**t, "domain": text(_domains(t))} for t in tenants]
    emit(tenants, as_json, lambda: emit_table(rows, _COLUMNS, empty="no tenants"))


@app.command("show")
@handle_errors
def show(data_dir: DataDirOption, tenant_ref: TenantArgument = None,
         tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
         as_json: JsonOption = False) -> None:
    """Show one tenant, by id or domain."""
    name = _one(tenant_ref, tenant)
    with Management(data_dir, server, ca=ca) as api:
        found = _find(api, name)
    emit(found, as_json, lambda: _show(found))


@app.command("set-profile")
@handle_errors
def set_profile(
    data_dir: DataDirOption,
    profile: Annotated[ProfileName, typer.Option(
        help="entra or strict.", show_default=False)],
    tenant_ref: TenantArgument = None,
    tenant: TenantOption = None,
    server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Change a tenant's security profile (entra or strict)."""
    name = _one(tenant_ref, tenant)
    with Management(data_dir, server, ca=ca) as api:
        found = _find(api, name)
        api.patch(api.bootstrap_tenant, f"/tenants/{found['id']}", {"profile": profile})
        updated = api.get(api.bootstrap_tenant, f"/tenants/{found['id']}")
    emit(updated, as_json, lambda: _show(updated))
