"""credo.certs: creation, loading, thumbprints, serialization, and a real TLS handshake."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from credo import certs, local_ca
from credo.errors import CertificateError

# Made with `openssl req -x509 -newkey rsa:2048 -subj "/CN=Credo Test Vector/O=Contoso"
# -set_serial 0x1234`; expected values from `openssl x509 -fingerprint -sha1|-sha256` and
# `openssl dgst -binary | base64` / `basenc --base64url` over the DER encoding.
VECTOR_PEM = b"""-----BEGIN CERTIFICATE-----
MIIDKzCCAhOgAwIBAgICEjQwDQYJKoZIhvcNAQELBQAwLjEaMBgGA1UEAwwRQ3Jl
ZG8gVGVzdCBWZWN0b3IxEDAOBgNVBAoMB0NvbnRvc28wHhcNMjYxMTI2MTYzNDI1
WhcNMzYxMTIzMTYzNDI1WjAuMRowGAYDVQQDDBFDcmVkbyBUZXN0IFZlY3RvcjEQ
MA4GA1UECgwHQ29udG9zbzCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEB
AKAZPnPJ96rp2W4FqkYx7DxuniFgYNZvJctTg/BdZLbHbAinv+kur9bpMwSZbz9m
Oi+/dpnceDXQ3u3kiRuDycO0lJaSeCZKRZrGVGb2MneQa2BR0FishWNXyJJ8V97P
aMnY1P3b7bSbTavd8fosy4NfA07DBPcfYEEPv0JufOrhS6EtlUUFEAQhZVITKUrY
ncB2qpkPop9bnNuA3LIy1r7PF1UF5Kg5riOGCgm4IgAB11mMwuIwv2RswDa6dSIL
AJ1OQ5ZGZrZDCb9ROz8ETMumQVoQhLIqYAMtnxrqGpHFUTRv+wuY1j2QQF42z3Gr
j20OOkI0P9kC3yPbA70rnVECAwEAAaNTMFEwHQYDVR0OBBYEFFUuQcuG7nNW3NaS
QmIydLZCthUBMB8GA1UdIwQYMBaAFFUuQcuG7nNW3NaSQmIydLZCthUBMA8GA1Ud
EwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAFA0fWfEJOgcNHd5yOJuASVx
iCG+5o7axy74SF6sR6tk6CXU4T0/cmmmEObojOCIVb2lzivzTp+z4TuMr+xJqHlw
PemZ+JZyCW+S2S6lS6fQ+1R64YnP6sboHbfZxs8cElUhzrtl7tk7PQYsPEAMr0+6
3gusSmEYrOg2Hl/P0tVs/g4ImEaXlVypokA/nmSMe4cGoATIbCn0MHIMAzEuGXvH
AoPgQ3p+TTsZ9t9whIyDduDptKeV+vqk6bbIdYu0fMS9IAhM8c21jMnZyUp5wJAP
YUlAWscahVg3/vjPvvdNIc/Fy9Gi/QnEsi4gEm/iz7PWs8jzU1T869GOhKrmBPU=
-----END CERTIFICATE-----
"""
VECTOR_DESCRIPTION = {
    "subject": "O=Contoso,CN=Credo Test Vector",
    "issuer": "O=Contoso,CN=Credo Test Vector",
    "serial": "1234",
    "notBefore": "2026-11-26T16:34:25Z",
    "notAfter": "2036-11-23T16:34:25Z",
    "keySize": 2048,
    "sha1Hex": "503FFBE77B2BA6D6C6333BB84CA9285FB90AEED6",
    "customKeyIdentifier": "UD/753srptbGMzu4TKkoX7kK7tY=",
    "x5t": "UD_753srptbGMzu4TKkoX7kK7tY",
    "x5tS256": "eZN3GQXz8AXJh3VbR2zGqZTTePfjcEZRrsccD9e7J6U",
    "sha256Hex": "7993771905F3F005C987755B476CC6A994D378F7E3704651AEC71C0FD7BB27A5",
}
SUBJECT = "CN=Contoso SuperApp Cert,O=Contoso"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 12, 31, tzinfo=UTC)
PASSWORD = b"correct horse battery staple"
SMALL_KEY = "RSA key size 1024 is less than the minimum required 2048 bits"

KeyAndCert = tuple[rsa.RSAPrivateKey, x509.Certificate]


@pytest.fixture(scope="module")
def client() -> KeyAndCert:
    return certs.create_self_signed(SUBJECT, START, END)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _raw_cert(public_key: object, signer: object, algorithm: object = None) -> x509.Certificate:
    """A minimal certificate for keys ``create_self_signed`` refuses to make."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(public_key).serial_number(1)  # type: ignore[arg-type]
               .not_valid_before(START).not_valid_after(END))
    return builder.sign(signer, algorithm or hashes.SHA256())  # type: ignore[arg-type]


