"""``credo backup`` and ``credo restore``: one archive holding what a node cannot be rebuilt
without.

The archive (tar, gzip) holds a manifest (``credo-backup.json``: format, version, the
database's kind and schema revision, each file's SHA-256), ``credo.toml``, the keys kept
outside the database (``master.key`` seals the signing keys, ``secrets.key`` peppers the
client-secret hashes, the local CA's and the TLS server's keys, the operator's key and
certificate) and, for SQLite, an online-consistent snapshot of the database made with
SQLite's backup API (one read transaction: writers go on meanwhile, the copy is one
instant). A PostgreSQL database is not in it: ``pg_dump`` backs it up (docs/deploy.md).
The archive is secret: it is created 0600 and never overwrites a file.

A restore writes into a new directory (made 0700 beside the target, renamed into place only
once the files match the manifest, the database opens under the restored master key and its
schema is migrated to this version's head).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from credo.config import CONFIG_FILE, Settings, load_settings, read_config_file, write_settings
from credo.errors import CredoError
from credo.service.managed_identity import SECRET_FILE
from credo.service.setup import DIR_MODE, FILE_MODE, secure_data_dir
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import open_store

FORMAT = 1
MANIFEST = "credo-backup.json"
DATABASE = "credo.db"
FILES = ("credo.toml", "master.key", "secrets.key", "tls/ca.pem", "tls/ca.key.pem",
         "tls/server.pem", "tls/server.key.pem", "operator/operator.pem",
         "operator/operator.key.pem", SECRET_FILE)
"""The data dir's files a backup holds (those that exist), in this order."""
FROM_ENVIRONMENT = {"master.key": "CREDO_MASTER_KEY", "secrets.key": "CREDO_SECRETS_KEY"}
_CHUNK = 1 << 20


