"""X.509 certificates and RSA keys: create, load, thumbprint and serialize (RFC 5280).

Client certificates are RSA-only and at least ``MIN_RSA_BITS`` (ARCHITECTURE.md D4).
Every function is pure except ``load_credential_files`` and ``write_bundle``, which read
and write files. Anything unusable raises ``CertificateError`` with a one-line message.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from credo.errors import CertificateError
from credo.model import KeyCredential

MIN_RSA_BITS = 2048
_PEM_MARK = b"-----BEGIN "
_PFX_SUFFIXES = frozenset({".pfx", ".p12"})
_PKCS12_ROUNDS = 50_000
_CLOCK_SKEW = timedelta(minutes=5)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Thumbprints:
    """SHA-1 and SHA-256 digests of a certificate's DER encoding, in every notation in use."""

    sha1: bytes
    sha256: bytes

    @property
    def sha1_hex(self) -> str:
        """Upper-case hex, as PowerShell and the Azure portal show it."""
        return self.sha1.hex().upper()

    @property
    def sha1_b64(self) -> str:
        """Standard base64: the manifest ``customKeyIdentifier``."""
        return base64.b64encode(self.sha1).decode("ascii")

    @property
    def x5t(self) -> str:
        """RFC 7517 §4.8 ``x5t``: base64url SHA-1 thumbprint, unpadded."""
        return _b64url(self.sha1)

    @property
    def x5t_s256(self) -> str:
        """RFC 7517 §4.9 ``x5t#S256``: base64url SHA-256 thumbprint, unpadded."""
        return _b64url(self.sha256)

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex().upper()


def thumbprints(cert: x509.Certificate) -> Thumbprints:
    """Digest the DER certificate (RFC 7517 §4.8-4.9)."""
    der = certificate_der(cert)
    return Thumbprints(sha1=hashlib.sha1(der, usedforsecurity=False).digest(), sha256=hashlib.sha256(der).digest())


