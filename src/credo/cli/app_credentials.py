"""``credo app cert`` and ``credo app secret``: an application's certificates and secrets.

Certificates are uploaded as Graph ``keyCredential`` entries through ``addKey`` (the public
certificate only; the private key never leaves the developer's machine). Secrets are drawn
by the server (``addPassword``) and shown exactly once.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from cryptography import x509
from cryptography.x509.oid import NameOID

from credo import certs
from credo.cli import lookup
from credo.cli.api import (
    Management,
    ServerOption,
    TenantOption,
    emit,
    emit_table,
    management_errors,
)
from credo.cli.common import (
    EXIT_FAILURE,
    CliError,
    DataDirOption,
    JsonOption,
    print_fields,
    read_file,
)
from credo.manifest import key_credential_to_json

cert_app = typer.Typer(no_args_is_help=True, help="Upload, list and remove certificates.")
secret_app = typer.Typer(no_args_is_help=True, help="Add, list and remove client secrets.")

AppArgument = Annotated[str, typer.Argument(
    help="Object id, appId, identifier URI or display name.", show_default=False)]
KeyIdArgument = Annotated[str, typer.Argument(
    help="The credential's keyId (a certificate may also be named by its SHA-1 thumbprint).",
    show_default=False)]
DisplayName = Annotated[str | None, typer.Option(help="The credential's display name.")]

_Kind = Literal["certificate", "secret"]
_COLLECTION: dict[_Kind, str] = {"certificate": "keyCredentials", "secret": "passwordCredentials"}
_REMOVE_ACTION: dict[_Kind, str] = {"certificate": "removeKey", "secret": "removePassword"}
_CERT_COLUMNS = (("keyId", "keyId"), ("display name", "displayName"),
                 ("thumbprint (SHA-1)", "thumbprint"), ("starts", "startDateTime"),
                 ("expires", "endDateTime"))
_SECRET_COLUMNS = (("keyId", "keyId"), ("display name", "displayName"), ("hint", "hint"),
                   ("starts", "startDateTime"), ("expires", "endDateTime"))


def _subject_name(cert: x509.Certificate) -> str:
    """``CN=<common name>`` as the portal shows an uploaded certificate."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={names[0].value!s}" if names else cert.subject.rfc4514_string()


def key_credential_entry(path: Path, display_name: str | None) -> dict[str, Any]:
    """The ``keyCredential`` of a PEM or DER certificate file (key = base64 DER)."""
    cert = certs.load_certificate(read_file(path))
    credential = certs.key_credential(
        cert, key_id=str(uuid.uuid4()),
        display_name=display_name if display_name is not None else _subject_name(cert))
    return key_credential_to_json(credential, include_key=True)


def _thumbprint(entry: dict[str, Any]) -> str:
    """The SHA-1 hex thumbprint of a ``customKeyIdentifier`` (base64 SHA-1)."""
    try:
        return base64.b64decode(str(entry.get("customKeyIdentifier") or "")).hex().upper()
    except (binascii.Error, ValueError):
        return ""


def _find_key(entries: list[dict[str, Any]], ref: str, what: str) -> dict[str, Any]:
    canonical = ref.replace(":", "").replace(" ", "").upper()
    for entry in entries:
        if str(entry.get("keyId", "")).lower() == ref.lower() or _thumbprint(entry) == canonical:
            return entry
    known = ", ".join(str(e.get("keyId")) for e in entries) or "none"
    raise CliError(f"no {what} {ref!r} on this application (keyIds: {known})",
                   exit_code=EXIT_FAILURE)


def _credentials(tenant: str, app_ref: str, data_dir: Path, server: str | None,
                 kind: _Kind) -> list[dict[str, Any]]:
    """The app's ``keyCredentials`` (certificates) or ``passwordCredentials`` (secrets)."""
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
    return list(found.get(_COLLECTION[kind]) or [])


