"""``credo user``: create and list users, set passwords, assign administrator roles.

Every command goes through the management API (``/v1.0/users``, ``/v1.0/directoryRoles``)
as the operator, which holds ``User.ReadWrite.All`` and
``RoleManagement.ReadWrite.Directory`` in tenants created after those roles existed. A
password is read from ``--password-file`` or prompted for (hidden, twice); it is never an
option value, so it stays out of shell history and process lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli.api import (
    Management,
    ServerOption,
    TenantOption,
    emit,
    emit_table,
    management_errors,
    segment,
)
from credo.cli.common import (
    CliError,
    DataDirOption,
    JsonOption,
    PasswordFileOption,
    print_fields,
    read_password_file,
)

app = typer.Typer(no_args_is_help=True, help="Users of a tenant and their administrator roles.")

UserArgument = Annotated[str, typer.Argument(help="The user: userPrincipalName or object id.",
                                             show_default=False)]
RoleOption = Annotated[list[str] | None, typer.Option(
    "--role", help="A directory role: 'Global Administrator', 'Application Administrator' or "
                   "'Cloud Application Administrator'; repeatable.")]
_COLUMNS = (("user principal name", "userPrincipalName"), ("display name", "displayName"),
            ("enabled", "accountEnabled"), ("roles", "roles"), ("id", "id"))


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
    raise CliError(f"unknown role {name!r}; known roles: {', '.join(roles.values())}")


def _held(api: Management, tenant: str, roles: dict[str, str]) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    for role_id, name in roles.items():
        for member in api.collection(tenant, f"/directoryRoles/{role_id}/members"):
            held.setdefault(str(member.get("id")), []).append(name)
    return held


def _assign(api: Management, tenant: str, user: dict[str, Any], role_id: str) -> None:
    api.post(tenant, f"/directoryRoles/{role_id}/members/$ref",
             {"@odata.id": f"{api.server}/v1.0/directoryObjects/{user['id']}"})


def _show(user: dict[str, Any]) -> None:
    print_fields({"User": user.get("userPrincipalName"), "Id": user.get("id"),
                  "Display name": user.get("displayName"),
                  "Enabled": "yes" if user.get("accountEnabled") else "no",
                  "Roles": ", ".join(user.get("roles") or []) or "none"})


@app.command("create")
@management_errors
def create(
    tenant: TenantOption,
    upn: Annotated[str, typer.Option("--upn", help="userPrincipalName, e.g. "
                                     "alice@contoso.example (a domain of the tenant).",
                                     show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    data_dir: DataDirOption, password_file: PasswordFileOption = None,
    roles: RoleOption = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
    server: ServerOption = None, as_json: JsonOption = False,
) -> None:
    """Create a user (and assign directory roles)."""
    password = _password(password_file)
    with Management(data_dir, server) as api:
        known = _roles(api, tenant) if roles else {}
        wanted = [_role_id(known, r) for r in roles or []]
        user = api.post(tenant, "/users", {
            "accountEnabled": not disabled, "displayName": name, "userPrincipalName": upn,
            "passwordProfile": {"password": password,
                                "forceChangePasswordNextSignIn": False}})
        for role_id in wanted:
            _assign(api, tenant, user, role_id)
    shown = {**user, "roles": [known[r] for r in wanted]}
    emit(shown, as_json, lambda: _show(shown))


@app.command("list")
@management_errors
def list_users(tenant: TenantOption, data_dir: DataDirOption, server: ServerOption = None,
               as_json: JsonOption = False) -> None:
    """List a tenant's users with their directory roles."""
    with Management(data_dir, server) as api:
        users = api.collection(tenant, "/users")
        held = _held(api, tenant, _roles(api, tenant))
    rows = [{**u, "roles": held.get(str(u.get("id")), [])} for u in users]
    emit(rows, as_json, lambda: emit_table(rows, _COLUMNS, empty="no users"))


@app.command("set-password")
@management_errors
def set_password(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
                 password_file: PasswordFileOption = None,
                 server: ServerOption = None) -> None:
    """Set a user's password; sessions signed in before it end."""
    password = _password(password_file)
    with Management(data_dir, server) as api:
        api.patch(tenant, f"/users/{segment(user)}",
                  {"passwordProfile": {"password": password,
                                       "forceChangePasswordNextSignIn": False}})
    typer.echo(f"password of {user} changed")


def _change_roles(user: str, tenant: str, data_dir: Path, server: str | None,
                  roles: list[str] | None, *, assign: bool) -> None:
    if not roles:
        raise CliError("give at least one --role")
    with Management(data_dir, server) as api:
        known = _roles(api, tenant)
        found = api.get(tenant, f"/users/{segment(user)}")
        for name in roles:
            role_id = _role_id(known, name)
            if assign:
                _assign(api, tenant, found, role_id)
            else:
                api.delete(tenant, f"/directoryRoles/{role_id}/members/{found['id']}/$ref")
            state = "now" if assign else "no longer"
            typer.echo(f"{found['userPrincipalName']} is {state} {known[role_id]}")


@app.command("assign-role")
@management_errors
def assign_role(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
                roles: RoleOption = None, server: ServerOption = None) -> None:
    """Assign directory roles to a user."""
    _change_roles(user, tenant, data_dir, server, roles, assign=True)


@app.command("remove-role")
@management_errors
def remove_role(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
                roles: RoleOption = None, server: ServerOption = None) -> None:
    """Remove directory roles from a user."""
    _change_roles(user, tenant, data_dir, server, roles, assign=False)


def _set_enabled(user: str, tenant: str, data_dir: Path, server: str | None,
                 enabled: bool) -> None:
    with Management(data_dir, server) as api:
        api.patch(tenant, f"/users/{segment(user)}", {"accountEnabled": enabled})
    typer.echo(f"{user} {'enabled' if enabled else 'disabled'}")


@app.command("disable")
@management_errors
def disable(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
            server: ServerOption = None) -> None:
    """Disable a user: sign-in is refused and open sessions end."""
    _set_enabled(user, tenant, data_dir, server, False)


@app.command("enable")
@management_errors
def enable(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
           server: ServerOption = None) -> None:
    """Enable a disabled user."""
    _set_enabled(user, tenant, data_dir, server, True)


@app.command("delete")
@management_errors
def delete(user: UserArgument, tenant: TenantOption, data_dir: DataDirOption,
           server: ServerOption = None) -> None:
    """Delete a user."""
    with Management(data_dir, server) as api:
        api.delete(tenant, f"/users/{segment(user)}")
    typer.echo(f"{user} deleted")
