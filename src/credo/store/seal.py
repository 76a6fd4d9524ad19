"""Sealing secrets at rest: AES-256-GCM under the master key (docs/architecture.md).

A sealed blob is ``version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)``
(NIST SP 800-38D; a random 96-bit nonce per message). The associated data binds a blob to
its owner, so a blob copied to another row does not open: signing keys use ``aad = kid``.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
ENV_VAR = "CREDO_MASTER_KEY"
_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class Sealer:
    """Encrypts and authenticates small secrets with one 256-bit master key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the master key must be {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<AES-256-GCM key hidden>)"

    @staticmethod
    def generate_key() -> bytes:
        return AESGCM.generate_key(bit_length=KEY_BYTES * 8)

    @classmethod
    def from_base64(cls, text: str) -> Sealer:
        """Reads the key as standard base64 (the content of ``master.key`` and the env var)."""
        return cls(_decode_key(text, "the master key"))

    @classmethod
    def from_key_file(cls, path: Path, *, create: bool) -> Sealer:
        """Loads ``path``; with ``create=True`` a missing file is made with a new key, mode 0600.

        Raises ``FileNotFoundError`` when the file is missing and ``create`` is false.
        """
        return cls(read_key(path, create=create, environ={}))

    @classmethod
    def from_env_or_file(cls, path: Path, *, create: bool,
                         environ: Mapping[str, str] | None = None) -> Sealer:
        """``CREDO_MASTER_KEY`` (base64) when set and non-empty, else :meth:`from_key_file`."""
        return cls(read_key(path, create=create, env_var=ENV_VAR, environ=environ))

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def unseal(self, blob: bytes, aad: bytes) -> bytes:
        """Raises ``ValueError`` when the blob was altered, or sealed under another key or aad."""
        if len(blob) < 1 + _NONCE_BYTES + _TAG_BYTES or blob[:1] != _VERSION:
            raise ValueError("not a sealed blob (unknown version or truncated)")
        nonce, body = blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, body, aad)
        except InvalidTag as exc:
            raise ValueError("sealed blob failed authentication (wrong key, aad or altered)"
                             ) from exc


def _decode_key(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{what} is not valid base64") from exc


def read_key(path: Path, *, create: bool, env_var: str = "",
             environ: Mapping[str, str] | None = None) -> bytes:
    """A 32-byte key kept outside the database: base64 in ``env_var`` when set, else the file.

    With ``create=True`` a missing file is published with a new random key (mode 0600,
    atomically); otherwise a missing file raises ``FileNotFoundError``.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_var, "") if env_var else ""
    if value.strip():
        return _decode_key(value, env_var)
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"{path} is missing: run `credo init`")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new_key(path, os.urandom(KEY_BYTES))
    return _decode_key(path.read_text(encoding="ascii"), str(path))


def _write_new_key(path: Path, key: bytes) -> None:
    """Publishes a new key file, mode 0600, atomically: concurrent starters all read one key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(key).decode("ascii") + "\n")
        os.link(tmp, path)  # fails if another process published first; theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
