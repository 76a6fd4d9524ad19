"""X.509 certificates and RSA keys: create, load, thumbprint, serialize (RFC 5280).

RSA only, at least ``MIN_RSA_BITS`` (new keys at most ``MAX_NEW_RSA_BITS``); anything
unusable raises a one-line ``CertificateError`` that says what the data is instead. Only
``load_credential_files`` and ``write_bundle`` touch files.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from credo.errors import CertificateError
from credo.jose import b64url_encode
from credo.model import KeyCredential

MIN_RSA_BITS = 2048
MAX_NEW_RSA_BITS = 4096  # larger keys take minutes to make and slow every signature
NOT_A_CERTIFICATE = "not a PEM or DER X.509 certificate"
_PEM_MARK = b"-----BEGIN "
_PEM_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_NEVER_UPLOADED = "which is never uploaded: give the certificate (.cer or .pem) instead"
_PFX_SUFFIXES = frozenset({".pfx", ".p12"})
_PKCS12_ROUNDS = 50_000
CLOCK_SKEW = timedelta(minutes=5)
KeyAndCert = tuple[rsa.RSAPrivateKey, x509.Certificate]


@dataclass(frozen=True)
class Thumbprints:
    """SHA-1 and SHA-256 digests of a certificate's DER encoding, in every notation in use.

    ``sha1_hex`` is what PowerShell and the Azure portal show, ``sha1_b64`` the manifest
    ``customKeyIdentifier``, ``x5t`` / ``x5t_s256`` the RFC 7517 §4.8 / §4.9 header values.
    """

    sha1: bytes
    sha256: bytes

    @property
    def sha1_hex(self) -> str:
        return self.sha1.hex().upper()

    @property
    def sha1_b64(self) -> str:
        return base64.b64encode(self.sha1).decode("ascii")

    @property
    def x5t(self) -> str:
        return b64url_encode(self.sha1)

    @property
    def x5t_s256(self) -> str:
        return b64url_encode(self.sha256)

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex().upper()


def thumbprints(cert: x509.Certificate) -> Thumbprints:
    """Digest the DER certificate (RFC 7517 §4.8-4.9)."""
    der = certificate_der(cert)
    sha1 = hashlib.sha1(der, usedforsecurity=False).digest()
    return Thumbprints(sha1=sha1, sha256=hashlib.sha256(der).digest())


def _check_size(size: int) -> None:
    if size < MIN_RSA_BITS:
        raise CertificateError(
            f"RSA key size {size} is less than the minimum required {MIN_RSA_BITS} bits")


def _not_rsa(key: object, what: str) -> CertificateError:
    is_ec = isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey)
    name = "EC" if is_ec else type(key).__name__.replace("Public", "").replace("Private", "")
    return CertificateError(f"the {what} is {name}; only RSA keys are accepted")


def public_rsa(cert: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's RSA key of at least ``MIN_RSA_BITS``."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError("the certificate's public key cannot be read") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise _not_rsa(key, "certificate's key")
    _check_size(key.key_size)
    return key


def _private(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _not_rsa(key, "private key")
    _check_size(key.key_size)
    return key


def _der_sequence_body(data: bytes) -> bytes:
    """What follows the header of a DER SEQUENCE (X.690 §8.1), or b"" when it is not one."""
    if len(data) < 2 or data[0] != 0x30:
        return b""
    size_bytes = data[1] & 0x7F if data[1] & 0x80 else 0
    return data[2 + size_bytes:]


def what_it_is(data: bytes) -> str:
    """What bytes that are not a certificate are, when that can be told; else ``""``."""
    if not data.strip():
        return "the data is empty"
    labels = [label.decode("ascii") for label in _PEM_LABEL.findall(data)]
    if "CERTIFICATE" in labels:
        return "its CERTIFICATE block cannot be parsed"
    if labels:
        kind = labels[0]
        if kind.endswith("PRIVATE KEY"):
            return f"it is a private key (PEM {kind}), {_NEVER_UPLOADED}"
        if kind.endswith("CERTIFICATE REQUEST"):
            return "it is a certificate signing request (CSR), not the certificate made from it"
        return f"it is a PEM {kind} block"
    body = _der_sequence_body(data)
    if body.startswith(b"\x02\x01\x03"):  # PFX version 3 (RFC 7292 §4)
        return ("it is a PKCS#12 (.pfx) bundle, which holds the private key: upload the "
                "certificate alone (.cer or .pem)")
    if body.startswith(b"\x02\x01\x00"):  # PKCS#1 / PKCS#8 version 0
        return f"it is a private key (DER), {_NEVER_UPLOADED}"
    if data.lstrip().startswith((b"ssh-rsa ", b"ssh-ed25519 ", b"ecdsa-sha2")):
        return "it is an SSH public key, not an X.509 certificate"
    return ""


def load_certificate(data: bytes) -> x509.Certificate:
    """Load a PEM (first CERTIFICATE block, RFC 7468 §5.1) or DER X.509 certificate.

    Anything else is refused saying what it is (a private key, a PFX, a CSR …).
    """
    try:
        pem = _PEM_MARK in data
        cert = x509.load_pem_x509_certificate(data) if pem else x509.load_der_x509_certificate(data)
    except ValueError as exc:
        what = what_it_is(data)
        raise CertificateError(f"{NOT_A_CERTIFICATE}: {what}" if what else NOT_A_CERTIFICATE
                               ) from exc
    public_rsa(cert)
    return cert


def load_private_key(data: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Load an RSA key: PEM or DER, PKCS#1 or PKCS#8 (RFC 5958), encrypted or not."""
    pem = _PEM_MARK in data
    loader = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    try:
        key = loader(data, password)
    except TypeError:  # the key's encryption does not match ``password``
        if password is None:
            raise CertificateError("the private key is encrypted: give its password") from None
        return load_private_key(data)  # not encrypted: the password is not needed
    except (ValueError, UnsupportedAlgorithm) as exc:
        if password is not None and (not pem or b"ENCRYPTED" in data):
            raise CertificateError("cannot decrypt the private key: wrong password") from exc
        raise CertificateError("not a PEM or DER private key") from exc
    return _private(key)