def _key_type(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return "EC"
    return type(key).__name__.removesuffix("PublicKey").removesuffix("PrivateKey")


def _check_size(size: int) -> None:
    if size < MIN_RSA_BITS:
        raise CertificateError(
            f"RSA key size {size} is less than the minimum required {MIN_RSA_BITS} bits")


def _rsa_public(cert: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's RSA public key of at least ``MIN_RSA_BITS`` (ARCHITECTURE.md D4)."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError("the certificate's public key cannot be read") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise CertificateError(f"the certificate has a {_key_type(key)} key; only RSA is accepted")
    _check_size(key.key_size)
    return key


def _rsa_private(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError(f"the private key is a {_key_type(key)} key; only RSA is accepted")
    _check_size(key.key_size)
    return key


def load_certificate(data: bytes) -> x509.Certificate:
    """Load a PEM (RFC 7468 §5.1, first CERTIFICATE block) or DER X.509 certificate."""
    try:
        if _PEM_MARK in data:
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError("not a PEM or DER X.509 certificate") from exc
    _rsa_public(cert)
    return cert


def load_private_key(data: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Load an RSA key: PEM or DER, PKCS#1 or PKCS#8 (RFC 5958), encrypted or not."""
    pem = _PEM_MARK in data
    loader = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    try:
        try:
            key = loader(data, password)
        except TypeError:  # the key's encryption state does not match ``password``
            if password is None:
                raise CertificateError(
                    "the private key is encrypted and no password was given") from None
            key = loader(data, None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        if password is not None and (not pem or b"ENCRYPTED" in data):
            raise CertificateError("cannot decrypt the private key: wrong password") from exc
        raise CertificateError("not a PEM or DER private key") from exc
    return _rsa_private(key)


def _check_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    if key.public_key().public_numbers() != _rsa_public(cert).public_numbers():
        raise CertificateError("the private key does not match the certificate")


def load_pkcs12(
    data: bytes, password: bytes | None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Load the key and its certificate from a PKCS#12 (PFX) file (RFC 7292)."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, UnsupportedAlgorithm) as exc:
        hint = "wrong password" if password is not None else "a password may be required"
        raise CertificateError(f"cannot open the PKCS#12 file: {hint}, or not a PFX") from exc
    if key is None or cert is None:
        raise CertificateError("the PKCS#12 file must hold a private key and its certificate")
    rsa_key = _rsa_private(key)
    _check_pair(rsa_key, cert)
    return rsa_key, cert


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_credential_files(
    cert_path: Path, key_path: Path | None = None, password: bytes | None = None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Load a key and its certificate from a PFX, one PEM holding both, or two files."""
    data = _read(cert_path)
    if cert_path.suffix.lower() in _PFX_SUFFIXES:
        return load_pkcs12(data, password)
    cert = load_certificate(data)
    if key_path is not None:
        key = load_private_key(_read(key_path), password)
    elif re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", data):
        key = load_private_key(data, password)
    else:
        raise CertificateError(f"{cert_path} holds no private key; give the key file too")
    _check_pair(key, cert)
    return key, cert


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, as ``cryptography`` does."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_name(subject: str) -> x509.Name:
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except ValueError as exc:
        raise CertificateError(f"invalid subject {subject!r}: expected e.g. 'CN=My App'") from exc
    if not list(name):
        raise CertificateError("the subject must not be empty")
    return name


def _key_usage(*, sign_certs: bool) -> x509.KeyUsage:
    """RFC 5280 §4.2.1.3 key usage: end-entity (signature + key exchange) or CA."""
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=not sign_certs,
        data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs,
        crl_sign=sign_certs, encipher_only=False, decipher_only=False)


def _builder(
    subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey,
    not_before: datetime, not_after: datetime,
) -> x509.CertificateBuilder:
    """A builder with a random serial (RFC 5280 §4.1.2.2) and the SKI (§4.2.1.2)."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def create_self_signed(
    subject: str, not_before: datetime, not_after: datetime, key_size: int = 2048
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed RSA client certificate, like ``makecert -r -pe -sky exchange`` (RFC 5280)."""
    _check_size(key_size)
    start, end = _utc(not_before), _utc(not_after)
    if end <= start:
        raise CertificateError("not-after must be later than not-before")
    name = _parse_name(subject)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    cert = (
        _builder(name, name, key.public_key(), start, end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def create_ca(
    common_name: str, *, days: int = 3650, now: datetime | None = None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed CA for the server's local HTTPS (RFC 5280 §4.2.1.9, path length 0)."""
    start = _utc(now or datetime.now(UTC)) - _CLOCK_SKEW
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    cert = (
        _builder(name, name, key.public_key(), start, start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _san(hostnames: Sequence[str], ips: Sequence[str]) -> x509.SubjectAlternativeName:
    """RFC 5280 §4.2.1.6 subjectAltName with dNSName and iPAddress entries."""
    try:
        addresses = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    except ValueError as exc:
        raise CertificateError(f"invalid IP address in {list(ips)}") from exc
    dns: list[x509.GeneralName] = [x509.DNSName(host) for host in hostnames]
    return x509.SubjectAlternativeName([*dns, *addresses])


def issue_server_certificate(
    ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate,
    hostnames: Sequence[str], ips: Sequence[str], *,
    days: int = 825, now: datetime | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A TLS server certificate signed by ``ca_cert`` (RFC 5280; serverAuth per RFC 5280 §4.2.1.12)."""
    if not hostnames and not ips:
        raise CertificateError("a server certificate needs at least one hostname or IP address")
    start = _utc(now or datetime.now(UTC)) - _CLOCK_SKEW
    end = min(start + timedelta(days=days), ca_cert.not_valid_after_utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (*hostnames, *ips)[0])])
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(_rsa_public(ca_cert))
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), start, end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(hostnames, ips), critical=False)
        .add_extension(aki, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def key_credential(
    cert: x509.Certificate, *, key_id: str, display_name: str = ""
) -> KeyCredential:
    """The directory's ``keyCredential`` for a certificate (usage ``Verify``)."""
    prints = thumbprints(cert)
    return KeyCredential(
        key_id=key_id, der=certificate_der(cert), sha1=prints.sha1, sha256=prints.sha256,
        start=cert.not_valid_before_utc, end=cert.not_valid_after_utc,
        display_name=display_name, custom_key_identifier=prints.sha1,
    )


def private_key_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM (RFC 5958, RFC 7468 §10-11), encrypted when ``password`` is given."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if password is not None:
        if not password:
            raise CertificateError("the password must not be empty")
        encryption = serialization.BestAvailableEncryption(password)
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
    """A PFX (RFC 7292) with PBES2 AES-256-CBC and an HMAC-SHA256 MAC when ``password`` is given."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if password is not None:
        if not password:
            raise CertificateError("the password must not be empty")
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(_PKCS12_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password))
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, cert, None, encryption)


def _write(path: Path, data: bytes, *, private: bool, overwrite: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as out:
            if private:
                os.chmod(path, 0o600)  # an overwritten file keeps its old mode otherwise
            out.write(data)
    except OSError as exc:
        raise CertificateError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_bundle(
    out: Path, key: rsa.RSAPrivateKey, cert: x509.Certificate, password: bytes | None,
    *, overwrite: bool = False,
) -> dict[str, Path]:
    """Write ``<out>.key.pem`` (0600), ``<out>.pem``, ``<out>.cer`` (DER), ``<out>.pfx`` (0600)."""
    contents = {
        ".key.pem": private_key_pem(key, password),
        ".pem": certificate_pem(cert),
        ".cer": certificate_der(cert),
        ".pfx": pkcs12_bytes(key, cert, password, friendly_name=cert.subject.rfc4514_string()),
    }
    paths = {suffix: out.with_name(out.name + suffix) for suffix in contents}
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing and not overwrite:
        raise CertificateError(f"refusing to overwrite existing {', '.join(existing)}")
    for suffix, path in paths.items():
        _write(path, contents[suffix], private=suffix in (".key.pem", ".pfx"),
               overwrite=overwrite)
    return {"key": paths[".key.pem"], "pem": paths[".pem"], "cer": paths[".cer"],
            "pfx": paths[".pfx"]}


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(cert: x509.Certificate) -> dict[str, str | int]:
    """Subject, issuer, serial, validity, key size and every thumbprint form of a certificate."""
    prints = thumbprints(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "notBefore": _iso_z(cert.not_valid_before_utc),
        "notAfter": _iso_z(cert.not_valid_after_utc),
        "keySize": _rsa_public(cert).key_size,
        "sha1Hex": prints.sha1_hex,
        "customKeyIdentifier": prints.sha1_b64,
        "x5t": prints.x5t,
        "x5tS256": prints.x5t_s256,
        "sha256Hex": prints.sha256_hex,
    }
