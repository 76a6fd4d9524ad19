"""``credo backup`` and ``credo restore`` end to end, as docs/deploy.md tells them.

SQLite: a live server under load (tokens, and applications being created) is backed up
(block ``backup``); the archive is 0600 and says it is secret; the server stops; the archive
is restored into a new data dir (block ``restore``) and served on the same address. Tokens
issued before the backup validate against the restored JWKS (``credo.resource``), every
client still authenticates (secrets and a certificate), and the operator's CLI works on the
restored data dir. PostgreSQL: the same with ``pg_dump`` and ``pg_restore`` (blocks
``pg-dump``, ``pg-restore``) on the test's own PostgreSQL, into a new database.
"""

from __future__ import annotations

import json
import ssl
import stat
import threading
import uuid
from pathlib import Path

import httpx
import pytest

import deploy_doc
from credo.resource import TokenValidator
from live import LiveServer, credo, free_port, serve, start_server, stop_server

from .faults import (
    Answer,
    Load,
    World,
    assertion_form,
    directory,
    outcomes,
    secret_form,
    summary,
)
from .processes import OwnPostgres

pytestmark = pytest.mark.slow


def _tokens(world: World, url: str, context: ssl.SSLContext) -> dict[str, str]:
    """A token for each client: two secrets and a certificate (strict)."""
    issued = {}
    with httpx.Client(verify=context, timeout=30) as http:
        for name, tenant, form in (
                ("secret", world.entra, secret_form(world.secret_daemon, world.entra_api)),
                ("spare", world.entra, secret_form(world.spare_daemon, world.entra_api)),
                ("certificate", world.strict, assertion_form(
                    world.cert_daemon, world.strict_api, f"{url}/{world.strict.id}/v2.0"))):
            response = http.post(f"{url}/{tenant.id}/oauth2/v2.0/token", data=form())
            assert response.status_code == 200, (name, response.text)
            issued[name] = response.json()["access_token"]
    return issued


def _validate(world: World, url: str, context: ssl.SSLContext, tokens: dict[str, str]) -> None:
    """Each token verifies against the server's JWKS, for its API, in its tenant."""
    for name, token in tokens.items():
        tenant, api = ((world.strict, world.strict_api) if name == "certificate"
                       else (world.entra, world.entra_api))
        validator = TokenValidator(f"{url}/{tenant.id}", [api.app_id, api.identifier_uri],
                                   verify=context)
        try:
            principal = validator.validate_sync(token)
        finally:
            validator.close()
        assert "Load.Read" in principal.roles, name


def _after_restore(world: World, restored: LiveServer, before: dict[str, str]) -> None:
    context = restored.ssl_context()
    _validate(world, restored.url, context, before)  # issued before the backup
    _validate(world, restored.url, context, _tokens(world, restored.url, context))
    listed = json.loads(credo("app", "list", "-t", world.entra.domain, "--json",
                              data_dir=restored.data_dir).stdout)
    names = {a["displayName"] for a in listed}
    assert {"secret daemon", "spare daemon"} <= names


def test_sqlite_backup_while_serving_and_restore(tmp_path: Path) -> None:
    server = start_server(tmp_path / "credo")
    backups, work = tmp_path / "backups", tmp_path / "work"
    backups.mkdir()
    work.mkdir()
    restored: LiveServer | None = None
    try:
        context = server.ssl_context()
        world = directory(server.url, server.data_dir, context, tmp_path / "apps")
        before = _tokens(world, server.url, context)
        output, answers = _backup_under_load(world, server, backups, work)
        assert "SECRET: this archive holds the master key" in output
        [archive] = backups.glob("credo-*.tar.gz")
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        stop_server(server)
        out = deploy_doc.run("restore", {"ARCHIVE": str(archive),
                                         "CREDO_DATA_DIR": str(tmp_path / "restored")}, work)
        assert "Restored into" in out
        restored = serve(tmp_path / "restored", server.url)
        _after_restore(world, restored, before)
    finally:
        stop_server(server)
        if restored is not None:
            stop_server(restored)
    print(summary("backup-under-load", answers))


def _backup_under_load(world: World, server: LiveServer, backups: Path, work: Path
                       ) -> tuple[str, list[Answer]]:
    """Block ``backup`` while tokens are issued and applications created."""
    load = Load(f"{server.url}/{world.entra.id}/oauth2/v2.0/token",
                secret_form(world.secret_daemon, world.entra_api), server.ssl_context(),
                threads=2, pause=0.01).start()
    writing, stop = [], threading.Event()

    def write() -> None:
        while not stop.is_set():
            writing.append(world.entra.call("POST", "/applications",
                                            {"displayName": f"during {uuid.uuid4().hex[:6]}"}))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        output = deploy_doc.run("backup", {"BACKUP_DIR": str(backups),
                                           "CREDO_DATA_DIR": str(server.data_dir)}, work)
    finally:
        stop.set()
        writer.join()
        answers = load.stop()
    assert writing and set(outcomes(answers)) == {"200"}, outcomes(answers)
    return output, answers


def test_postgresql_dump_and_restore(tmp_path: Path) -> None:
    postgres = OwnPostgres()
    backups, work = tmp_path / "backups", tmp_path / "work"
    backups.mkdir()
    work.mkdir()
    servers: list[LiveServer] = []
    try:
        source = postgres.create_database("source").replace("+asyncpg", "")
        port = free_port()
        credo("config", "set", "database_url", source, data_dir=tmp_path / "credo")
        credo("init", "--port", str(port), "--domain", "pg.test", data_dir=tmp_path / "credo")
        servers.append(serve(tmp_path / "credo", f"https://127.0.0.1:{port}"))
        server = servers[0]
        world = directory(server.url, server.data_dir, server.ssl_context(), tmp_path / "apps")
        before = _tokens(world, server.url, server.ssl_context())
        output = deploy_doc.run("pg-dump", {"BACKUP_DIR": str(backups), "DATABASE_URL": source,
                                            "CREDO_DATA_DIR": str(server.data_dir)}, work)
        assert "PostgreSQL: it is not in this archive" in output
        stop_server(server)
        target = postgres.create_database("restored").replace("+asyncpg", "")
        deploy_doc.run("pg-restore", {"BACKUP_DIR": str(backups), "DATABASE_URL": target,
                                      "CREDO_DATA_DIR": str(tmp_path / "restored")}, work)
        postgres.drop_database("source")  # the restored node can only be using the copy
        servers.append(serve(tmp_path / "restored", server.url))
        _after_restore(world, servers[1], before)
    finally:
        for running in servers:
            stop_server(running)
        postgres.close()