def _check_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> KeyAndCert:
    if key.public_key().public_numbers() != public_rsa(cert).public_numbers():
        raise CertificateError("the private key does not match the certificate")
    return key, cert


def load_pkcs12(data: bytes, password: bytes | None) -> KeyAndCert:
    """Load the key and its certificate from a PKCS#12 (PFX) file (RFC 7292)."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, UnsupportedAlgorithm) as exc:
        hint = "wrong password" if password is not None else "a password may be needed"
        raise CertificateError(f"cannot open the PKCS#12 file: {hint}, or not a PFX") from exc
    if key is None or cert is None:
        raise CertificateError("the PKCS#12 file must hold a private key and its certificate")
    return _check_pair(_private(key), cert)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_credential_files(
    cert_path: Path, key_path: Path | None = None, password: bytes | None = None
) -> KeyAndCert:
    """Load a key and its certificate from a PFX, one PEM holding both, or two files."""
    data = _read(cert_path)
    if cert_path.suffix.lower() in _PFX_SUFFIXES:
        return load_pkcs12(data, password)
    cert = load_certificate(data)
    if key_path is not None:
        return _check_pair(load_private_key(_read(key_path), password), cert)
    if not _PEM_KEY.search(data):
        raise CertificateError(f"{cert_path} holds no private key; give the key file too")
    return _check_pair(load_private_key(data, password), cert)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_name(subject: str) -> x509.Name:
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except ValueError as exc:
        raise CertificateError(f"invalid subject {subject!r}: expected e.g. 'CN=My App'") from exc
    if not list(name):
        raise CertificateError("the subject must not be empty")
    return name


def certificate_builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey, start: datetime,
    end: datetime, *, ca: bool, eku: x509.ObjectIdentifier | None,
) -> x509.CertificateBuilder:
    """Random serial (RFC 5280 §4.1.2.2), SKI (§4.2.1.2), key usage (§4.2.1.3), EKU (§4.2.1.12)."""
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=not ca,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
        .add_extension(usage, critical=True))
    return builder if eku is None else builder.add_extension(x509.ExtendedKeyUsage([eku]), False)


def create_self_signed(
    subject: str, not_before: datetime, not_after: datetime, key_size: int = 2048
) -> KeyAndCert:
    """A self-signed RSA client certificate, like ``makecert -r -pe -sky exchange`` (RFC 5280)."""
    _check_size(key_size)
    if key_size > MAX_NEW_RSA_BITS:
        raise CertificateError(f"RSA key size {key_size} is more than the {MAX_NEW_RSA_BITS} "
                               "bits a new key may have (larger keys take minutes to make "
                               "and slow every signature)")
    start, end = utc(not_before), utc(not_after)
    if end <= start:
        raise CertificateError("not-after must be later than not-before")
    name = _parse_name(subject)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    builder = certificate_builder(name, name, key, start, end, ca=False,
                                  eku=ExtendedKeyUsageOID.CLIENT_AUTH)
    return key, builder.sign(key, hashes.SHA256())


def key_credential(cert: x509.Certificate, *, key_id: str, display_name: str = "") -> KeyCredential:
    """The directory's ``keyCredential`` for a certificate (usage ``Verify``)."""
    prints = thumbprints(cert)
    return KeyCredential(
        key_id=key_id, der=certificate_der(cert), sha1=prints.sha1, sha256=prints.sha256,
        start=cert.not_valid_before_utc, end=cert.not_valid_after_utc,
        display_name=display_name, custom_key_identifier=prints.sha1)


