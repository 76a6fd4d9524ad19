"""``credo app federated``: an application's federated identity credentials.

Each one trusts the tokens an external issuer (GitHub Actions, a Kubernetes cluster, another
Credo or Entra tenant) makes about one subject, so the workload signs in with such a token
instead of a certificate or a secret. Through ``/v1.0/applications/{id}/
federatedIdentityCredentials``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from credo.cli import lookup
from credo.cli.api import Management
from credo.cli.app_credentials import AppArgument
from credo.cli.common import (
    CaOption,
    DataDirOption,
    JsonOption,
    ServerOption,
    TenantOption,
    command_group,
    handle_errors,
)
from credo.cli.output import emit, emit_table, print_fields, say

federated_app = command_group(
    "Trust an external issuer's tokens (workload identity federation).")

NewNameArgument = Annotated[str, typer.Argument(
    metavar="NAME", help="The credential's name (unique per app).", show_default=False)]
NameArgument = Annotated[str, typer.Argument(
    metavar="NAME", help="The credential's name (unique per app), or its id.",
    show_default=False)]
_COLUMNS = (("name", "name"), ("issuer", "issuer"), ("subject", "subject"),
            ("audiences", "audiences"), ("id", "id"))


def _path(found: dict[str, Any], ref: str = "") -> str:
    return (f"/applications/{found['id']}/federatedIdentityCredentials"
            + (f"/{ref}" if ref else ""))


@federated_app.command("add")
@handle_errors
def federated_add(
    app_ref: AppArgument, name: NewNameArgument, data_dir: DataDirOption,
    issuer: Annotated[str, typer.Option(
        help="The issuer URL, exactly as its tokens' 'iss' (https; its discovery document "
        "is read from <issuer>/.well-known/openid-configuration).", show_default=False)],
    subject: Annotated[str, typer.Option(
        help="The tokens' 'sub', exactly (e.g. repo:OWNER/REPO:ref:refs/heads/main or "
        "system:serviceaccount:NAMESPACE:NAME).", show_default=False)],
    audience: Annotated[str, typer.Option(
        help="The tokens' 'aud'.")] = "api://AzureADTokenExchange",
    description: Annotated[str | None, typer.Option(help="What the credential is for.")] = None,
    tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Trust the issuer's tokens about the subject as this app's credential."""
    body: dict[str, Any] = {"name": name, "issuer": issuer, "subject": subject,
                            "audiences": [audience]}
    if description is not None:
        body["description"] = description
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        created = api.post(home, _path(found), body)
    emit(created, as_json, lambda: print_fields({
        "Federated credential added to": f"{found.get('displayName')} "
                                         f"(appId {found.get('appId')})",
        "name": created.get("name"), "issuer": created.get("issuer"),
        "subject": created.get("subject"), "audiences": created.get("audiences"),
        "id": created.get("id")}))


@federated_app.command("list")
@handle_errors
def federated_list(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
                   server: ServerOption = None, ca: CaOption = None,
                   as_json: JsonOption = False) -> None:
    """List the issuers and subjects the app trusts."""
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        entries = list(api.get(home, _path(found)).get("value") or [])
    emit(entries, as_json,
         lambda: emit_table(entries, _COLUMNS, empty="no federated credentials"))


@federated_app.command("remove")
@handle_errors
def federated_remove(app_ref: AppArgument, name: NameArgument, data_dir: DataDirOption,
                     tenant: TenantOption = None, server: ServerOption = None,
                     ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Stop trusting the credential's tokens; they are refused from then on."""
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        entry = api.get(home, _path(found, name))
        api.delete(home, _path(found, str(entry["id"])))
    entry.pop("@odata.context", None)
    say(entry, as_json, f"removed federated credential {entry['name']} from "
                        f"{found.get('displayName')}")