def _remove(tenant: str, app_ref: str, key_id: str, data_dir: Path, server: str | None,
            kind: _Kind) -> None:
    """``removeKey`` / ``removePassword`` of the credential ``key_id`` names."""
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
        entry = _find_key(list(found.get(_COLLECTION[kind]) or []), key_id, kind)
        api.post(tenant, f"/applications/{found['id']}/{_REMOVE_ACTION[kind]}",
                 {"keyId": entry["keyId"]})
    typer.echo(f"removed {kind} {entry['keyId']} from {found.get('displayName')}")


@cert_app.command("add")
@management_errors
def cert_add(
    tenant: TenantOption, app_ref: AppArgument,
    cert_path: Annotated[Path, typer.Argument(
        help="The certificate: PEM (.pem) or DER (.cer). Never the private key.",
        show_default=False)],
    data_dir: DataDirOption, display_name: DisplayName = None, server: ServerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a certificate the app signs its client assertions with."""
    entry = key_credential_entry(cert_path, display_name)
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
        added = api.post(tenant, f"/applications/{found['id']}/addKey",
                         {"keyCredential": entry, "passwordCredential": None})
    result = added if isinstance(added, dict) else entry
    emit(result, as_json, lambda: print_fields({
        "Certificate added to": f"{found.get('displayName')} (appId {found.get('appId')})",
        "keyId": result.get("keyId"), "Thumbprint (SHA-1)": _thumbprint(result),
        "Expires": result.get("endDateTime")}))


@cert_app.command("list")
@management_errors
def cert_list(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
              server: ServerOption = None, as_json: JsonOption = False) -> None:
    """List the app's certificates."""
    entries = _credentials(tenant, app_ref, data_dir, server, "certificate")
    rows = [{**e, "thumbprint": _thumbprint(e)} for e in entries]
    emit(entries, as_json, lambda: emit_table(rows, _CERT_COLUMNS, empty="no certificates"))


@cert_app.command("remove")
@management_errors
def cert_remove(tenant: TenantOption, app_ref: AppArgument, key_id: KeyIdArgument,
                data_dir: DataDirOption, server: ServerOption = None) -> None:
    """Remove a certificate: assertions signed with it are refused from then on."""
    _remove(tenant, app_ref, key_id, data_dir, server, "certificate")


def _print_secret(created: dict[str, Any]) -> None:
    typer.echo("Client secret — shown only this once; store it now:", err=True)
    typer.echo(str(created.get("secretText")))
    typer.echo(f"keyId {created.get('keyId')}, expires {created.get('endDateTime')}", err=True)


@secret_app.command("add")
@management_errors
def secret_add(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
               display_name: DisplayName = None, server: ServerOption = None,
               as_json: JsonOption = False) -> None:
    """Create a client secret; the server draws it and shows it once."""
    body = {"passwordCredential": {"displayName": display_name}}
    with Management(data_dir, server) as api:
        found = lookup.application(api, tenant, app_ref)
        created = api.post(tenant, f"/applications/{found['id']}/addPassword", body)
    emit(created, as_json, lambda: _print_secret(created))


@secret_app.command("list")
@management_errors
def secret_list(tenant: TenantOption, app_ref: AppArgument, data_dir: DataDirOption,
                server: ServerOption = None, as_json: JsonOption = False) -> None:
    """List the app's secrets (their hints; a secret itself is never shown again)."""
    entries = _credentials(tenant, app_ref, data_dir, server, "secret")
    emit(entries, as_json, lambda: emit_table(entries, _SECRET_COLUMNS, empty="no secrets"))


@secret_app.command("remove")
@management_errors
def secret_remove(tenant: TenantOption, app_ref: AppArgument, key_id: KeyIdArgument,
                  data_dir: DataDirOption, server: ServerOption = None) -> None:
    """Remove a client secret."""
    _remove(tenant, app_ref, key_id, data_dir, server, "secret")
