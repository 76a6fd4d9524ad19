"""``credo cert create | show | keycredential`` through Typer's CliRunner."""

from __future__ import annotations

import base64
import json
import re
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from credo import certs
from credo.cli.cert import app
from credo.errors import CertificateError

SUBJECT = "CN=Contoso SuperApp Cert,O=Contoso"
DATES = ["--not-before", "2026-01-01", "--not-after", "2027-12-31"]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def create(out: Path, *extra: str | Path) -> Result:
    return run("create", "--subject", SUBJECT, *DATES, "--out", out, *extra)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """``superapp.*`` made by ``credo cert create`` without a password."""
    result = create(tmp_path / "superapp")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "superapp"


def _file(prefix: Path, suffix: str) -> Path:
    return prefix.with_name(prefix.name + suffix)


def _one_line_error(result: Result, exit_code: int, message: str) -> None:
    assert result.exit_code == exit_code
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""


def test_create_writes_four_files_with_private_modes(bundle: Path) -> None:
    names = sorted(p.name for p in bundle.parent.iterdir())
    assert names == ["superapp.cer", "superapp.key.pem", "superapp.pem", "superapp.pfx"]
    assert stat.S_IMODE(_file(bundle, ".key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(_file(bundle, ".pfx").stat().st_mode) == 0o600
    key, cert = certs.load_credential_files(_file(bundle, ".pem"), _file(bundle, ".key.pem"))
    assert certs.load_certificate(_file(bundle, ".cer").read_bytes()) == cert
    assert certs.load_credential_files(_file(bundle, ".pfx"))[1] == cert
    assert cert.subject.rfc4514_string() == SUBJECT
    assert cert.not_valid_before_utc == datetime(2026, 1, 1, tzinfo=UTC)
    assert cert.not_valid_after_utc == datetime(2027, 12, 31, tzinfo=UTC)
    assert key.key_size == 2048


def test_create_json_and_show_json_agree_with_thumbprints(bundle: Path, tmp_path: Path) -> None:
    cert = certs.load_certificate(_file(bundle, ".pem").read_bytes())
    prints = certs.thumbprints(cert)
    shown = json.loads(run("show", _file(bundle, ".pem"), "--json").stdout)
    assert shown == {
        "subject": SUBJECT, "issuer": SUBJECT, "serial": format(cert.serial_number, "X"),
        "notBefore": "2026-01-01T00:00:00Z", "notAfter": "2027-12-31T00:00:00Z",
        "keySize": 2048, "sha1Hex": prints.sha1_hex, "customKeyIdentifier": prints.sha1_b64,
        "x5t": prints.x5t, "x5tS256": prints.x5t_s256, "sha256Hex": prints.sha256_hex,
    }
    assert json.loads(run("show", _file(bundle, ".cer"), "--json").stdout) == shown
    assert json.loads(run("show", _file(bundle, ".pfx"), "--json").stdout) == shown
    created = json.loads(create(tmp_path / "again", "--json").stdout)
    again = certs.load_certificate(_file(tmp_path / "again", ".pem").read_bytes())
    assert created == {"files": {"key": str(tmp_path / "again.key.pem"),
                                 "pem": str(tmp_path / "again.pem"),
                                 "cer": str(tmp_path / "again.cer"),
                                 "pfx": str(tmp_path / "again.pfx")},
                       **certs.describe(again)}


def test_show_text_lists_every_thumbprint_form(bundle: Path) -> None:
    result = run("show", _file(bundle, ".pem"))
    assert result.exit_code == 0
    cert = certs.load_certificate(_file(bundle, ".pem").read_bytes())
    prints = certs.thumbprints(cert)
    rows = [re.fullmatch(r"(.*?) {2,}(\S.*)", line) for line in result.stdout.splitlines()]
    assert {row[1]: row[2] for row in rows if row} == {
        "Subject": SUBJECT, "Issuer": SUBJECT, "Serial number": format(cert.serial_number, "X"),
        "Not before": "2026-01-01T00:00:00Z", "Not after": "2027-12-31T00:00:00Z",
        "Key size (bits)": "2048",
        "Thumbprint (SHA-1)": prints.sha1_hex,
        "customKeyIdentifier (base64 SHA-1)": prints.sha1_b64,
        "x5t (base64url SHA-1)": prints.x5t,
        "x5t#S256 (base64url SHA-256)": prints.x5t_s256,
        "Thumbprint (SHA-256)": prints.sha256_hex,
    }


def test_create_defaults_today_plus_two_years(tmp_path: Path) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    result = run("create", "--subject", "CN=defaults", "--out", tmp_path / "d", "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["notBefore"] == today.strftime("%Y-%m-%dT%H:%M:%SZ")
    two_years = today.replace(year=today.year + 2, day=28 if (today.month, today.day) == (2, 29)
                              else today.day)
    assert info["notAfter"] == two_years.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info["keySize"] == 2048


def test_create_with_password_file_encrypts_key_and_pfx(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_bytes(b"s3cret pass\n")
    result = create(tmp_path / "sealed", "--password-file", tmp_path / "pw.txt",
                    "--key-size", "3072")
    assert result.exit_code == 0, result.stderr
    key_pem = _file(tmp_path / "sealed", ".key.pem").read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert certs.load_private_key(key_pem, b"s3cret pass").key_size == 3072
    with pytest.raises(CertificateError):
        certs.load_private_key(key_pem, b"s3cret pass\n")
    pfx = _file(tmp_path / "sealed", ".pfx")
    assert certs.load_pkcs12(pfx.read_bytes(), b"s3cret pass")[0].key_size == 3072
    shown = run("show", pfx, "--password-file", tmp_path / "pw.txt", "--json")
    assert json.loads(shown.stdout)["keySize"] == 3072
    _one_line_error(run("show", pfx), 1, f"{pfx}: cannot open the PKCS#12 file: a password "
                    "may be needed, or not a PFX")


def test_keycredential_entry(bundle: Path) -> None:
    result = run("keycredential", _file(bundle, ".pem"))
    assert result.exit_code == 0, result.stderr
    entry = json.loads(result.stdout)
    cert = certs.load_certificate(_file(bundle, ".pem").read_bytes())
    assert list(entry) == ["customKeyIdentifier", "keyId", "type", "usage", "key",
                           "startDateTime", "endDateTime", "displayName"]
    assert uuid.UUID(entry.pop("keyId")).version == 4
    assert entry == {
        "customKeyIdentifier": certs.thumbprints(cert).sha1_b64,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": base64.b64encode(_file(bundle, ".cer").read_bytes()).decode("ascii"),
        "startDateTime": "2026-01-01T00:00:00Z",
        "endDateTime": "2027-12-31T00:00:00Z",
        "displayName": "CN=Contoso SuperApp Cert",
    }


def test_keycredential_display_name_and_fresh_key_ids(bundle: Path) -> None:
    first = json.loads(run("keycredential", _file(bundle, ".cer"),
                           "--display-name", "SuperApp 2026").stdout)
    second = json.loads(run("keycredential", _file(bundle, ".cer")).stdout)
    assert first["displayName"] == "SuperApp 2026"
    assert first["keyId"] != second["keyId"]


@pytest.mark.parametrize(("size", "why"), [
    ("1024", "smaller keys are not safe"), ("2047", "smaller keys are not safe"),
    ("16384", "larger keys take minutes to make and slow every signature"),
    ("8192", "larger keys take minutes to make and slow every signature")])
def test_key_sizes_outside_the_allowed_three_are_refused_at_once(
        tmp_path: Path, size: str, why: str) -> None:
    result = create(tmp_path / "weak", "--key-size", size)
    _one_line_error(result, 2, f"--key-size: {size} is not one of 2048, 3072 or 4096 ({why})")
    assert list(tmp_path.iterdir()) == []


def test_validity_in_days_from_not_before(tmp_path: Path) -> None:
    info = json.loads(run("create", "--subject", "CN=days", "--out", tmp_path / "d", "--json",
                          "--not-before", "2030-02-01", "--days", "90").stdout)
    assert (info["notBefore"], info["notAfter"]) == ("2030-02-01T00:00:00Z",
                                                     "2030-05-02T00:00:00Z")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    relative = json.loads(run("create", "--subject", "CN=rel", "--out", tmp_path / "r",
                              "--json", "--days", "1").stdout)
    assert relative["notBefore"] == today.strftime("%Y-%m-%dT%H:%M:%SZ")
    both = run("create", "--subject", "CN=x", "--out", tmp_path / "x", "--days", "9",
               "--not-after", "2031-01-01")
    _one_line_error(both, 2, "give --days or --not-after, not both")
    assert run("create", "--subject", "CN=x", "--out", tmp_path / "x", "--days", "0"
               ).exit_code == 2


def test_overwrite_refused_then_forced(bundle: Path) -> None:
    before = {p.name: p.read_bytes() for p in bundle.parent.iterdir()}
    existing = ", ".join(str(_file(bundle, s)) for s in (".key.pem", ".pem", ".cer", ".pfx"))
    _one_line_error(create(bundle), 1, f"refusing to overwrite existing {existing}: add --force "
                    "to replace them, or give another --out")
    assert {p.name: p.read_bytes() for p in bundle.parent.iterdir()} == before
    _file(bundle, ".key.pem").unlink()  # one file of the bundle left out: still refused
    rest = existing.split(", ", 1)[1]
    _one_line_error(create(bundle), 1, f"refusing to overwrite existing {rest}: add --force to "
                    "replace them, or give another --out")
    forced = create(bundle, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert _file(bundle, ".pem").read_bytes() != before["superapp.pem"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--not-before", "01/02/2026"], 2, "--not-before: invalid date '01/02/2026', "
                                        "expected YYYY-MM-DD"),
    (["--not-before", "2027-01-01", "--not-after", "2026-01-01"], 1,
     "not-after must be later than not-before"),
    (["--subject", "nonsense"], 1, "invalid subject 'nonsense': expected e.g. 'CN=My App'"),
], ids=["bad-date", "inverted-dates", "bad-subject"])
def test_create_user_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    result = run("create", "--subject", "CN=x", "--out", tmp_path / "x", *args)
    _one_line_error(result, code, message)
    assert list(tmp_path.iterdir()) == []


def test_create_empty_password_file(tmp_path: Path) -> None:
    (tmp_path / "pw").write_bytes(b"\n")
    result = create(tmp_path / "x", "--password-file", tmp_path / "pw")
    _one_line_error(result, 1, f"the password file {tmp_path / 'pw'} is empty")
    missing = create(tmp_path / "x", "--password-file", tmp_path / "nosuch.txt")
    _one_line_error(missing, 1, f"cannot read {tmp_path / 'nosuch.txt'}: No such file or "
                    "directory")


def test_show_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate")
    _one_line_error(run("show", junk), 1, f"{junk}: not a PEM or DER X.509 certificate")
    _one_line_error(run("show", tmp_path / "nope.cer"), 1,
                    f"cannot read {tmp_path / 'nope.cer'}: No such file or directory")
    _one_line_error(run("keycredential", junk), 1, f"{junk}: not a PEM or DER X.509 certificate")


def test_a_private_key_or_pfx_given_as_certificate_is_named(bundle: Path) -> None:
    key, pfx = _file(bundle, ".key.pem"), _file(bundle, ".pfx")
    _one_line_error(run("keycredential", key), 1,
                    f"{key}: not a PEM or DER X.509 certificate: it is a private key (PEM "
                    "PRIVATE KEY), which is never uploaded: give the certificate (.cer or .pem) "
                    "instead")
    renamed = pfx.with_name("bundle.cer")
    renamed.write_bytes(pfx.read_bytes())
    _one_line_error(run("show", renamed), 1,
                    f"{renamed}: not a PEM or DER X.509 certificate: it is a PKCS#12 (.pfx) "
                    "bundle, which holds the private key: upload the certificate alone (.cer or "
                    ".pem)")


def test_not_after_given_as_iso_datetime(tmp_path: Path) -> None:
    result = run("create", "--subject", "CN=iso", "--out", tmp_path / "iso", "--json",
                 "--not-before", "2026-01-01T08:30:00+02:00", "--not-after",
                 "2026-06-30T23:59:59Z")
    info = json.loads(result.stdout)
    assert (info["notBefore"], info["notAfter"]) == ("2026-01-01T06:30:00Z",
                                                     "2026-06-30T23:59:59Z")
