"""``credo doctor``, the data dir: files and their modes, TLS and operator certificates,
the database schema.
"""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from sqlalchemy.engine import make_url

from credo import certs
from credo.cli.diagnosis import Finding, fail, ok, skip, validity, warn
from credo.config import Settings
from credo.errors import CertificateError

_TLS = ("tls/ca.pem", "tls/ca.key.pem", "tls/server.pem", "tls/server.key.pem")
_OPERATOR = ("operator/operator.pem", "operator/operator.key.pem")
_REINIT = "these are written by `credo init`; restore the data dir from its backup"


def files(settings: Settings) -> Finding:
    """Every file ``credo serve`` and the CLI need is there."""
    wanted = [*_TLS, *_OPERATOR]
    wanted += [] if settings.master_key else ["master.key"]
    wanted += [] if settings.secrets_key else ["secrets.key"]
    missing = [name for name in wanted if not (settings.data_dir / name).is_file()]
    if missing:
        return fail("files", f"missing in {settings.data_dir}: {', '.join(missing)}", _REINIT)
    return ok("files", f"keys, local CA and operator credential are in {settings.data_dir}")


def permissions(settings: Settings) -> Finding:
    """The data dir is 0700 and every file in it 0600."""
    from credo.service.setup import secure_data_dir

    loose = secure_data_dir(settings.data_dir, fix=False)
    if not loose:
        return ok("permissions", "the data dir is 0700 and every file in it 0600")
    shown = "; ".join(f"{m.path} is {m.mode:04o}" for m in loose[:5])
    more = f" and {len(loose) - 5} more" if len(loose) > 5 else ""
    first = loose[0]
    return warn("permissions", f"others may read the data dir's keys: {shown}{more}",
                f"`credo serve` sets them on start, or chmod {first.wanted:04o} {first.path} "
                "(0700 for directories, 0600 for files)")


def _load(path: Path) -> x509.Certificate | None:
    try:
        return certs.load_certificate(path.read_bytes())
    except (OSError, CertificateError):
        return None


def _names(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return ({n.lower() for n in san.get_values_for_type(x509.DNSName)},
            {str(ip) for ip in san.get_values_for_type(x509.IPAddress)})


def _covers(cert: x509.Certificate, host: str) -> bool:
    dns, ips = _names(cert)
    try:
        return str(ipaddress.ip_address(host)) in ips
    except ValueError:
        return host.lower() in dns


def tls_certificate(settings: Settings) -> Finding:
    """The server certificate: valid, issued by the local CA, naming the issuer's host."""
    cert, ca = _load(settings.tls_dir / "server.pem"), _load(settings.ca_path)
    if cert is None or ca is None:
        return skip("tls certificate", "no readable tls/server.pem or tls/ca.pem")
    renew = ("put a valid certificate for the issuer's host (and its key) in tls/server.pem "
             "and tls/server.key.pem")
    found = validity("tls certificate", cert, "the server's TLS certificate", renew)
    if found.status == "fail":
        return found
    if cert.issuer != ca.subject:
        return fail("tls certificate", "tls/server.pem is not issued by tls/ca.pem", renew)
    host = urlsplit(settings.base_url).hostname or ""
    if not settings.insecure_http and not _covers(cert, host):
        dns, ips = _names(cert)
        return fail("tls certificate", f"the server's certificate does not name {host}, the "
                    f"issuer's host (it names {', '.join(sorted(dns | ips))}): clients will "
                    "refuse it", "serve on a name the certificate has (`credo config set host "
                    "127.0.0.1`), or put a certificate for that name in tls/server.pem")
    return found


def operator_certificate(settings: Settings) -> Finding:
    cert = _load(settings.operator_dir / "operator.pem")
    if cert is None:
        return skip("operator certificate", "no readable operator/operator.pem")
    return validity("operator certificate", cert, "the CLI's operator certificate",
                    "the operator needs a new certificate: contact your deployment's admin")


def migrations(settings: Settings) -> Finding:
    """The database is at the schema revision this version of Credo expects."""
    from credo.store.migrate import head_revision

    head = head_revision()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return fail("migrations", f"the database {url.database} is missing", _REINIT)
    try:
        current = asyncio.run(_current_revision(settings.database_url))
    except Exception as exc:  # any database failure is this check's finding
        return fail("migrations", f"cannot read the database ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:160] if str(exc) else ''})",
                    "check database_url and that the database is up")
    if current == head:
        return ok("migrations", f"the database schema is current ({head})")
    return warn("migrations", f"the database schema is {current or 'empty'}, this Credo "
                f"expects {head}", "`credo serve` migrates on start (back up first)")


async def _current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from credo.store.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()
