"""``credo tenant``: create, list and show tenants; choose a tenant's security profile.

Tenant-wide operations need ``Tenant.ReadWrite.All`` in the bootstrap tenant, so every call
here runs with the operator's token for the bootstrap tenant (docs/CONTRACTS.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from credo.cli.api import (
    Management,
    ServerOption,
    emit,
    emit_table,
    management_errors,
    segment,
    text,
)
from credo.cli.common import DataDirOption, JsonOption, print_fields

app = typer.Typer(no_args_is_help=True, help="Create and list tenants (operator).")

ProfileName = Literal["entra", "strict"]
TenantArgument = Annotated[str, typer.Argument(help="The tenant's id (GUID) or a domain name.",
                                               show_default=False)]
_COLUMNS = (("id", "id"), ("domain", "domain"), ("display name", "displayName"),
            ("profile", "profile"))


def _domains(tenant: dict[str, Any]) -> list[str]:
    return [str(d.get("name")) for d in tenant.get("verifiedDomains") or []]


def _row(tenant: dict[str, Any]) -> dict[str, Any]:
    return {**tenant, "domain": text(_domains(tenant))}


def _show(tenant: dict[str, Any]) -> None:
    print_fields({"Tenant id": tenant.get("id"), "Domains": text(_domains(tenant)),
                  "Display name": tenant.get("displayName") or "",
                  "Profile": tenant.get("profile"),
                  "Created": tenant.get("createdDateTime") or ""})


@app.command("create")
@management_errors
def create(
    domain: Annotated[str, typer.Option(help="The tenant's domain, e.g. contoso.example.",
                                        show_default=False)],
    data_dir: DataDirOption,
    display_name: Annotated[str | None, typer.Option(help="Default: the domain.")] = None,
    profile: Annotated[ProfileName, typer.Option(
        help="Security profile: entra (Entra-compatible) or strict (single-use assertions).",
    )] = "entra",
    server: ServerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a tenant; the operator may manage it at once."""
    body = {"domain": domain, "displayName": display_name or domain, "profile": profile}
    with Management(data_dir, server) as api:
        tenant = api.post(api.bootstrap_tenant, "/tenants", body)
    emit(tenant, as_json, lambda: _show(tenant))


@app.command("list")
@management_errors
def list_tenants(data_dir: DataDirOption, server: ServerOption = None,
                 as_json: JsonOption = False) -> None:
    """List every tenant."""
    with Management(data_dir, server) as api:
        tenants = api.collection(api.bootstrap_tenant, "/tenants")
    emit(tenants, as_json, lambda: emit_table([_row(t) for t in tenants], _COLUMNS,
                                              empty="no tenants"))


@app.command("show")
@management_errors
def show(tenant: TenantArgument, data_dir: DataDirOption, server: ServerOption = None,
         as_json: JsonOption = False) -> None:
    """Show one tenant, by id or domain."""
    with Management(data_dir, server) as api:
        found = api.get(api.bootstrap_tenant, f"/tenants/{segment(tenant)}")
    emit(found, as_json, lambda: _show(found))


@app.command("set-profile")
@management_errors
def set_profile(
    tenant: TenantArgument,
    profile: Annotated[ProfileName, typer.Argument(help="entra or strict.", show_default=False)],
    data_dir: DataDirOption,
    server: ServerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a tenant's security profile (entra or strict)."""
    with Management(data_dir, server) as api:
        found = api.get(api.bootstrap_tenant, f"/tenants/{segment(tenant)}")
        api.patch(api.bootstrap_tenant, f"/tenants/{found['id']}", {"profile": profile})
        updated = api.get(api.bootstrap_tenant, f"/tenants/{found['id']}")
    emit(updated, as_json, lambda: _show(updated))
