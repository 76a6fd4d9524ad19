"""``credo init``: a data dir with its keys, a local CA, the schema, and the bootstrap tenant.

Runs locally (not through the management API: there is no tenant to authorize against yet).
The operator's private key is written to the data dir and never leaves it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credo import certs, local_ca
from credo.config import Settings, write_settings
from credo.service.bootstrap import bootstrap
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.secrets import SecretHasher
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import open_store


@dataclass(frozen=True)
class InitResult:
    tenant_id: str
    domain: str
    server_url: str
    ca_path: Path
    operator_app_id: str
    data_dir: Path


def is_initialized(settings: Settings) -> bool:
    return bool(settings.bootstrap_tenant and settings.operator_app_id)


def ensure_tls(settings: Settings) -> None:
    """A local CA and a server certificate for the configured host (kept if present)."""
    tls = settings.tls_dir
    if (tls / "server.pem").exists() and (tls / "ca.pem").exists():
        return
    tls.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = local_ca.create_ca("Credo local CA")
    hostnames, ips = ["localhost"], ["127.0.0.1", "::1"]
    try:
        ips.append(str(ipaddress.ip_address(settings.host)))
    except ValueError:
        hostnames.append(settings.host)
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, hostnames, sorted(set(ips)))
    _write(tls / "ca.key.pem", certs.private_key_pem(ca_key), private=True)
    _write(tls / "ca.pem", certs.certificate_pem(ca_cert), private=False)
    _write(tls / "server.key.pem", certs.private_key_pem(key), private=True)
    _write(tls / "server.pem", certs.certificate_pem(cert) + certs.certificate_pem(ca_cert),
           private=False)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def initialize(settings: Settings, domain: str) -> InitResult:
    """Create everything ``credo serve`` needs; refuses to run twice on one data dir."""
    if is_initialized(settings):
        raise FileExistsError(f"{settings.data_dir} is already initialized")
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=True)
    hasher = SecretHasher.from_data_dir(settings.data_dir, create=True)
    ensure_tls(settings)
    upgrade(settings.database_url)
    now = datetime.now(UTC)
    op_key, op_cert = certs.create_self_signed("CN=Credo operator", now - timedelta(minutes=5),
                                               now + timedelta(days=3 * 365))
    _write(settings.operator_dir / "operator.key.pem", certs.private_key_pem(op_key),
           private=True)
    _write(settings.operator_dir / "operator.pem", certs.certificate_pem(op_cert), private=False)

    async def populate() -> tuple[str, str]:
        store = await open_store(settings.database_url, sealer)
        try:
            await KeyService(store, rotation_days=settings.key_rotation_days,
                             retention_days=settings.key_retention_days).ensure(now)
            done = await bootstrap(DirectoryService(store, secret_hasher=hasher), domain, op_cert)
            return done.tenant.id, done.operator_app_id
        finally:
            await store.close()

    tenant_id, operator_app_id = asyncio.run(populate())
    write_settings(settings, base_url=settings.base_url, host=settings.host, port=settings.port,
                   bootstrap_tenant=tenant_id, operator_app_id=operator_app_id)
    return InitResult(tenant_id, domain.lower(), settings.base_url, settings.ca_path,
                      operator_app_id, settings.data_dir)
