"""Client certificates for test apps, in the file shapes MSAL and azure-identity read.

A fresh RSA-2048 key and self-signed certificate per app (a shared key would let one app's
key sign for another, hiding exactly the bugs a negative test looks for), valid from a day
ago for a year. Files: the certificate PEM, the unencrypted PKCS#8 key PEM, and both in one
PEM (azure-identity's ``CertificateCredential`` and ``AZURE_CLIENT_CERTIFICATE_PATH``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from credo import certs


@dataclass(frozen=True)
class CertificateFiles:
    """An app's certificate: paths of its PEM files and its SHA-1 thumbprint (hex)."""

    cert_path: Path
    key_path: Path
    pem_path: Path
    thumbprint: str

    @property
    def certificate_pem(self) -> str:
        return self.cert_path.read_text()

    @property
    def private_key_pem(self) -> str:
        return self.key_path.read_text()

    def msal_credential(self) -> dict[str, str]:
        """MSAL's ``client_credential`` for this certificate (SHA-256 thumbprint, PS256)."""
        return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}


def create(directory: Path, name: str) -> tuple[CertificateFiles, dict[str, Any]]:
    """Write a new certificate's files under ``directory``; also its Graph ``keyCredential``."""
    start = datetime.now(UTC) - timedelta(days=1)
    key, cert = certs.create_self_signed(f"CN={name}", start, start + timedelta(days=365))
    directory.mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = certs.private_key_pem(key), certs.certificate_pem(cert)
    paths = (directory / "cert.pem", directory / "key.pem", directory / "cert-and-key.pem")
    for path, data in zip(paths, (cert_pem, key_pem, key_pem + cert_pem), strict=True):
        path.touch(mode=0o644 if path is paths[0] else 0o600, exist_ok=False)
        path.write_bytes(data)
    files = CertificateFiles(*paths, certs.thumbprints(cert).sha1_hex)
    key_credential = {"type": "AsymmetricX509Cert", "usage": "Verify", "displayName": f"CN={name}",
                      "key": base64.b64encode(certs.certificate_der(cert)).decode()}
    return files, key_credential
