"""``credo backup`` and ``credo restore`` offline: what the archive holds, its mode and warning,
and every archive a restore refuses (leaving nothing behind). The live round trip, under load,
is ``tests/ops/test_backup_live.py``."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest

from credo.service.backup import DATABASE, FILES, MANIFEST
from credo.service.managed_identity import SECRET_FILE, identity_secret

from .conftest import failed, ok, ok_json


@pytest.fixture
def archive(initialized: Path, tmp_path: Path) -> Path:
    identity_secret("", initialized)  # as the first `credo serve` with a managed identity
    out = tmp_path / "backup.tar.gz"
    ok("backup", "--data-dir", initialized, "--out", out)
    return out


def test_the_archive_is_secret_and_holds_the_keys_and_a_snapshot(initialized: Path,
                                                                   tmp_path: Path) -> None:
    """Every file of FILES, the managed-identity secret included: found by a probe, a restored
    node made a new one and every workload's IDENTITY_HEADER stopped working."""
    identity_secret("", initialized)
    out = tmp_path / "b.tar.gz"
    result = ok("backup", "--data-dir", initialized, "--out", out)
    assert "SECRET: this archive holds the master key" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        for name in [*FILES, DATABASE]:
            member = tar.extractfile(name)
            assert member is not None
            assert hashlib.sha256(member.read()).hexdigest() == manifest["files"][name]
    assert names == [MANIFEST, *FILES, DATABASE]
    assert manifest["database"] == {"kind": "sqlite", "included": True,
                                    "schemaRevision": manifest["database"]["schemaRevision"]}
    assert manifest["notIncluded"] == [] and manifest["format"] == 1
    assert SECRET_FILE in names


def test_a_backup_never_overwrites(initialized: Path, archive: Path) -> None:
    before = archive.read_bytes()
    result = failed("backup", "--data-dir", initialized, "--out", archive)
    assert f"error: {archive} exists: a backup never overwrites a file" in result.stderr
    assert archive.read_bytes() == before


def test_json_names_the_database_and_what_is_left_out(initialized: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    key = (initialized / "master.key").read_text().strip()
    monkeypatch.setenv("CREDO_MASTER_KEY", key)
    monkeypatch.setenv("CREDO_FEDERATION_CA_FILE", "/etc/credo/issuers-ca.pem")
    shown = ok_json("backup", "--data-dir", initialized, "--out", tmp_path / "j.tar.gz")
    assert shown["mode"] == "0600" and shown["database"]["kind"] == "sqlite"
    assert shown["notIncluded"] == [
        "master.key: set by CREDO_MASTER_KEY, keep that value with this archive",
        "federation_ca_file: /etc/credo/issuers-ca.pem is not in the data dir, keep it with "
        "this archive"]


def test_restore_makes_a_private_data_dir_that_opens(archive: Path, tmp_path: Path,
                                                     initialized: Path) -> None:
    target = tmp_path / "restored"
    shown = ok_json("restore", archive, "--data-dir", target)
    assert shown["tenants"] == 1 and len(shown["signingKeys"]) == 2
    assert shown["serverUrl"] == "https://127.0.0.1:18443"
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in target.rglob("*")
               if p.is_file())
    for name in FILES:
        assert (target / name).read_bytes() == (initialized / name).read_bytes(), name
    with sqlite3.connect(target / DATABASE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]


def _rewrite(archive: Path, out: Path, change: dict[str, bytes | None],
             manifest_change: dict[str, object] | None = None) -> Path:
    """A copy of ``archive`` with members replaced (``None`` drops one), the manifest kept
    unless ``manifest_change`` patches it."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    if manifest_change is not None:
        manifest = json.loads(members[MANIFEST])
        manifest.update(manifest_change)
        members[MANIFEST] = json.dumps(manifest).encode()
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.mark.parametrize(("change", "manifest_change", "message"), [
    ({"master.key": b"AAAA\n"}, None, "master.key does not match its SHA-256 in the manifest"),
    ({"../escape": b"x"}, None, "unexpected member '../escape'"),
    ({"secrets.key": None}, None, "lacks secrets.key"),
    ({MANIFEST: None}, None, "not a Credo backup (no valid credo-backup.json)"),
    ({}, {"format": 2}, "backup format 2 is not 1"),
    ({}, {"files": {"/etc/passwd": "0"}}, "not a Credo backup"),
])
def test_restore_refuses_an_altered_archive(archive: Path, tmp_path: Path,
                                            change: dict[str, bytes | None],
                                            manifest_change: dict[str, object] | None,
                                            message: str) -> None:
    altered = _rewrite(archive, tmp_path / "altered.tar.gz", change, manifest_change)
    target = tmp_path / "restored"
    result = failed("restore", altered, "--data-dir", target)
    assert message in result.stderr
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]


def test_restore_refuses_another_master_key(archive: Path, tmp_path: Path) -> None:
    """The files match the manifest, but the key does not open the signing keys."""
    other = b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n"
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    files = {**manifest["files"], "master.key": hashlib.sha256(other).hexdigest()}
    altered = _rewrite(archive, tmp_path / "other-key.tar.gz", {"master.key": other},
                       {"files": files})
    result = failed("restore", altered, "--data-dir", tmp_path / "restored")
    assert "the restored database cannot be used" in result.stderr
    assert not (tmp_path / "restored").exists()


def test_restore_refuses_a_data_dir_in_use(archive: Path, initialized: Path) -> None:
    before = sorted(p.name for p in initialized.iterdir())
    result = failed("restore", archive, "--data-dir", initialized)
    assert "exists and is not empty: restore into a new directory" in result.stderr
    assert sorted(p.name for p in initialized.iterdir()) == before


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    result = failed("restore", junk, "--data-dir", tmp_path / "restored")
    assert "cannot be read as a Credo backup" in result.stderr
