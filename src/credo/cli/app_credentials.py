"""``credo app cert`` and ``credo app secret``: an application's certificates and secrets.

Certificates are uploaded as Graph ``keyCredential`` entries through ``addKey`` (the public
certificate only; the private key never leaves the developer's machine). Secrets are drawn
by the server (``addPassword``) and shown exactly once. A certificate is named by its keyId
or either thumbprint (SHA-1 as the portal shows it, SHA-256 as AADSTS700027 does).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from cryptography import x509
from cryptography.x509.oid import NameOID

from credo import certs
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
    read_file,
)
from credo.cli.output import emit, emit_table, print_fields, say
from credo.errors import CertificateError
from credo.manifest import key_credential_to_json

cert_app = command_group("Upload, list and remove an application's certificates.")
secret_app = command_group("Add, list and remove an application's client secrets.")

AppArgument = Annotated[str, typer.Argument(
    metavar="APP", help="Object id, appId, identifier URI or display name.", show_default=False)]
CertKeyIdArgument = Annotated[str, typer.Argument(
    metavar="KEY_ID", help="The certificate's keyId, or its SHA-1 or SHA-256 thumbprint.",
    show_default=False)]
SecretKeyIdArgument = Annotated[str, typer.Argument(
    metavar="KEY_ID", help="The secret's keyId (`credo app secret list` shows it).",
    show_default=False)]
DisplayName = Annotated[str | None, typer.Option(help="The credential's display name.")]

_Kind = Literal["certificate", "secret"]
_COLLECTION: dict[_Kind, str] = {"certificate": "keyCredentials", "secret": "passwordCredentials"}
_REMOVE_ACTION: dict[_Kind, str] = {"certificate": "removeKey", "secret": "removePassword"}
_CERT_COLUMNS = (("keyId", "keyId"), ("display name", "displayName"),
                 ("thumbprint (SHA-1)", "sha1"), ("thumbprint (SHA-256)", "sha256"),
                 ("starts", "startDateTime"), ("expires", "endDateTime"))
_SECRET_COLUMNS = (("keyId", "keyId"), ("display name", "displayName"), ("hint", "hint"),
                   ("starts", "startDateTime"), ("expires", "endDateTime"))


def _subject_name(cert: x509.Certificate) -> str:
    """``CN=<common name>`` as the portal shows an uploaded certificate."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={names[0].value!s}" if names else cert.subject.rfc4514_string()


def load_certificate_file(path: Path) -> x509.Certificate:
    """The certificate in ``path``; what the file is instead, when it is not one."""
    try:
        return certs.load_certificate(read_file(path))
    except CertificateError as exc:
        raise CliError(f"{path}: {exc.description}") from exc


def key_credential_entry(path: Path, display_name: str | None) -> dict[str, Any]:
    """The ``keyCredential`` of a PEM or DER certificate file (key = base64 DER)."""
    cert = load_certificate_file(path)
    credential = certs.key_credential(
        cert, key_id=str(uuid.uuid4()),
        display_name=display_name if display_name is not None else _subject_name(cert))
    return key_credential_to_json(credential, include_key=True)


def thumbprints(entry: dict[str, Any]) -> dict[str, str]:
    """SHA-1 (from ``customKeyIdentifier``) and SHA-256 (from ``key``) hex thumbprints."""
    try:
        sha1 = base64.b64decode(str(entry.get("customKeyIdentifier") or "")).hex().upper()
        der = base64.b64decode(str(entry.get("key") or ""))
    except (binascii.Error, ValueError):
        return {"sha1": "", "sha256": ""}
    return {"sha1": sha1, "sha256": hashlib.sha256(der).hexdigest().upper() if der else ""}


def _find_key(entries: list[dict[str, Any]], ref: str, what: str) -> dict[str, Any]:
    canonical = ref.replace(":", "").replace(" ", "").upper()
    for entry in entries:
        prints = thumbprints(entry).values() if what == "certificate" else ()
        if str(entry.get("keyId", "")).lower() == ref.lower() or canonical in prints:
            return entry
    known = ", ".join(str(e.get("keyId")) for e in entries) or "none"
    raise CliError(f"no {what} {ref!r} on this application (keyIds: {known})",
                   exit_code=EXIT_USAGE)


