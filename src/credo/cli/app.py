"""``credo app``: register, list, show and delete applications; edit the manifest; install
a multi-tenant app in another tenant; enable or disable an app's service principal.

APP is an object id, an appId (client id), an identifier URI or a display name
(``credo.cli.lookup``). Certificates and secrets live in ``credo.cli.app_credentials``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli import app_credentials, lookup
from credo.cli.api import (
    Management,
    ServerOption,
    TenantOption,
    emit,
    emit_json,
    emit_table,
    management_errors,
    text,
)
from credo.cli.common import (
    EXIT_FAILURE,
    CliError,
    DataDirOption,
    JsonOption,
    print_fields,
    read_file,
)
from credo.model import is_guid

app = typer.Typer(no_args_is_help=True, help="Register and manage applications.")
manifest_app = typer.Typer(no_args_is_help=True,
                           help="Read and write an application's manifest (Graph JSON).")
sp_app = typer.Typer(no_args_is_help=True,
                     help="Service principals: an application's instance in a tenant.")
app.add_typer(manifest_app, name="manifest")
app.add_typer(app_credentials.cert_app, name="cert")
app.add_typer(app_credentials.secret_app, name="secret")
app.add_typer(sp_app, name="sp")

AppArgument = Annotated[str, typer.Argument(
    help="Object id, appId, identifier URI or display name.", show_default=False)]
_COLUMNS = (("display name", "displayName"), ("appId", "appId"), ("object id", "id"),
            ("identifier URIs", "identifierUris"), ("audience", "signInAudience"))


def app_role(value: str) -> dict[str, Any]:
    """An application permission: assignable to apps only, enabled, with a fresh id."""
    return {"allowedMemberTypes": ["Application"], "description":
            f"Allows the app to use {value} as itself, without a signed-in user.",
            "displayName": value, "id": str(uuid.uuid4()), "isEnabled": True, "value": value}


def _show_app(found: dict[str, Any]) -> None:
    roles = [r.get("value") for r in found.get("appRoles") or []]
    api = found.get("api") or {}
    print_fields({
        "Display name": found.get("displayName"), "Application (client) id": found.get("appId"),
        "Object id": found.get("id"), "Sign-in audience": found.get("signInAudience"),
        "Identifier URIs": text(found.get("identifierUris")), "App roles": text(roles),
        "Access token version": text(api.get("requestedAccessTokenVersion") or "1 (default)"),
        "Certificates": len(found.get("keyCredentials") or []),
        "Secrets": len(found.get("passwordCredentials") or []),
    })


def _show_sp(sp: dict[str, Any]) -> None:
    print_fields({"Service principal id": sp.get("id"), "Display name": sp.get("displayName"),
                  "appId": sp.get("appId"), "Home tenant": sp.get("appOwnerOrganizationId"),
                  "Enabled": text(sp.get("accountEnabled")),
                  "Assignment required": text(sp.get("appRoleAssignmentRequired"))})


@app.command("create")
@management_errors
def create(
    tenant: TenantOption,
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    data_dir: DataDirOption,
    identifier_uri: Annotated[list[str] | None, typer.Option(
        "--identifier-uri", help="An App ID URI, e.g. api://mail (repeatable).")] = None,
    app_roles: Annotated[list[str] | None, typer.Option(
        "--app-role", help="An application permission it offers, e.g. Mail.Read "
                           "(repeatable).")] = None,
    multi_tenant: Annotated[bool, typer.Option(
        "--multi-tenant", help="Usable from other tenants (AzureADMultipleOrgs).")] = False,
    token_version: Annotated[int | None, typer.Option(
        "--token-version", min=1, max=2, help="Access token version its tokens use.")] = None,
    server: ServerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an application (and its service principal in the tenant)."""
    values = list(app_roles or [])
    if len(set(values)) != len(values):
        raise CliError("each --app-role may be given once")
    body: dict[str, Any] = {
        "displayName": name, "identifierUris": list(identifier_uri or []),
        "appRoles": [app_role(v) for v in values],
        "signInAudience": "AzureADMultipleOrgs" if multi_tenant else "AzureADMyOrg"}
    if token_version is not None:
        body["api"] = {"requestedAccessTokenVersion": token_version}
    with Management(data_dir, server) as api:
        created = api.post(tenant, "/applications", body)
    emit(created, as_json, lambda: _show_app(created))


