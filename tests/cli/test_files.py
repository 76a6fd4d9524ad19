"""Files the CLI reads: a file that cannot be read or used is exit 1 (docs/cli.md), named
once, with the option that gave it and what to give instead. No server is needed: every file
is read before the first request."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from live import free_port

from .conftest import failed, ok

TOKEN = ("token", "get", "00000000-0000-0000-0000-000000000001", "--tenant", "contoso.example",
         "--scope", "api://mail/.default")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two certificates made by ``credo cert create``: ``a.*`` and ``b.*``."""
    folder = tmp_path_factory.mktemp("files")
    for name in ("a", "b"):
        ok("cert", "create", "--subject", f"CN={name}", "--out", folder / name)
    return folder


def _token(data_dir: Path, *credential: str | Path) -> Result:
    return failed(*TOKEN, *credential, "--data-dir", data_dir, "--server",
                  f"https://127.0.0.1:{free_port()}")


def _error(result: Result, message: str) -> None:
    assert (result.exit_code, result.stderr, result.stdout) == (1, f"error: {message}\n", "")


def test_a_missing_certificate_or_key_is_named_once(initialized: Path, files: Path) -> None:
    nosuch = files / "nosuch.pem"
    _error(_token(initialized, "--cert", nosuch, "--key", files / "a.key.pem"),
           f"cannot read {nosuch}: No such file or directory")
    _error(_token(initialized, "--cert", files / "a.pem", "--key", files / "nosuch.key.pem"),
           f"cannot read {files / 'nosuch.key.pem'}: No such file or directory")


def test_a_certificate_without_its_key_names_the_key_option(initialized: Path,
                                                            files: Path) -> None:
    cert = files / "a.pem"
    _error(_token(initialized, "--cert", cert),
           f"{cert} holds no private key: give its key file with --key (`credo cert create` "
           "writes it as a.key.pem), or give the .pfx holding both as --cert")


def test_a_key_of_another_certificate(initialized: Path, files: Path) -> None:
    cert, key = files / "a.pem", files / "b.key.pem"
    _error(_token(initialized, "--cert", cert, "--key", key),
           f"--cert {cert} and --key {key}: the private key does not match the certificate")


def test_a_file_of_the_wrong_kind_is_named_by_the_file(initialized: Path, files: Path) -> None:
    key = files / "a.key.pem"
    _error(_token(initialized, "--cert", key, "--key", key),
           f"{key}: not a PEM or DER X.509 certificate: it is a private key (PEM PRIVATE KEY), "
           "which is never uploaded: give the certificate (.cer or .pem) instead")
    cert = files / "a.pem"
    _error(_token(initialized, "--cert", cert, "--key", cert),
           f"{cert}: not a PEM or DER private key")


def test_empty_secret_and_password_files(initialized: Path, tmp_path: Path,
                                         files: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    _error(_token(initialized, "--secret-file", empty), f"the secret file {empty} is empty")
    _error(_token(initialized, "--cert", files / "a.pfx", "--password-file", empty),
           f"the password file {empty} is empty")


def test_every_unreadable_file_is_exit_1(initialized: Path, tmp_path: Path) -> None:
    nosuch = tmp_path / "nosuch.txt"
    dd = ("--data-dir", str(initialized))
    for args in (("user", "create", "ada@contoso.example", "--password-file", nosuch, *dd),
                 ("app", "cert", "add", "SuperApp daemon", nosuch, *dd),
                 ("app", "manifest", "set", "SuperApp daemon", nosuch, *dd),
                 ("cert", "show", nosuch),
                 ("restore", nosuch, "--data-dir", tmp_path / "restored"),
                 (*TOKEN, "--secret-file", nosuch, *dd)):
        _error(failed(*args), f"cannot read {nosuch}: No such file or directory")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a CA")
    result = failed("tenant", "list", "--ca", junk, *dd)
    assert (result.exit_code, result.stderr.startswith(f"error: --ca: cannot load {junk} as PEM "
                                                       "CA certificates (")) == (1, True)
