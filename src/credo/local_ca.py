"""The server's local HTTPS: a private CA and a server certificate it issues (RFC 5280).

``credo init`` writes both into the data dir; clients trust the CA (its path is printed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from credo.certs import (
    CLOCK_SKEW,
    MIN_RSA_BITS,
    KeyAndCert,
    certificate_builder,
    public_rsa,
    utc,
)
from credo.errors import CertificateError


def create_ca(common_name: str, *, days: int = 3650, now: datetime | None = None) -> KeyAndCert:
    """A self-signed CA for the server's local HTTPS (RFC 5280 §4.2.1.9, path length 0)."""
    start = utc(now or datetime.now(UTC)) - CLOCK_SKEW
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    end = start + timedelta(days=days)
    builder = certificate_builder(name, name, key, start, end, ca=True, eku=None)
    return key, builder.sign(key, hashes.SHA256())


def _san(hostnames: Sequence[str], ips: Sequence[str]) -> x509.SubjectAlternativeName:
    """RFC 5280 §4.2.1.6 subjectAltName with dNSName and iPAddress entries."""
    try:
        addresses = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    except ValueError as exc:
        raise CertificateError(f"invalid IP address in {list(ips)}") from exc
    dns: list[x509.GeneralName] = [x509.DNSName(host) for host in hostnames]
    return x509.SubjectAlternativeName([*dns, *addresses])


def issue_server_certificate(
    ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate, hostnames: Sequence[str],
    ips: Sequence[str], *, days: int = 825, now: datetime | None = None,
) -> KeyAndCert:
    """A TLS server certificate for ``hostnames`` and ``ips``, signed by ``ca_cert`` (RFC 5280)."""
    if not hostnames and not ips:
        raise CertificateError("a server certificate needs at least one hostname or IP address")
    start = utc(now or datetime.now(UTC)) - CLOCK_SKEW
    end = min(start + timedelta(days=days), ca_cert.not_valid_after_utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (*hostnames, *ips)[0])])
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(public_rsa(ca_cert))
    cert = (
        certificate_builder(name, ca_cert.subject, key, start, end, ca=False,
                 eku=ExtendedKeyUsageOID.SERVER_AUTH)
        .add_extension(_san(hostnames, ips), critical=False)
        .add_extension(aki, critical=False)
        .sign(ca_key, hashes.SHA256()))
    return key, cert