def _pem_body_der(pem: bytes) -> bytes:
    """DER decoded by hand from the PEM armour (RFC 7468), independent of cryptography."""
    lines = pem.decode("ascii").strip().splitlines()
    return base64.b64decode("".join(lines[1:-1]))


# -- thumbprints and describe ---------------------------------------------------------------


def test_thumbprints_of_openssl_vector() -> None:
    cert = certs.load_certificate(VECTOR_PEM)
    prints = certs.thumbprints(cert)
    assert prints.sha1_hex == VECTOR_DESCRIPTION["sha1Hex"]
    assert prints.sha1_b64 == VECTOR_DESCRIPTION["customKeyIdentifier"]
    assert prints.x5t == VECTOR_DESCRIPTION["x5t"]
    assert prints.x5t_s256 == VECTOR_DESCRIPTION["x5tS256"]
    assert prints.sha256_hex == VECTOR_DESCRIPTION["sha256Hex"]
    assert prints.sha1 == bytes.fromhex(str(VECTOR_DESCRIPTION["sha1Hex"]))


def test_describe_openssl_vector() -> None:
    assert certs.describe(certs.load_certificate(VECTOR_PEM)) == VECTOR_DESCRIPTION


def test_thumbprints_digest_the_der_encoding(client: KeyAndCert) -> None:
    der = _pem_body_der(certs.certificate_pem(client[1]))
    sha1, sha256 = hashlib.sha1(der).digest(), hashlib.sha256(der).digest()
    assert certs.thumbprints(client[1]) == certs.Thumbprints(sha1=sha1, sha256=sha256)
    prints = certs.thumbprints(client[1])
    assert prints.sha1_hex == sha1.hex().upper()
    assert prints.x5t == base64.urlsafe_b64encode(sha1).decode().rstrip("=")
    assert "=" not in prints.x5t_s256 and len(prints.x5t_s256) == 43


# -- create_self_signed -----------------------------------------------------------------------


def test_self_signed_certificate_shape(client: KeyAndCert) -> None:
    key, cert = client
    assert cert.subject.rfc4514_string() == SUBJECT
    assert cert.issuer == cert.subject
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (START, END)
    assert key.key_size == 2048 and key.public_key().public_numbers().e == 65537
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    cert.verify_directly_issued_by(cert)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
    assert not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_self_signed_serials_are_random(client: KeyAndCert) -> None:
    _, again = certs.create_self_signed(SUBJECT, START, END)
    assert again.serial_number != client[1].serial_number
    assert client[1].serial_number.bit_length() > 64


def test_self_signed_larger_key_and_naive_times_as_utc() -> None:
    key, cert = certs.create_self_signed("CN=big", datetime(2026, 1, 1), datetime(2026, 2, 1),
                                         key_size=3072)
    assert key.key_size == 3072
    assert cert.not_valid_before_utc == START


@pytest.mark.parametrize(("subject", "start", "end", "size", "message"), [
    ("CN=x", START, END, 1024, SMALL_KEY),
    ("CN=x", START, END, 4097, "RSA key size 4097 is more than the 4096 bits a new key may "
     "have (larger keys take minutes to make and slow every signature)"),
    ("CN=x", END, START, 2048, "not-after must be later than not-before"),
    ("CN=x", START, START, 2048, "not-after must be later than not-before"),
    ("", START, END, 2048, "the subject must not be empty"),
    ("not a name", START, END, 2048, "invalid subject 'not a name': expected e.g. 'CN=My App'"),
], ids=["1024-bit", "4097-bit", "inverted", "empty-validity", "empty-subject", "bad-subject"])
def test_self_signed_refusals(subject: str, start: datetime, end: datetime, size: int,
                              message: str) -> None:
    with pytest.raises(CertificateError) as info:
        certs.create_self_signed(subject, start, end, key_size=size)
    assert info.value.description == message


