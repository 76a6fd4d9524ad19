"""How the client authenticates to the token endpoint.

* ``CertificateCredential``: a JWT client assertion signed with the certificate's key,
  ``private_key_jwt`` (RFC 7523 §2.2, claims per §3; OpenID Connect Core §9). This is the
  assertion MSAL Python builds: header ``typ: JWT`` with ``PS256`` + ``x5t#S256`` (MSAL
  ≥ 1.35 given a certificate) or ``RS256`` + ``x5t`` (MSAL given a SHA-1 thumbprint,
  azure-identity, ADAL); claims ``aud`` = the token endpoint, ``iss`` = ``sub`` = client id,
  ``jti`` = a UUID, ``iat`` = ``nbf`` = now, ``exp`` = now + 600.
* ``ClientSecret``: ``client_secret`` in the form body (RFC 6749 §2.3.1), as MSAL sends it.

Thumbprints are sent as *unpadded* base64url (RFC 7515 §2); MSAL pads them, and Credo's
server, like Entra, compares decoded bytes, so both forms are accepted there.

Like MSAL, one signed assertion is reused for every request to the same token endpoint
until 60 s before it expires (540 s with the default lifetime). A tenant on Credo's
``strict`` profile treats ``jti`` as single-use: pass ``reuse_assertions=False`` there.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, TypedDict, Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs
from credo.errors import CertificateError
from credo.jose import Signer

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""RFC 7523 §2.2 ``client_assertion_type``."""

REUSE_MARGIN = 60.0
"""An assertion is replaced once fewer than this many seconds of its lifetime remain."""

Algorithm = Literal["PS256", "RS256"]
StrPath = str | os.PathLike[str]


class Credential(Protocol):
    """What the token request needs from a credential: its form fields."""

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """The client-authentication fields of the token request body."""
        ...


class AssertionCredential:
    """Signs RFC 7523 §3 client assertions with ``signer`` and reuses them until near expiry."""

    def __init__(self, signer: Signer, *, assertion_lifetime: int = 600,
                 reuse_assertions: bool = True,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        if assertion_lifetime <= REUSE_MARGIN:
            raise ValueError(f"assertion_lifetime must exceed {REUSE_MARGIN:.0f} seconds")
        self._signer = signer
        self._lifetime = assertion_lifetime
        self._reuse = reuse_assertions
        self._new_id = new_id
        self._issued: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def assertion(self, client_id: str, audience: str, now: float) -> str:
        """A signed assertion for ``client_id`` at ``audience``, fresh or reused."""
        key = (client_id, audience)
        with self._lock:
            held = self._issued.get(key)
            if self._reuse and held is not None and now < held[1] - REUSE_MARGIN:
                return held[0]
            issued_at = int(now)
            expires = issued_at + self._lifetime
            token = self._signer.sign({
                "aud": audience, "iss": client_id, "sub": client_id, "jti": self._new_id(),
                "iat": issued_at, "nbf": issued_at, "exp": expires,
            })
            if self._reuse:
                self._issued[key] = (token, float(expires))
            return token

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """``client_assertion_type`` and ``client_assertion`` (RFC 7523 §2.2)."""
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(client_id, token_endpoint, now)}


class CertificateOptions(TypedDict, total=False):
    """Keyword options shared by the ``CertificateCredential`` constructors."""

    algorithm: Algorithm
    send_x5c: bool
    assertion_lifetime: int
    reuse_assertions: bool


def _password(password: str | bytes | None) -> bytes | None:
    return password.encode("utf-8") if isinstance(password, str) else password