def _credentials(api: Management, app_ref: str, tenant: str | None,
                 kind: _Kind) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """``(tenant, app, its keyCredentials or passwordCredentials)``, certificates included."""
    home, found = lookup.locate(api, app_ref, tenant)
    full = api.get(home, f"/applications/{found['id']}")
    return home, full, list(full.get(_COLLECTION[kind]) or [])


def _remove(app_ref: str, key_id: str, tenant: str | None, api: Management, kind: _Kind,
            as_json: bool) -> None:
    """``removeKey`` / ``removePassword`` of the credential ``key_id`` names."""
    home, found, entries = _credentials(api, app_ref, tenant, kind)
    entry = _find_key(entries, key_id, kind)
    api.post(home, f"/applications/{found['id']}/{_REMOVE_ACTION[kind]}",
             {"keyId": entry["keyId"]})
    say(entry, as_json, f"removed {kind} {entry['keyId']} from {found.get('displayName')}")


@cert_app.command("add")
@handle_errors
def cert_add(
    app_ref: AppArgument,
    cert_path: Annotated[Path, typer.Argument(
        metavar="FILE", help="The certificate: PEM (.pem) or DER (.cer). Never the private key.",
        show_default=False)],
    data_dir: DataDirOption, tenant: TenantOption = None, display_name: DisplayName = None,
    server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False,
) -> None:
    """Upload a certificate the app signs its client assertions with."""
    entry = key_credential_entry(cert_path, display_name)
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        added = api.post(home, f"/applications/{found['id']}/addKey",
                         {"keyCredential": entry, "passwordCredential": None})
    result = added if isinstance(added, dict) else entry
    prints = thumbprints(entry)
    emit(result, as_json, lambda: print_fields({
        "Certificate added to": f"{found.get('displayName')} (appId {found.get('appId')})",
        "keyId": result.get("keyId"), "Thumbprint (SHA-1)": prints["sha1"],
        "Thumbprint (SHA-256)": prints["sha256"], "Expires": result.get("endDateTime")}))


@cert_app.command("list")
@handle_errors
def cert_list(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
              server: ServerOption = None, ca: CaOption = None,
              as_json: JsonOption = False) -> None:
    """List the app's certificates with both thumbprints."""
    with Management(data_dir, server, ca=ca) as api:
        _, _, entries = _credentials(api, app_ref, tenant, "certificate")
    rows = [{**e, **thumbprints(e)} for e in entries]
    emit(entries, as_json, lambda: emit_table(rows, _CERT_COLUMNS, empty="no certificates"))


@cert_app.command("remove")
@handle_errors
def cert_remove(app_ref: AppArgument, key_id: CertKeyIdArgument, data_dir: DataDirOption,
                tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
                as_json: JsonOption = False) -> None:
    """Remove a certificate: assertions signed with it are refused from then on."""
    with Management(data_dir, server, ca=ca) as api:
        _remove(app_ref, key_id, tenant, api, "certificate", as_json)


def _print_secret(created: dict[str, Any]) -> None:
    typer.echo("Client secret — shown only this once; store it now:", err=True)
    typer.echo(str(created.get("secretText")))
    typer.echo(f"keyId {created.get('keyId')}, expires {created.get('endDateTime')}", err=True)


@secret_app.command("add")
@handle_errors
def secret_add(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
               display_name: DisplayName = None, server: ServerOption = None,
               ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Create a client secret; the server draws it and shows it once."""
    body = {"passwordCredential": {"displayName": display_name}}
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, tenant)
        created = api.post(home, f"/applications/{found['id']}/addPassword", body)
    emit(created, as_json, lambda: _print_secret(created))


@secret_app.command("list")
@handle_errors
def secret_list(app_ref: AppArgument, data_dir: DataDirOption, tenant: TenantOption = None,
                server: ServerOption = None, ca: CaOption = None,
                as_json: JsonOption = False) -> None:
    """List the app's secrets (their hints; a secret itself is never shown again)."""
    with Management(data_dir, server, ca=ca) as api:
        _, _, entries = _credentials(api, app_ref, tenant, "secret")
    emit(entries, as_json, lambda: emit_table(entries, _SECRET_COLUMNS, empty="no secrets"))


@secret_app.command("remove")
@handle_errors
def secret_remove(app_ref: AppArgument, key_id: SecretKeyIdArgument, data_dir: DataDirOption,
                  tenant: TenantOption = None, server: ServerOption = None,
                  ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Remove a client secret."""
    with Management(data_dir, server, ca=ca) as api:
        _remove(app_ref, key_id, tenant, api, "secret", as_json)