# -- loading certificates ------------------------------------------------------------------


def test_certificate_pem_and_der_round_trip(client: KeyAndCert) -> None:
    cert = client[1]
    assert certs.load_certificate(certs.certificate_pem(cert)) == cert
    assert certs.load_certificate(certs.certificate_der(cert)) == cert
    assert certs.certificate_pem(cert).startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert certs.certificate_der(cert) == _pem_body_der(certs.certificate_pem(cert))


def test_load_certificate_from_combined_pem(client: KeyAndCert) -> None:
    key, cert = client
    combined = certs.private_key_pem(key) + certs.certificate_pem(cert)
    assert certs.load_certificate(combined) == cert


@pytest.mark.parametrize(("data", "what"), [
    (b"", ": the data is empty"), (b" \n", ": the data is empty"), (b"garbage", ""),
    (b"-----BEGIN CERTIFICATE-----\nxx\n", ": its CERTIFICATE block cannot be parsed"),
    (b"ssh-rsa AAAAB3NzaC1yc2E me@host", ": it is an SSH public key, not an X.509 certificate"),
    (b"-----BEGIN CERTIFICATE REQUEST-----\nxx\n-----END CERTIFICATE REQUEST-----\n",
     ": it is a certificate signing request (CSR), not the certificate made from it"),
], ids=["empty", "blank", "garbage", "bad-pem", "ssh", "csr"])
def test_load_certificate_refuses_garbage(data: bytes, what: str) -> None:
    with pytest.raises(CertificateError) as info:
        certs.load_certificate(data)
    assert info.value.description == f"not a PEM or DER X.509 certificate{what}"


_KEY_GIVEN = "which is never uploaded: give the certificate (.cer or .pem) instead"


@pytest.mark.parametrize(("encode", "what"), [
    (lambda key, cert: certs.private_key_pem(key),
     f"it is a private key (PEM PRIVATE KEY), {_KEY_GIVEN}"),
    (lambda key, cert: certs.private_key_pem(key, PASSWORD),
     f"it is a private key (PEM ENCRYPTED PRIVATE KEY), {_KEY_GIVEN}"),
    (lambda key, cert: key.private_bytes(serialization.Encoding.DER,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()),
     f"it is a private key (DER), {_KEY_GIVEN}"),
    (lambda key, cert: key.private_bytes(serialization.Encoding.DER,
                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()),
     f"it is a private key (DER), {_KEY_GIVEN}"),
    (lambda key, cert: certs.pkcs12_bytes(key, cert, PASSWORD, "x"),
     "it is a PKCS#12 (.pfx) bundle, which holds the private key: upload the certificate "
     "alone (.cer or .pem)"),
    (lambda key, cert: certs.pkcs12_bytes(key, cert, None, "x"),
     "it is a PKCS#12 (.pfx) bundle, which holds the private key: upload the certificate "
     "alone (.cer or .pem)"),
    (lambda key, cert: cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
     "it is a PEM PUBLIC KEY block"),
], ids=["pem-key", "encrypted-pem-key", "der-pkcs8", "der-pkcs1", "pfx", "pfx-no-password",
        "public-key"])
def test_what_is_not_a_certificate_is_named(client: KeyAndCert, encode: object,
                                             what: str) -> None:
    data = encode(*client)  # type: ignore[operator]
    with pytest.raises(CertificateError) as info:
        certs.load_certificate(data)
    assert info.value.description == f"not a PEM or DER X.509 certificate: {what}"


def test_load_certificate_refuses_small_rsa() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = _raw_cert(key.public_key(), key).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(CertificateError) as info:
        certs.load_certificate(pem)
    assert info.value.description == SMALL_KEY


def test_load_certificate_refuses_ec() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = _raw_cert(key.public_key(), key).public_bytes(serialization.Encoding.DER)
    with pytest.raises(CertificateError) as info:
        certs.load_certificate(der)
    assert info.value.description == "the certificate's key is EC; only RSA keys are accepted"


# -- loading private keys ------------------------------------------------------------------

