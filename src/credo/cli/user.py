"""``credo user``: create and list users, set passwords, assign administrator roles.

Every command goes through the management API (``/v1.0/users``, ``/v1.0/directoryRoles``)
as the operator. The user is the ID (userPrincipalName or object id); the tenant defaults to
the one whose domain the userPrincipalName ends with. A password is read from
``--password-file`` or prompted for (hidden, twice); it is never an option value, so it stays
out of shell history and process lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli.api import Management, segment
from credo.cli.common import (
    EXIT_USAGE,
    CaOption,
    CliError,
    DataDirOption,
    JsonOption,
    PasswordFileOption,
    RequiredTenantOption,
    ServerOption,
    TenantOption,
    YesOption,
    command_group,
    confirm,
    handle_errors,
    read_password_file,
)
from credo.cli.output import emit, emit_table, print_fields
from credo.errors import NotFound

app = command_group("Users of a tenant and their administrator roles.")

UserArgument = Annotated[str, typer.Argument(
    metavar="USER", help="userPrincipalName (alice@contoso.example) or object id.",
    show_default=False)]
RoleOption = Annotated[list[str] | None, typer.Option(
    "--role", help="A directory role: 'Global Administrator', 'Application Administrator' or "
                   "'Cloud Application Administrator'; repeatable.")]
_COLUMNS = (("user principal name", "userPrincipalName"), ("display name", "displayName"),
            ("enabled", "accountEnabled"), ("roles", "roles"), ("id", "id"))
Object = dict[str, Any]


def _tenant(user: str, tenant: str | None) -> str:
    """``--tenant``, else the domain of the userPrincipalName."""
    if tenant is not None:
        return tenant
    if "@" in user:
        return user.rsplit("@", 1)[1]
    raise CliError(f"{user!r} is not a userPrincipalName: give --tenant", exit_code=EXIT_USAGE)


def _password(path: Path | None) -> str:
    raw = read_password_file(path)
    if raw is not None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CliError(f"the password file {path} is not UTF-8 text") from None
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _roles(api: Management, tenant: str) -> dict[str, str]:
    """Display name of each directory role by its id."""
    return {str(r["id"]): str(r["displayName"])
            for r in api.collection(tenant, "/directoryRoles")}


def _role_id(roles: dict[str, str], name: str) -> str:
    for role_id, display in roles.items():
        if name.strip().lower() in (display.lower(), role_id):
            return role_id
    raise CliError(f"unknown role {name!r}; known roles: {', '.join(roles.values())}",
                   exit_code=EXIT_USAGE)


def _held(api: Management, tenant: str, roles: dict[str, str]) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    for role_id, name in roles.items():
        for member in api.collection(tenant, f"/directoryRoles/{role_id}/members"):
            held.setdefault(str(member.get("id")), []).append(name)
    return held


def _assign(api: Management, tenant: str, user: Object, role_id: str) -> None:
    api.post(tenant, f"/directoryRoles/{role_id}/members/$ref",
             {"@odata.id": f"{api.server}/v1.0/directoryObjects/{user['id']}"})


def _user(api: Management, tenant: str, user: str, change: Object | None = None) -> Object:
    """The user (after ``change``, when given); one the tenant lacks is named plainly."""
    path = f"/users/{segment(user)}"
    try:
        if change is not None:
            api.patch(tenant, path, change)
        found: Object = api.get(tenant, path)
    except NotFound as exc:
        raise CliError(f"no user {user!r} in tenant {tenant}",
                       hints=[f"`credo user list --tenant {tenant}` shows its users"]) from exc
    return found


def _with_roles(api: Management, tenant: str, user: str, change: Object | None = None) -> Object:
    """The user (after ``change``), with the names of the directory roles it holds."""
    found = _user(api, tenant, user, change)
    held = _held(api, tenant, _roles(api, tenant)).get(str(found.get("id")), [])
    return {**found, "roles": held}


def _show(user: Object) -> None:
    print_fields({"User": user.get("userPrincipalName"), "Id": user.get("id"),
                  "Display name": user.get("displayName"),
                  "Enabled": user.get("accountEnabled"),
                  "Roles": ", ".join(user.get("roles") or []) or "none"})


@app.command("create")
@handle_errors
def create(
    data_dir: DataDirOption,
    upn: Annotated[str, typer.Argument(
        metavar="USER", help="userPrincipalName, e.g. alice@contoso.example (a domain of the "
        "tenant).", show_default=False)],
    display_name: Annotated[str | None, typer.Option(
        help="Display name.", show_default="the part before @")] = None,
    password_file: PasswordFileOption = None, roles: RoleOption = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
    tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user (and assign directory roles)."""
    principal, name = upn, display_name
    where = _tenant(principal, tenant)
    password = _password(password_file)
    with Management(data_dir, server, ca=ca) as api:
        known = _roles(api, where) if roles else {}
        wanted = [_role_id(known, r) for r in roles or []]
        user = api.post(where, "/users", {
            "accountEnabled": not disabled, "userPrincipalName": principal,
            "displayName": name or principal.split("@")[0],
            "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False}})
        for role_id in wanted:
            _assign(api, where, user, role_id)
    shown = {**user, "roles": [known[r] for r in wanted]}
    emit(shown, as_json, lambda: _show(shown))


@app.command("list")
@handle_errors
def list_users(tenant: RequiredTenantOption, data_dir: DataDirOption,
               server: ServerOption = None, ca: CaOption = None,
               as_json: JsonOption = False) -> None:
    """List a tenant's users with their directory roles."""
    with Management(data_dir, server, ca=ca) as api:
        users = api.collection(tenant, "/users")
        held = _held(api, tenant, _roles(api, tenant))
    rows = [{**u, "roles": held.get(str(u.get("id")), [])} for u in users]
    emit(rows, as_json, lambda: emit_table(rows, _COLUMNS, empty="no users"))


@app.command("show")
@handle_errors
def show(user: UserArgument, data_dir: DataDirOption, tenant: TenantOption = None,
         server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Show a user with its directory roles."""
    with Management(data_dir, server, ca=ca) as api:
        found = _with_roles(api, _tenant(user, tenant), user)
    emit(found, as_json, lambda: _show(found))


@app.command("set-password")
@handle_errors
def set_password(user: UserArgument, data_dir: DataDirOption, tenant: TenantOption = None,
                 password_file: PasswordFileOption = None, server: ServerOption = None,
                 ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Set a user's password; sessions signed in before it end."""
    where, password = _tenant(user, tenant), _password(password_file)
    with Management(data_dir, server, ca=ca) as api:
        found = _with_roles(api, where, user, {"passwordProfile": {
            "password": password, "forceChangePasswordNextSignIn": False}})
    emit(found, as_json, lambda: typer.echo(f"password of {found['userPrincipalName']} changed"))


def _change_roles(user: str, tenant: str | None, api: Management, roles: list[str] | None,
                  *, assign: bool) -> Object:
    if not roles:
        raise CliError("give at least one --role", exit_code=EXIT_USAGE)
    where = _tenant(user, tenant)
    known = _roles(api, where)
    wanted = [_role_id(known, name) for name in roles]
    found = _with_roles(api, where, user)
    for role_id in wanted:
        if (known[role_id] in found["roles"]) == assign:
            continue  # already as asked: nothing to change
        if assign:
            _assign(api, where, found, role_id)
        else:
            api.delete(where, f"/directoryRoles/{role_id}/members/{found['id']}/$ref")
    return {**_with_roles(api, where, user), "changed": [known[r] for r in wanted]}


def _report_roles(user: Object, assign: bool) -> None:
    state = "now" if assign else "no longer"
    for role in user["changed"]:
        typer.echo(f"{user['userPrincipalName']} is {state} {role}")


@app.command("assign-role")
@handle_errors
def assign_role(user: UserArgument, data_dir: DataDirOption, roles: RoleOption = None,
                tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
                as_json: JsonOption = False) -> None:
    """Assign directory roles to a user (a role it holds already is left as it is)."""
    with Management(data_dir, server, ca=ca) as api:
        found = _change_roles(user, tenant, api, roles, assign=True)
    emit(found, as_json, lambda: _report_roles(found, True))


@app.command("remove-role")
@handle_errors
def remove_role(user: UserArgument, data_dir: DataDirOption, roles: RoleOption = None,
                tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
                as_json: JsonOption = False) -> None:
    """Remove directory roles from a user (a role it does not hold is left as it is)."""
    with Management(data_dir, server, ca=ca) as api:
        found = _change_roles(user, tenant, api, roles, assign=False)
    emit(found, as_json, lambda: _report_roles(found, False))


def _set_enabled(user: str, tenant: str | None, api: Management, enabled: bool,
                 as_json: bool) -> None:
    where = _tenant(user, tenant)
    found = _with_roles(api, where, user, {"accountEnabled": enabled})
    emit(found, as_json, lambda: typer.echo(
        f"{found['userPrincipalName']} {'enabled' if enabled else 'disabled'}"))


@app.command("disable")
@handle_errors
def disable(user: UserArgument, data_dir: DataDirOption, tenant: TenantOption = None,
            server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Disable a user: sign-in is refused and open sessions end."""
    with Management(data_dir, server, ca=ca) as api:
        _set_enabled(user, tenant, api, False, as_json)


@app.command("enable")
@handle_errors
def enable(user: UserArgument, data_dir: DataDirOption, tenant: TenantOption = None,
           server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Enable a disabled user."""
    with Management(data_dir, server, ca=ca) as api:
        _set_enabled(user, tenant, api, True, as_json)


@app.command("delete")
@handle_errors
def delete(user: UserArgument, data_dir: DataDirOption, tenant: TenantOption = None,
           yes: YesOption = False, server: ServerOption = None, ca: CaOption = None,
           as_json: JsonOption = False) -> None:
    """Delete a user."""
    where = _tenant(user, tenant)
    with Management(data_dir, server, ca=ca) as api:
        found = _with_roles(api, where, user)
        confirm(f"Delete the user {found['userPrincipalName']} of {where}?", yes)
        api.delete(where, f"/users/{found['id']}")
    emit(found, as_json, lambda: typer.echo(f"deleted {found['userPrincipalName']}"))