class BackupError(CredoError):
    """A backup that cannot be made or an archive that cannot be restored; says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict[str, Any]

    @property
    def database_included(self) -> bool:
        return bool(self.manifest["database"]["included"])


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    manifest: dict[str, Any]
    tenants: int
    signing_keys: tuple[str, ...]
    base_url: str


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None for PostgreSQL."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or "")


def create_backup(settings: Settings, out: Path, *, version: str) -> Backup:
    """Write the archive to ``out`` (0600, never over an existing file)."""
    files = {name: settings.data_dir / name for name in FILES
             if (settings.data_dir / name).is_file()}
    with tempfile.TemporaryDirectory(prefix="credo-backup-") as scratch:
        database = _database_entry(settings, Path(scratch) / DATABASE, files)
        manifest = {
            "format": FORMAT, "credoVersion": version,
            "createdDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": database, "files": {n: _sha256(p) for n, p in files.items()},
            "notIncluded": _left_out(settings, files),
            "secret": "This archive holds the master key, the client-secret pepper and "
                      "private keys: keep it as secret as they are."}
        _write_archive(out, manifest, files)
    return Backup(out, manifest)


def _database_entry(settings: Settings, snapshot: Path, files: dict[str, Path]
                    ) -> dict[str, Any]:
    source = sqlite_path(settings)
    if source is None:
        return {"kind": "postgresql", "included": False,
                "howToBackUp": "pg_dump (docs/deploy.md, Backups)"}
    if not source.is_file():
        raise BackupError(f"the database {source} does not exist: nothing to back up")
    revision = snapshot_sqlite(source, snapshot)
    files[DATABASE] = snapshot
    return {"kind": "sqlite", "included": True, "schemaRevision": revision}


def snapshot_sqlite(source: Path, target: Path) -> str:
    """An online-consistent copy of ``source`` (SQLite's backup API, in one step: one read
    transaction); returns its schema revision."""
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
    target.chmod(FILE_MODE)
    return str(row[0]) if row else ""


def _left_out(settings: Settings, files: dict[str, Path]) -> list[str]:
    """What a restore will need from elsewhere: keys set in the environment, the database URL."""
    notes = [f"{name}: set by {variable}, keep that value with this archive"
             for name, variable in FROM_ENVIRONMENT.items()
             if os.environ.get(variable, "").strip()]
    notes += [f"{name}: not in the data dir" for name in ("master.key", "secrets.key")
              if name not in files and not os.environ.get(FROM_ENVIRONMENT[name], "").strip()]
    if settings.source("database_url") == "CREDO_DATABASE_URL":
        notes.append("database_url: set by CREDO_DATABASE_URL, set it on the restored node")
    if settings.federation_ca_file:
        notes.append(f"federation_ca_file: {settings.federation_ca_file} is not in the data "
                     "dir, keep it with this archive")
    return notes


def _write_archive(out: Path, manifest: dict[str, Any], files: dict[str, Path]) -> None:
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        raise BackupError(f"{out} exists: a backup never overwrites a file") from None
    except OSError as exc:
        raise BackupError(f"cannot create {out}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            text = json.dumps(manifest, indent=2).encode()
            _add(tar, MANIFEST, io.BytesIO(text), len(text))
            for name, path in files.items():
                with path.open("rb") as handle:
                    _add(tar, name, handle, path.stat().st_size)
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, FILE_MODE
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, data)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def restore_backup(archive: Path, data_dir: Path) -> Restored:
    """Restore ``archive`` into the new (absent or empty) ``data_dir``."""
    target = data_dir.expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not empty: restore into a new directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _staging(target) as staging:
        manifest = _extract(archive, staging)
        _forget_old_database_path(staging, manifest)
        tenants, kids, base_url = _verify(staging)
        if target.exists():
            target.rmdir()
        staging.rename(target)
    secure_data_dir(target, fix=True)
    return Restored(target, manifest, tenants, kids, base_url)


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A private directory beside ``target`` (0700), removed unless it was renamed."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(archive: Path, staging: Path) -> dict[str, Any]:
    """Every member checked against the manifest: known names, regular files, SHA-256."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _manifest(tar)
            expected: dict[str, str] = manifest["files"]
            seen = set()
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise BackupError(f"{archive}: unexpected member {member.name!r}")
                _write_member(tar, member, staging / member.name, expected[member.name])
                seen.add(member.name)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive} cannot be read as a Credo backup ({exc})") from exc
    if missing := sorted(set(expected) - seen):
        raise BackupError(f"{archive} lacks {', '.join(missing)}")
    return manifest


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = tar.extractfile(MANIFEST)
        manifest: Any = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or not set(manifest["files"]) <= {*FILES, DATABASE} \
            or not isinstance(manifest.get("database"), dict):
        raise BackupError("not a Credo backup (no valid credo-backup.json)")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path, sha256: str
                  ) -> None:
    source = tar.extractfile(member)
    assert source is not None  # a regular file (checked by the caller)
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise BackupError(f"{member.name} does not match its SHA-256 in the manifest")


def _forget_old_database_path(staging: Path, manifest: dict[str, Any]) -> None:
    """A SQLite ``database_url`` in credo.toml named the old place: the copy is here now."""
    if manifest["database"]["kind"] == "sqlite" and "database_url" in read_config_file(
            staging / CONFIG_FILE):
        write_settings(load_settings(staging), database_url=None)


def _verify(staging: Path) -> tuple[int, tuple[str, ...], str]:
    """Migrate, then open the database under the restored master key: tenants and keys."""
    settings = load_settings(staging)
    try:
        upgrade(settings.database_url)
        return asyncio.run(_read(settings))
    except CredoError:
        raise
    except Exception as exc:
        raise BackupError(f"the restored database cannot be used: {exc}") from exc


async def _read(settings: Settings) -> tuple[int, tuple[str, ...], str]:
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=False)
    store = await open_store(settings.database_url, sealer)
    try:
        keys = await store.signing_keys()  # unsealed: the master key is the right one
        return len(await store.tenants()), tuple(k.kid for k in keys), settings.base_url
    finally:
        await store.close()
