"""``credo app``: register, list, show and delete applications; edit the manifest; install
a multi-tenant app in another tenant; enable or disable an app's service principal.

APP is an object id, an appId (client id), an identifier URI or a display name; without
``--tenant`` it is looked for in every tenant (``credo.cli.lookup``). Certificates and
secrets live in ``credo.cli.app_credentials``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli import app_credentials, app_federated, lookup
from credo.cli.api import Management
from credo.cli.common import (
    EXIT_USAGE,
    CaOption,
    CliError,
    DataDirOption,
    JsonOption,
    RequiredTenantOption,
    ServerOption,
    TenantOption,
    YesOption,
    command_group,
    confirm,
    handle_errors,
    read_file,
)
from credo.cli.output import emit, emit_json, emit_table, print_fields, say
from credo.model import is_guid

app = command_group("Register and manage applications.")
manifest_app = command_group("Read and write an application's manifest (Graph JSON).")
sp_app = command_group("Service principals: an application's instance in a tenant.")
app.add_typer(manifest_app, name="manifest")
app.add_typer(app_credentials.cert_app, name="cert")
app.add_typer(app_credentials.secret_app, name="secret")
app.add_typer(app_federated.federated_app, name="federated")
app.add_typer(sp_app, name="sp")

AppArgument = Annotated[str, typer.Argument(
    metavar="APP", help="Object id, appId, identifier URI or display name.", show_default=False)]
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
        "Identifier URIs": found.get("identifierUris"), "App roles": roles,
        "Access token version": api.get("requestedAccessTokenVersion") or "1 (default)",
        "Certificates": len(found.get("keyCredentials") or []),
        "Secrets": len(found.get("passwordCredentials") or []),
    })


def _show_sp(sp: dict[str, Any]) -> None:
    print_fields({"Service principal id": sp.get("id"), "Display name": sp.get("displayName"),
                  "appId": sp.get("appId"), "Home tenant": sp.get("appOwnerOrganizationId"),
                  "Enabled": sp.get("accountEnabled"),
                  "Assignment required": sp.get("appRoleAssignmentRequired")})


@app.command("create")
@handle_errors
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Display name.",
                                        show_default=False)],
    tenant: RequiredTenantOption,
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
    server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Register an application (and its service principal in the tenant)."""
    values = list(app_roles or [])
    if len(set(values)) != len(values):
        raise CliError("each --app-role may be given once", exit_code=EXIT_USAGE)
    body: dict[str, Any] = {
        "displayName": name, "identifierUris": list(identifier_uri or []),
        "appRoles": [app_role(v) for v in values],
        "signInAudience": "AzureADMultipleOrgs" if multi_tenant else "AzureADMyOrg"}
    if token_version is not None:
        body["api"] = {"requestedAccessTokenVersion": token_version}
    with Management(data_dir, server, ca=ca) as api:
        created = api.post(tenant, "/applications", body)
    emit(created, as_json, lambda: _show_app(created))


@app.command("list")
@handle_errors
def list_apps(tenant: RequiredTenantOption, data_dir: DataDirOption, server: ServerOption = None,
              ca: CaOption = None, as_json: JsonOption = False) -> None:
    """List the applications registered in a tenant."""
    with Management(data_dir, server, ca=ca) as api:
        apps = api.collection(tenant, "/applications")
    emit(apps, as_json, lambda: emit_table(apps, _COLUMNS, empty="no applications"))


@app.command("show")
@handle_errors
def show(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
         server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Show one application."""
    with Management(data_dir, server, ca=ca) as api:
        _, found = lookup.locate(api, app_ref, tenant)
    emit(found, as_json, lambda: _show_app(found))


@app.command("delete")
@handle_errors
def delete(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
           yes: YesOption = False, server: ServerOption = None, ca: CaOption = None,
           as_json: JsonOption = False) -> None:
    """Delete an application, its credentials, service principals and grants."""
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        confirm(f"Delete {found.get('displayName')} (appId {found.get('appId')}) in {home}, "
                "with its credentials, service principals and grants?", yes)
        api.delete(home, f"/applications/{found['id']}")
    say(found, as_json, f"deleted {found.get('displayName')} (appId {found.get('appId')})")


@manifest_app.command("get")
@handle_errors
def manifest_get(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
                 server: ServerOption = None, ca: CaOption = None,
                 as_json: JsonOption = False) -> None:
    """Print the manifest (Graph application JSON, certificates included)."""
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        manifest = api.get(home, f"/applications/{found['id']}")
    emit_json(manifest)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(read_file(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CliError(f"{path} must hold a JSON object (the application manifest)")
    return {k: v for k, v in document.items() if not k.startswith("@")}


@manifest_app.command("set")
@handle_errors
def manifest_set(
    app_ref: AppArgument,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The edited manifest (JSON).",
                                         show_default=False)],
    data_dir: DataDirOption, tenant: TenantOption = None, server: ServerOption = None,
    ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Apply an edited manifest; every invalid field is reported."""
    document = _read_manifest(path)
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        api.patch(home, f"/applications/{found['id']}", document)
        updated = api.get(home, f"/applications/{found['id']}")
    emit(updated, as_json, lambda: _show_app(updated))


@sp_app.command("create")
@handle_errors
def sp_create(
    app_ref: Annotated[str, typer.Argument(
        metavar="APP", help="The appId of a multi-tenant app (or an app of this tenant).",
        show_default=False)],
    tenant: RequiredTenantOption, data_dir: DataDirOption, server: ServerOption = None,
    ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Install an application in a tenant: create its service principal there."""
    with Management(data_dir, server, ca=ca) as api:
        app_id = app_ref if is_guid(app_ref) else lookup.locate(api, app_ref, None)[1]["appId"]
        sp = lookup.install(api, tenant, str(app_id))
    emit(sp, as_json, lambda: _show_sp(sp))


def service_principal(api: Management, app_ref: str, tenant: str | None,
                      ) -> tuple[str, dict[str, Any]]:
    """``(tenant, SP)`` of ``app_ref`` in ``tenant``, by default in the app's home tenant."""
    if tenant is not None:
        return tenant, lookup.require_service_principal(api, tenant, app_ref)
    home, found = lookup.locate(api, app_ref, None)
    return home, lookup.require_service_principal(api, home, str(found["appId"]))


@sp_app.command("show")
@handle_errors
def sp_show(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
            server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Show an application's service principal in a tenant."""
    with Management(data_dir, server, ca=ca) as api:
        _, sp = service_principal(api, app_ref, tenant)
    emit(sp, as_json, lambda: _show_sp(sp))


def _set_enabled(app_ref: str, tenant: str | None, api: Management, enabled: bool,
                 as_json: bool) -> None:
    home, sp = service_principal(api, app_ref, tenant)
    api.patch(home, f"/servicePrincipals/{sp['id']}", {"accountEnabled": enabled})
    updated = api.get(home, f"/servicePrincipals/{sp['id']}")
    state = "enabled" if enabled else "disabled (it gets no more tokens in this tenant)"
    say(updated, as_json, f"{sp.get('displayName')} (appId {sp.get('appId')}) {state} in {home}")


@app.command("disable")
@handle_errors
def disable(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
            server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Disable an application in a tenant (its service principal's accountEnabled)."""
    with Management(data_dir, server, ca=ca) as api:
        _set_enabled(app_ref, tenant, api, False, as_json)


@app.command("enable")
@handle_errors
def enable(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
           server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Enable an application in a tenant again."""
    with Management(data_dir, server, ca=ca) as api:
        _set_enabled(app_ref, tenant, api, True, as_json)