_ENC = serialization.Encoding
_FMT = serialization.PrivateFormat
_KEY_FORMATS = {
    "pem-pkcs8": (_ENC.PEM, _FMT.PKCS8, None),
    "pem-pkcs1": (_ENC.PEM, _FMT.TraditionalOpenSSL, None),
    "der-pkcs8": (_ENC.DER, _FMT.PKCS8, None),
    "der-pkcs1": (_ENC.DER, _FMT.TraditionalOpenSSL, None),
    "pem-pkcs8-encrypted": (_ENC.PEM, _FMT.PKCS8, PASSWORD),
    "pem-pkcs1-encrypted": (_ENC.PEM, _FMT.TraditionalOpenSSL, PASSWORD),
    "der-pkcs8-encrypted": (_ENC.DER, _FMT.PKCS8, PASSWORD),
}


def _key_bytes(key: rsa.RSAPrivateKey, fmt: str) -> tuple[bytes, bytes | None]:
    encoding, private_format, password = _KEY_FORMATS[fmt]
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    return key.private_bytes(encoding, private_format, encryption), password


@pytest.mark.parametrize("fmt", list(_KEY_FORMATS))
def test_load_private_key_formats(client: KeyAndCert, fmt: str) -> None:
    data, password = _key_bytes(client[0], fmt)
    loaded = certs.load_private_key(data, password)
    assert loaded.private_numbers() == client[0].private_numbers()


@pytest.mark.parametrize("fmt", ["pem-pkcs8-encrypted", "pem-pkcs1-encrypted",
                                 "der-pkcs8-encrypted"])
def test_load_private_key_wrong_and_missing_password(client: KeyAndCert, fmt: str) -> None:
    data, _ = _key_bytes(client[0], fmt)
    with pytest.raises(CertificateError) as wrong:
        certs.load_private_key(data, b"wrong")
    assert wrong.value.description == "cannot decrypt the private key: wrong password"
    with pytest.raises(CertificateError) as missing:
        certs.load_private_key(data)
    assert missing.value.description == "the private key is encrypted: give its password"


def test_password_for_unencrypted_key_is_ignored(client: KeyAndCert) -> None:
    loaded = certs.load_private_key(certs.private_key_pem(client[0]), PASSWORD)
    assert loaded.private_numbers() == client[0].private_numbers()


def test_load_private_key_refusals() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    curve = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = (_ENC.PEM, _FMT.PKCS8, serialization.NoEncryption())
    cases = {
        small.private_bytes(*pkcs8): SMALL_KEY,
        curve.private_bytes(*pkcs8): "the private key is EC; only RSA keys are accepted",
        b"garbage": "not a PEM or DER private key",
        VECTOR_PEM: "not a PEM or DER private key",
    }
    for data, message in cases.items():
        with pytest.raises(CertificateError) as info:
            certs.load_private_key(data)
        assert info.value.description == message


def test_private_key_pem_encryption(client: KeyAndCert) -> None:
    plain = certs.private_key_pem(client[0])
    sealed = certs.private_key_pem(client[0], PASSWORD)
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert sealed.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert certs.load_private_key(sealed, PASSWORD).private_numbers() == \
        client[0].private_numbers()
    with pytest.raises(CertificateError, match=r"^the password must not be empty$"):
        certs.private_key_pem(client[0], b"")


# -- PKCS#12 -------------------------------------------------------------------------------


def test_pkcs12_round_trip_with_password(client: KeyAndCert) -> None:
    pfx = certs.pkcs12_bytes(client[0], client[1], PASSWORD, "SuperApp")
    key, cert = certs.load_pkcs12(pfx, PASSWORD)
    assert cert == client[1] and key.private_numbers() == client[0].private_numbers()
    bundle = pkcs12.load_pkcs12(pfx, PASSWORD)
    assert bundle.cert is not None and bundle.cert.friendly_name == b"SuperApp"
    with pytest.raises(CertificateError) as wrong:
        certs.load_pkcs12(pfx, b"wrong")
    assert wrong.value.description == "cannot open the PKCS#12 file: wrong password, or not a PFX"
    with pytest.raises(CertificateError) as missing:
        certs.load_pkcs12(pfx, None)
    assert missing.value.description == \
        "cannot open the PKCS#12 file: a password may be needed, or not a PFX"


def test_pkcs12_without_password(client: KeyAndCert) -> None:
    pfx = certs.pkcs12_bytes(client[0], client[1], None, "SuperApp")
    assert certs.load_pkcs12(pfx, None)[1] == client[1]


