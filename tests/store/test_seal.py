"""Sealing secrets at rest: AES-256-GCM under the master key (docs/architecture.md)."""

from __future__ import annotations

import base64
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from credo.store.seal import Sealer

KEY = bytes(range(32))


def test_seal_round_trip_is_randomised() -> None:
    sealer = Sealer(KEY)
    one, two = sealer.seal(b"private", b"kid-1"), sealer.seal(b"private", b"kid-1")
    assert one != two
    assert b"private" not in one
    assert len(one) == 1 + 12 + len(b"private") + 16
    assert sealer.unseal(one, b"kid-1") == sealer.unseal(two, b"kid-1") == b"private"


@pytest.mark.parametrize("tamper", [
    lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),
    lambda blob: blob[:20] + bytes([blob[20] ^ 0x80]) + blob[21:],
    lambda blob: blob[:5] + bytes([blob[5] ^ 1]) + blob[6:],
], ids=["tag", "ciphertext", "nonce"])
def test_altered_blobs_do_not_open(tamper: Callable[[bytes], bytes]) -> None:
    sealer = Sealer(KEY)
    blob = sealer.seal(b"private key bytes", b"kid")
    with pytest.raises(ValueError, match="failed authentication"):
        sealer.unseal(tamper(blob), b"kid")


def test_wrong_aad_or_key_does_not_open() -> None:
    blob = Sealer(KEY).seal(b"secret", b"kid-1")
    with pytest.raises(ValueError, match="failed authentication"):
        Sealer(KEY).unseal(blob, b"kid-2")
    with pytest.raises(ValueError, match="failed authentication"):
        Sealer(bytes(32)).unseal(blob, b"kid-1")


@pytest.mark.parametrize("blob", [b"", b"\x01" + bytes(27), b"\x02" + bytes(40)],
                         ids=["empty", "truncated", "version"])
def test_malformed_blobs_are_refused(blob: bytes) -> None:
    with pytest.raises(ValueError, match="not a sealed blob"):
        Sealer(KEY).unseal(blob, b"kid")


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="must be 32 bytes, not 16"):
        Sealer(bytes(16))
    with pytest.raises(ValueError, match="not valid base64"):
        Sealer.from_base64("not base64!")


def test_repr_hides_the_key() -> None:
    assert repr(Sealer(KEY)) == "Sealer(<AES-256-GCM key hidden>)"


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"
    first = Sealer.from_key_file(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    again = Sealer.from_key_file(path, create=True)
    assert again.unseal(first.seal(b"x", b"a"), b"a") == b"x"
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


def test_missing_key_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Sealer.from_key_file(tmp_path / "master.key", create=False)


def test_environment_variable_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(base64.b64encode(bytes(32)).decode())
    env = {"CREDO_MASTER_KEY": base64.b64encode(KEY).decode()}
    from_env = Sealer.from_env_or_file(path, create=False, environ=env)
    assert Sealer(KEY).unseal(from_env.seal(b"x", b"a"), b"a") == b"x"
    from_file = Sealer.from_env_or_file(path, create=False, environ={"CREDO_MASTER_KEY": ""})
    assert Sealer(bytes(32)).unseal(from_file.seal(b"x", b"a"), b"a") == b"x"
    with pytest.raises(ValueError, match="must be 32 bytes"):
        Sealer.from_env_or_file(path, create=False,
                                environ={"CREDO_MASTER_KEY": base64.b64encode(b"short").decode()})