class CertificateCredential:
    """An RSA key and its X.509 certificate, used for ``private_key_jwt`` (RFC 7523 §2.2).

    ``algorithm="PS256"`` puts ``x5t#S256`` (SHA-256 thumbprint) in the header, as Entra's
    current documentation and MSAL do; ``"RS256"`` puts ``x5t`` (SHA-1), as older MSAL,
    azure-identity and ADAL do. ``send_x5c=True`` adds the certificate as ``x5c`` (needed
    by Entra's subject-name/issuer authentication; Credo never trusts it to pick a key).
    """

    def __init__(self, private_key: rsa.RSAPrivateKey, certificate: x509.Certificate, *,
                 algorithm: Algorithm = "PS256", send_x5c: bool = False,
                 assertion_lifetime: int = 600, reuse_assertions: bool = True) -> None:
        if algorithm not in ("PS256", "RS256"):
            raise ValueError(f"algorithm must be 'PS256' or 'RS256', not {algorithm!r}")
        _check_pair(private_key, certificate)
        prints = certs.thumbprints(certificate)
        header: dict[str, object] = {"typ": "JWT"}
        if algorithm == "PS256":
            header["x5t#S256"] = prints.x5t_s256
        else:
            header["x5t"] = prints.x5t
        if send_x5c:
            header["x5c"] = x5c(certificate)
        self.certificate = certificate
        self.algorithm: Algorithm = algorithm
        self.thumbprint = prints.sha1_hex
        self._assertions = AssertionCredential(
            Signer(algorithm, private_key, header), assertion_lifetime=assertion_lifetime,
            reuse_assertions=reuse_assertions)

    @classmethod
    def from_files(cls, cert_path: StrPath, key_path: StrPath | None = None, *,
                   password: str | bytes | None = None,
                   **options: Unpack[CertificateOptions]) -> CertificateCredential:
        """Load a PEM certificate and key (one file or two), or a ``.pfx``/``.p12`` file."""
        key, cert = certs.load_credential_files(
            Path(cert_path), Path(key_path) if key_path is not None else None,
            _password(password))
        return cls(key, cert, **options)

    @classmethod
    def from_pfx(cls, path: StrPath, password: str | bytes | None, **options: Unpack[
            CertificateOptions]) -> CertificateCredential:
        """Load a PKCS#12 (PFX) file holding the key and its certificate (RFC 7292)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CertificateError(f"cannot read {path}: {exc.strerror or exc}") from exc
        key, cert = certs.load_pkcs12(data, _password(password))
        return cls(key, cert, **options)

    def assertion(self, client_id: str, token_endpoint: str, now: float) -> str:
        """The signed client assertion for ``token_endpoint`` (reused until near expiry)."""
        return self._assertions.assertion(client_id, token_endpoint, now)

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """``client_assertion_type`` and ``client_assertion`` (RFC 7523 §2.2)."""
        return self._assertions.form_fields(client_id, token_endpoint, now)

    def __repr__(self) -> str:
        return (f"CertificateCredential(thumbprint={self.thumbprint!r}, "
                f"algorithm={self.algorithm!r})")


def x5c(certificate: x509.Certificate) -> list[str]:
    """The ``x5c`` header value: standard base64 of the DER certificate (RFC 7515 §4.1.6)."""
    return [base64.b64encode(certs.certificate_der(certificate)).decode("ascii")]


def _check_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """Eager validation: an RSA key of at least 2048 bits that matches the certificate."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError("only RSA private keys can sign client assertions")
    if key.key_size < certs.MIN_RSA_BITS:
        raise CertificateError(f"RSA key size {key.key_size} is less than the minimum "
                               f"required {certs.MIN_RSA_BITS} bits")
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != key.public_key().public_numbers()):
        raise CertificateError("the private key does not match the certificate")


class ClientSecret:
    """A client secret, sent as ``client_secret`` in the body (RFC 6749 §2.3.1), like MSAL."""

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str) or not secret:
            raise ValueError("the client secret must be a non-empty string")
        self._secret = secret

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """``client_secret``; the other arguments are not needed for a secret."""
        return {"client_secret": self._secret}

    def __repr__(self) -> str:
        return "ClientSecret(***)"