def _nonempty(password: bytes) -> bytes:
    if not password:
        raise CertificateError("the password must not be empty")
    return password


def private_key_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM (RFC 5958, RFC 7468 §10-11), encrypted when ``password`` is given."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if password is not None:
        encryption = serialization.BestAvailableEncryption(_nonempty(password))
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def certificate_pem(cert: x509.Certificate) -> bytes:
    """RFC 7468 §5.1 ``CERTIFICATE`` PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def certificate_der(cert: x509.Certificate) -> bytes:
    """The certificate's DER encoding (RFC 5280 §4.1), which thumbprints digest."""
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs12_bytes(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, password: bytes | None, friendly_name: str
) -> bytes:
    """A PFX (RFC 7292); with a password, PBES2 AES-256-CBC and an HMAC-SHA256 MAC."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if password is not None:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(_PKCS12_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256()).build(_nonempty(password)))
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, cert, None, encryption)


def _write(path: Path, data: bytes, *, private: bool, overwrite: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        with os.fdopen(os.open(path, flags, 0o600 if private else 0o644), "wb") as out:
            if private:
                os.chmod(path, 0o600)  # an overwritten file would keep its old mode
            out.write(data)
    except OSError as exc:
        raise CertificateError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_bundle(
    out: Path, key: rsa.RSAPrivateKey, cert: x509.Certificate, password: bytes | None,
    *, overwrite: bool = False,
) -> dict[str, Path]:
    """Write ``<out>.key.pem`` and ``<out>.pfx`` (both 0600), ``<out>.pem``, ``<out>.cer`` (DER)."""
    contents = {
        "key": (".key.pem", private_key_pem(key, password)),
        "pem": (".pem", certificate_pem(cert)),
        "cer": (".cer", certificate_der(cert)),
        "pfx": (".pfx", pkcs12_bytes(key, cert, password, cert.subject.rfc4514_string())),
    }
    paths = {kind: out.with_name(out.name + suffix) for kind, (suffix, _) in contents.items()}
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing and not overwrite:
        raise CertificateError(f"refusing to overwrite existing {', '.join(existing)}")
    for kind, (_, data) in contents.items():
        _write(paths[kind], data, private=kind in ("key", "pfx"), overwrite=overwrite)
    return paths


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(cert: x509.Certificate) -> dict[str, str | int]:
    """Subject, issuer, serial (hex), validity, key size and every thumbprint form."""
    prints = thumbprints(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "notBefore": _iso_z(cert.not_valid_before_utc),
        "notAfter": _iso_z(cert.not_valid_after_utc),
        "keySize": public_rsa(cert).key_size,
        "sha1Hex": prints.sha1_hex,
        "customKeyIdentifier": prints.sha1_b64,
        "x5t": prints.x5t,
        "x5tS256": prints.x5t_s256,
        "sha256Hex": prints.sha256_hex,
    }