def test_pkcs12_refusals(client: KeyAndCert) -> None:
    cert_only = pkcs12.serialize_key_and_certificates(
        b"x", None, client[1], None, serialization.NoEncryption())
    with pytest.raises(CertificateError) as no_key:
        certs.load_pkcs12(cert_only, None)
    assert no_key.value.description == \
        "the PKCS#12 file must hold a private key and its certificate"
    with pytest.raises(CertificateError) as garbage:
        certs.load_pkcs12(b"garbage", None)
    assert garbage.value.description == \
        "cannot open the PKCS#12 file: a password may be needed, or not a PFX"


# -- load_credential_files -----------------------------------------------------------------


def test_credential_files_layouts(tmp_path: Path, client: KeyAndCert) -> None:
    key, cert = client
    key_pem, cert_pem = certs.private_key_pem(key, PASSWORD), certs.certificate_pem(cert)
    files = {
        "key-first.pem": key_pem + cert_pem,
        "cert-first.pem": cert_pem + key_pem,
        "cert.pem": cert_pem,
        "key.pem": key_pem,
        "bundle.pfx": certs.pkcs12_bytes(key, cert, PASSWORD, "x"),
        "bundle.P12": certs.pkcs12_bytes(key, cert, PASSWORD, "x"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    layouts = [("key-first.pem", None), ("cert-first.pem", None), ("cert.pem", "key.pem"),
               ("bundle.pfx", None), ("bundle.P12", None)]
    for cert_name, key_name in layouts:
        key_path = tmp_path / key_name if key_name else None
        loaded_key, loaded_cert = certs.load_credential_files(tmp_path / cert_name, key_path,
                                                              PASSWORD)
        assert loaded_cert == cert, cert_name
        assert loaded_key.private_numbers() == key.private_numbers(), cert_name


def test_credential_files_refusals(tmp_path: Path, client: KeyAndCert,
                                   other_key: rsa.RSAPrivateKey) -> None:
    (tmp_path / "cert.pem").write_bytes(certs.certificate_pem(client[1]))
    (tmp_path / "other.pem").write_bytes(certs.private_key_pem(other_key))
    cases = [
        ((tmp_path / "cert.pem", None),
         f"{tmp_path / 'cert.pem'} holds no private key; give the key file too"),
        ((tmp_path / "cert.pem", tmp_path / "other.pem"),
         "the private key does not match the certificate"),
        ((tmp_path / "missing.pem", None),
         f"cannot read {tmp_path / 'missing.pem'}: No such file or directory"),
    ]
    for (cert_path, key_path), message in cases:
        with pytest.raises(CertificateError) as info:
            certs.load_credential_files(cert_path, key_path)
        assert info.value.description == message


# -- key_credential and write_bundle ---------------------------------------------------------


def test_key_credential(client: KeyAndCert) -> None:
    cred = certs.key_credential(client[1], key_id="5d7c2d1c-0000-4000-8000-000000000001",
                                display_name="CN=Contoso SuperApp Cert")
    prints = certs.thumbprints(client[1])
    assert cred.key_id == "5d7c2d1c-0000-4000-8000-000000000001"
    assert cred.der == certs.certificate_der(client[1])
    assert (cred.sha1, cred.sha256) == (prints.sha1, prints.sha256)
    assert cred.custom_key_identifier == prints.sha1
    assert (cred.start, cred.end) == (START, END)
    assert cred.start.tzinfo is not None and cred.start.utcoffset() == timedelta(0)
    assert (cred.type, cred.usage, cred.display_name) == (
        "AsymmetricX509Cert", "Verify", "CN=Contoso SuperApp Cert")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_bundle(tmp_path: Path, client: KeyAndCert) -> None:
    old_umask = os.umask(0o022)
    try:
        paths = certs.write_bundle(tmp_path / "superapp", client[0], client[1], PASSWORD)
    finally:
        os.umask(old_umask)
    names = {kind: path.name for kind, path in paths.items()}
    assert names == {"key": "superapp.key.pem", "pem": "superapp.pem", "cer": "superapp.cer",
                     "pfx": "superapp.pfx"}
    assert {kind: _mode(path) for kind, path in paths.items()} == {
        "key": 0o600, "pem": 0o644, "cer": 0o644, "pfx": 0o600}
    assert paths["pem"].read_bytes() == certs.certificate_pem(client[1])
    assert paths["cer"].read_bytes() == certs.certificate_der(client[1])
    assert paths["key"].read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key, cert = certs.load_credential_files(paths["pfx"], password=PASSWORD)
    assert cert == client[1] and key.private_numbers() == client[0].private_numbers()
    assert certs.load_credential_files(paths["pem"], paths["key"], PASSWORD)[1] == client[1]


def test_write_bundle_refuses_to_overwrite(tmp_path: Path, client: KeyAndCert,
                                           other_key: rsa.RSAPrivateKey) -> None:
    (tmp_path / "app.cer").write_bytes(b"keep me")
    with pytest.raises(CertificateError) as info:
        certs.write_bundle(tmp_path / "app", client[0], client[1], None)
    assert info.value.description == f"refusing to overwrite existing {tmp_path / 'app.cer'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.cer"]
    assert (tmp_path / "app.cer").read_bytes() == b"keep me"


def test_write_bundle_overwrite_restores_private_modes(tmp_path: Path,
                                                       client: KeyAndCert) -> None:
    first = certs.write_bundle(tmp_path / "app", client[0], client[1], None)
    first["key"].chmod(0o644)
    second = certs.write_bundle(tmp_path / "app", client[0], client[1], PASSWORD, overwrite=True)
    assert _mode(second["key"]) == 0o600
    assert certs.load_private_key(second["key"].read_bytes(), PASSWORD).private_numbers() == \
        client[0].private_numbers()


# -- local CA and TLS server certificate -----------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ca_key, ca_cert = local_ca.create_ca("Credo test CA")
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, ["localhost"],
                                               ["127.0.0.1", "::1"])
    folder = tmp_path_factory.mktemp("tls")
    files = {"ca": certs.certificate_pem(ca_cert),
             "chain": certs.certificate_pem(cert) + certs.certificate_pem(ca_cert),
             "key": certs.private_key_pem(key)}
    for name, data in files.items():
        (folder / f"{name}.pem").write_bytes(data)
    return {name: folder / f"{name}.pem" for name in files}


