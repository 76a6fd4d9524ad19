"""``credo init``: a data dir with its keys, a local CA, the schema, and the bootstrap tenant.

Runs locally (not through the management API: there is no tenant to authorize against yet).
The operator's private key is written to the data dir and never leaves it. The data dir is
0700 and every file in it 0600 (``secure_data_dir``): it holds keys and password hashes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from credo import certs, local_ca
from credo.config import Settings, base_url_is_derived, write_settings
from credo.model import TenantId
from credo.service.bootstrap import bootstrap
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.secrets import SecretHasher
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import open_store

DIR_MODE, FILE_MODE = 0o700, 0o600


@dataclass(frozen=True)
class InitResult:
    tenant_id: str
    domain: str
    server_url: str
    ca_path: Path
    operator_app_id: str
    data_dir: Path


@dataclass(frozen=True)
class LooseMode:
    """A path of the data dir that others could read: its mode, and whether it was fixed."""

    path: Path
    mode: int
    wanted: int
    fixed: bool
    error: str = ""

    def describe(self) -> str:
        state = f"set to {self.wanted:04o}" if self.fixed else (
            f"could not be fixed ({self.error})" if self.error else f"should be {self.wanted:04o}")
        return f"{self.path} was {self.mode:04o}; {state}"


def secure_data_dir(root: Path, *, fix: bool) -> list[LooseMode]:
    """Every directory (0700) and file (0600) under ``root`` that group or others may use.

    With ``fix`` each is chmod-ed. Symbolic links are neither followed nor changed.
    """
    found: list[LooseMode] = []
    for path in [root, *sorted(root.rglob("*"))] if root.is_dir() else []:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or not info.st_mode & 0o077:
            continue
        wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
        error = ""
        if fix:
            try:
                path.chmod(wanted)
            except OSError as exc:
                error = exc.strerror or str(exc)
        found.append(LooseMode(path, stat.S_IMODE(info.st_mode), wanted, fix and not error,
                               error))
    return found


def is_initialized(settings: Settings) -> bool:
    return bool(settings.bootstrap_tenant and settings.operator_app_id)


def bootstrap_domain(settings: Settings) -> str:
    """The bootstrap tenant's domain: from credo.toml, else (older data dirs) the database."""
    if settings.bootstrap_domain or not is_initialized(settings):
        return settings.bootstrap_domain

    async def read() -> str:
        sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=False)
        store = await open_store(settings.database_url, sealer)
        try:
            tenant = await store.tenant(TenantId(settings.bootstrap_tenant))
        finally:
            await store.close()
        return tenant.default_domain if tenant else ""

    try:
        return asyncio.run(read())
    except Exception:  # informative only: an unreadable database is reported elsewhere
        return ""


def ensure_tls(settings: Settings) -> None:
    """A local CA and a server certificate for the configured host (kept if present)."""
    tls = settings.tls_dir
    if (tls / "server.pem").exists() and (tls / "ca.pem").exists():
        return
    ca_key, ca_cert = local_ca.create_ca("Credo local CA")
    hostnames, ips = ["localhost"], ["127.0.0.1", "::1"]
    try:
        ips.append(str(ipaddress.ip_address(settings.host)))
    except ValueError:
        hostnames.append(settings.host)
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, hostnames, sorted(set(ips)))
    _write(tls / "ca.key.pem", certs.private_key_pem(ca_key))
    _write(tls / "ca.pem", certs.certificate_pem(ca_cert))
    _write(tls / "server.key.pem", certs.private_key_pem(key))
    _write(tls / "server.pem", certs.certificate_pem(cert) + certs.certificate_pem(ca_cert))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _create_sqlite_file(database_url: str) -> None:
    """An empty SQLite file made 0600 first: its ``-wal`` and ``-shm`` inherit that mode."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        os.close(os.open(url.database, os.O_WRONLY | os.O_CREAT, FILE_MODE))


def initialize(settings: Settings, domain: str) -> InitResult:
    """Create everything ``credo serve`` needs; refuses to run twice on one data dir."""
    if is_initialized(settings):
        raise FileExistsError(f"{settings.data_dir} is already initialized")
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    settings.data_dir.chmod(DIR_MODE)  # also when it existed before, e.g. with 0755
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=True)
    hasher = SecretHasher.from_data_dir(settings.data_dir, create=True)
    ensure_tls(settings)
    _create_sqlite_file(settings.database_url)
    upgrade(settings.database_url)
    now = datetime.now(UTC)
    op_key, op_cert = certs.create_self_signed("CN=Credo operator", now - timedelta(minutes=5),
                                               now + timedelta(days=3 * 365))
    _write(settings.operator_dir / "operator.key.pem", certs.private_key_pem(op_key))
    _write(settings.operator_dir / "operator.pem", certs.certificate_pem(op_cert))

    async def populate() -> tuple[str, str]:
        store = await open_store(settings.database_url, sealer)
        try:
            await KeyService(store, rotation_days=settings.key_rotation_days,
                             retention_days=settings.key_retention_days).ensure(now)
            done = await bootstrap(DirectoryService(store, secret_hasher=hasher), store.flows,
                                   domain, op_cert, base_url=settings.base_url)
            return done.tenant.id, done.operator_app_id
        finally:
            await store.close()

    tenant_id, operator_app_id = asyncio.run(populate())
    # The address lives in host and port; base_url is written only when it is its own.
    own_base = None if base_url_is_derived(settings) else settings.base_url
    write_settings(settings, base_url=own_base, host=settings.host, port=settings.port,
                   bootstrap_tenant=tenant_id, bootstrap_domain=domain.lower(),
                   operator_app_id=operator_app_id)
    secure_data_dir(settings.data_dir, fix=True)
    return InitResult(tenant_id, domain.lower(), settings.base_url, settings.ca_path,
                      operator_app_id, settings.data_dir)
