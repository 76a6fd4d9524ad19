"""``credo cert``: create a client certificate, show its thumbprints, print its keyCredential.

Files are the IDs here (``credo cert show FILE``); nothing talks to a server.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography import x509
from cryptography.x509.oid import NameOID
from rich.console import Console

from credo import certs
from credo.cli.common import (
    EXIT_USAGE,
    CliError,
    JsonOption,
    PasswordFileOption,
    command_group,
    handle_errors,
    parse_datetime,
    read_file,
    read_password_file,
)
from credo.cli.output import emit_json, print_fields
from credo.errors import CertificateError
from credo.model import KeyCredential

app = command_group("Create and inspect X.509 client certificates.")

_ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
_LABELS = {
    "subject": "Subject", "issuer": "Issuer", "serial": "Serial number",
    "notBefore": "Not before", "notAfter": "Not after", "keySize": "Key size (bits)",
    "sha1Hex": "Thumbprint (SHA-1)", "customKeyIdentifier": "customKeyIdentifier (base64 SHA-1)",
    "x5t": "x5t (base64url SHA-1)", "x5tS256": "x5t#S256 (base64url SHA-256)",
    "sha256Hex": "Thumbprint (SHA-256)",
}
_FILE_ROLES = {
    "key": "private key (keep it secret)", "pem": "certificate (PEM)",
    "cer": "certificate (DER, upload this)", "pfx": "PKCS#12 key + certificate",
}
_SUFFIXES = (".key.pem", ".pem", ".cer", ".pfx")  # the files certs.write_bundle writes

CertArgument = Annotated[Path, typer.Argument(
    metavar="FILE", help="Certificate file: PEM, DER (.cer) or PKCS#12 (.pfx/.p12).",
    show_default=False)]
KEY_SIZES = (2048, 3072, 4096)


def _today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _years_later(start: datetime, years: int) -> datetime:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _load(path: Path, password_file: Path | None) -> x509.Certificate:
    """A certificate from PEM, DER or (with its password) PKCS#12."""
    data = read_file(path)
    try:
        if path.suffix.lower() in {".pfx", ".p12"}:
            return certs.load_pkcs12(data, read_password_file(password_file))[1]
        return certs.load_certificate(data)
    except CertificateError as exc:
        raise CliError(f"{path}: {exc.description}") from exc


def _default_display_name(cert: x509.Certificate) -> str:
    """``CN=<common name>`` as the portal shows it, else the whole RFC 4514 subject."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return f"CN={names[0].value!s}"
    return cert.subject.rfc4514_string()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key_credential_entry(cred: KeyCredential, *, include_key: bool = True) -> dict[str, Any]:
    """The application manifest ``keyCredentials`` entry (Microsoft Graph ``keyCredential``)."""
    return {
        "customKeyIdentifier": _b64(cred.custom_key_identifier),
        "keyId": cred.key_id,
        "type": cred.type,
        "usage": cred.usage,
        "key": _b64(cred.der) if include_key else None,
        "startDateTime": cred.start.astimezone(UTC).strftime(_ISO_Z),
        "endDateTime": cred.end.astimezone(UTC).strftime(_ISO_Z),
        "displayName": cred.display_name,
    }


def _refuse_overwrite(out: Path) -> None:
    """Before the key is made: files of an earlier ``--out`` are kept unless ``--force``."""
    existing = [str(path) for path in (out.with_name(out.name + s) for s in _SUFFIXES)
                if path.exists()]
    if existing:
        raise CliError(f"refusing to overwrite existing {', '.join(existing)}: add --force to "
                       "replace them, or give another --out")


def _validity(not_before: str | None, not_after: str | None, days: int | None,
              ) -> tuple[datetime, datetime]:
    start = parse_datetime(not_before, "--not-before") if not_before else _today()
    if days is not None and not_after is not None:
        raise CliError("give --days or --not-after, not both", exit_code=EXIT_USAGE)
    if days is not None:
        return start, start + timedelta(days=days)
    return start, parse_datetime(not_after, "--not-after") if not_after else _years_later(
        start, 2)


@app.command()
@handle_errors
def create(
    subject: Annotated[str, typer.Option(
        help='RFC 4514 subject, e.g. "CN=Contoso SuperApp Cert,O=Contoso".')],
    out: Annotated[Path, typer.Option(
        help="Output prefix: writes <out>.key.pem, <out>.pem, <out>.cer and <out>.pfx.")],
    not_before: Annotated[str | None, typer.Option(
        help="Start of validity: YYYY-MM-DD (UTC midnight) or ISO 8601.",
        show_default="today")] = None,
    not_after: Annotated[str | None, typer.Option(
        help="End of validity: YYYY-MM-DD (UTC midnight) or ISO 8601.",
        show_default="not-before + 2 years")] = None,
    days: Annotated[int | None, typer.Option(
        min=1, help="Validity in days from not-before (instead of --not-after).")] = None,
    key_size: Annotated[int, typer.Option(help="RSA key size in bits: 2048, 3072 or 4096.")
                        ] = 2048,
    password_file: PasswordFileOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a self-signed RSA client certificate (like makecert -r -pe -sky exchange)."""
    if key_size not in KEY_SIZES:
        why = ("larger keys take minutes to make and slow every signature"
               if key_size > max(KEY_SIZES) else "smaller keys are not safe")
        raise CliError(f"--key-size: {key_size} is not one of 2048, 3072 or 4096 ({why})",
                       exit_code=EXIT_USAGE)
    password = read_password_file(password_file)
    start, end = _validity(not_before, not_after, days)
    if not force:
        _refuse_overwrite(out)
    with Console(stderr=True).status(f"Generating a {key_size}-bit RSA key…"):
        key, cert = certs.create_self_signed(subject, start, end, key_size)
    paths = certs.write_bundle(out, key, cert, password, overwrite=force)
    if as_json:
        emit_json({"files": {kind: str(path) for kind, path in paths.items()},
                   **certs.describe(cert)})
        return
    print_fields({str(path): _FILE_ROLES[kind] for kind, path in paths.items()})
    typer.echo()
    _print_description(cert)


def _print_description(cert: x509.Certificate) -> None:
    print_fields({_LABELS[name]: value for name, value in certs.describe(cert).items()})


@app.command()
@handle_errors
def show(
    path: CertArgument,
    password_file: PasswordFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a certificate's subject, validity, key size and thumbprints in every form."""
    cert = _load(path, password_file)
    if as_json:
        emit_json(certs.describe(cert))
    else:
        _print_description(cert)


@app.command()
@handle_errors
def keycredential(
    path: CertArgument,
    display_name: Annotated[str | None, typer.Option(
        help="The entry's displayName.", show_default="CN=<subject common name>")] = None,
    password_file: PasswordFileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (always: the entry is "
                                          "JSON).")] = False,
) -> None:
    """Print the manifest keyCredentials entry (JSON) that uploads this certificate."""
    cert = _load(path, password_file)
    name = display_name if display_name is not None else _default_display_name(cert)
    cred = certs.key_credential(cert, key_id=str(uuid.uuid4()), display_name=name)
    emit_json(_key_credential_entry(cred))