def _handshake(tls: dict[str, Path], server_hostname: str, *, cafile: bool = True) -> bytes:
    """One TLS connection to a server on 127.0.0.1 that sends ``hello``; strict client checks."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tls["chain"], tls["key"])
    client_ctx = ssl.create_default_context(cafile=str(tls["ca"]) if cafile else None)
    client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                with server_ctx.wrap_socket(conn, server_side=True) as server_tls:
                    server_tls.sendall(b"hello")
            except OSError:
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname()[:2], timeout=10) as raw, \
                    client_ctx.wrap_socket(raw, server_hostname=server_hostname) as client_tls:
                return client_tls.recv(5)
        finally:
            thread.join(10)


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1"])
def test_tls_handshake_trusts_local_ca(tls: dict[str, Path], hostname: str) -> None:
    assert _handshake(tls, hostname) == b"hello"


def test_tls_handshake_refuses_other_name_and_untrusted_ca(tls: dict[str, Path]) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _handshake(tls, "example.com")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        _handshake(tls, "localhost", cafile=False)


def test_ca_and_server_certificate_extensions() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    ca_key, ca_cert = local_ca.create_ca("Credo local CA", days=30, now=now)
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, ["credo.local"], ["10.0.0.1"],
                                               now=now)
    basic = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    assert ca_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    cert.verify_directly_issued_by(ca_cert)
    assert cert.subject.rfc4514_string() == "CN=credo.local"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["credo.local"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert cert.not_valid_before_utc == now - timedelta(minutes=5)
    assert cert.not_valid_after_utc == ca_cert.not_valid_after_utc  # clipped to the CA
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_server_certificate_refusals() -> None:
    ca_key, ca_cert = local_ca.create_ca("Credo local CA")
    with pytest.raises(CertificateError) as none:
        local_ca.issue_server_certificate(ca_key, ca_cert, [], [])
    assert none.value.description == \
        "a server certificate needs at least one hostname or IP address"
    with pytest.raises(CertificateError) as bad_ip:
        local_ca.issue_server_certificate(ca_key, ca_cert, ["localhost"], ["300.1.1.1"])
    assert bad_ip.value.description == "invalid IP address in ['300.1.1.1']"