@app.command("list")
@management_errors
def list_apps(tenant: TenantOption, data_dir: DataDirOption, server: ServerOption = None,
              as_json: JsonOption = False) -> None:
    """List the applications registered in a tenant."""
    with Management(data_dir, server) as api:
        apps = api.collection(tenant, "/applications")
    emit(apps, as_json, lambda: emit_table(apps, _COLUMNS, empty="no applications"))


@app.command("show")
@management_errors
def show(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
         server: ServerOption = None, as_json: JsonOption = False) -> None:
    """Show one application."""
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
    emit(found, as_json, lambda: _show_app(found))


@app.command("delete")
@management_errors
def delete(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
           server: ServerOption = None) -> None:
    """Delete an application, its credentials, service principals and grants."""
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
        api.delete(tenant, f"/applications/{found['id']}")
    typer.echo(f"deleted {found.get('displayName')} (appId {found.get('appId')})")


@manifest_app.command("get")
@management_errors
def manifest_get(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
                 server: ServerOption = None) -> None:
    """Print the manifest (Graph application JSON, certificates included)."""
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
    emit_json(found)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(read_file(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{path} is not JSON: {exc}", exit_code=EXIT_FAILURE) from exc
    if not isinstance(document, dict):
        raise CliError(f"{path} must hold a JSON object (the application manifest)",
                       exit_code=EXIT_FAILURE)
    return {k: v for k, v in document.items() if not k.startswith("@")}


@manifest_app.command("set")
@management_errors
def manifest_set(
    tenant: TenantOption, app_ref: AppArgument,
    path: Annotated[Path, typer.Argument(help="The edited manifest (JSON).", show_default=False)],
    data_dir: DataDirOption, server: ServerOption = None, as_json: JsonOption = False,
) -> None:
    """Apply an edited manifest; every invalid field is reported."""
    document = _read_manifest(path)
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
        api.patch(tenant, f"/applications/{found['id']}", document)
        updated = api.get(tenant, f"/applications/{found['id']}")
    emit(updated, as_json, lambda: _show_app(updated))


@sp_app.command("create")
@management_errors
def sp_create(
    tenant: TenantOption,
    app_ref: Annotated[str, typer.Argument(
        help="The appId of a multi-tenant app (or an app of this tenant).", show_default=False)],
    data_dir: DataDirOption, server: ServerOption = None, as_json: JsonOption = False,
) -> None:
    """Install an application in a tenant: create its service principal there."""
    with Management(data_dir, server) as api:
        app_id = app_ref if is_guid(app_ref) else lookup.application(api, tenant,
                                                                      app_ref)["appId"]
        sp = lookup.install(api, tenant, str(app_id))
    emit(sp, as_json, lambda: _show_sp(sp))


@sp_app.command("show")
@management_errors
def sp_show(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
            server: ServerOption = None, as_json: JsonOption = False) -> None:
    """Show an application's service principal in a tenant."""
    with Management(data_dir, server) as api:
        sp = lookup.require_service_principal(api, tenant, app_ref)
    emit(sp, as_json, lambda: _show_sp(sp))


def _set_enabled(tenant: str, app_ref: str, data_dir: Path, server: str | None,
                 enabled: bool) -> None:
    with Management(data_dir, server) as api:
        sp = lookup.require_service_principal(api, tenant, app_ref)
        api.patch(tenant, f"/servicePrincipals/{sp['id']}", {"accountEnabled": enabled})
    state = "enabled" if enabled else "disabled (it gets no more tokens in this tenant)"
    typer.echo(f"{sp.get('displayName')} (appId {sp.get('appId')}) {state}")


@app.command("disable")
@management_errors
def disable(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
            server: ServerOption = None) -> None:
    """Disable an application in a tenant (its service principal's accountEnabled)."""
    _set_enabled(tenant, app_ref, data_dir, server, False)


@app.command("enable")
@management_errors
def enable(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
           server: ServerOption = None) -> None:
    """Enable an application in a tenant again."""
    _set_enabled(tenant, app_ref, data_dir, server, True)
