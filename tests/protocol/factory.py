"""Test data for the pure protocol: real RSA certificates and a client-assertion factory.

Keys are generated once per session (RSA generation is slow). Assertions are signed by
hand so that tests can send any header, padding or claim a real client might.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from credo.model import (
    AppId,
    Application,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    Profile,
    ServicePrincipal,
    Tenant,
    TenantId,
)
from credo.protocol import metadata
from credo.protocol.client_auth import (
    METHODS,
    AuthContext,
    AuthenticatedClient,
    Presented,
    detect,
)
from credo.protocol.forms import TokenRequest, parse_token_request
from credo.protocol.profiles import PROFILES

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
NOW_DT = datetime.fromtimestamp(NOW, UTC)
BASE = "https://login.credo.test"
TID = TenantId("3f0c1b5e-8d1a-4c52-9b7e-2a6d4e8f9a10")
DOMAIN = "contoso.example"
APP_ID = AppId("6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b")
TENANT = Tenant(id=TID, domains=(DOMAIN,), display_name="Contoso")
STRICT_TENANT = replace(TENANT, profile="strict")
V2_URL = f"{BASE}/{TID}/oauth2/v2.0/token"
V1_URL = f"{BASE}/{TID}/oauth2/token"
PEPPER = b"pepper"
SECRET = "Ab3~x.y_z-0123456789abcdefghijklmnopqrs"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def hasher(secret: str) -> bytes:
    return hmac.new(PEPPER, secret.encode(), hashlib.sha256).digest()


def b64url(data: bytes, *, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


def seg(value: Any, *, pad: bool = False, spaces: bool = False) -> str:
    separators = (", ", ": ") if spaces else (",", ":")
    return b64url(json.dumps(value, separators=separators).encode(), pad=pad)


@dataclass(frozen=True)
class Cert:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    der: bytes

    @property
    def sha1(self) -> bytes:
        return hashlib.sha1(self.der).digest()

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    def x5t(self, *, pad: bool = False) -> str:
        return b64url(self.sha1, pad=pad)

    def x5t_s256(self, *, pad: bool = False) -> str:
        return b64url(self.sha256, pad=pad)

    def credential(self, *, start: datetime | None = None,
                   end: datetime | None = None, key_id: str = "k") -> KeyCredential:
        return KeyCredential(key_id=key_id, der=self.der, sha1=self.sha1, sha256=self.sha256,
                             start=start or NOW_DT - timedelta(days=1),
                             end=end or NOW_DT + timedelta(days=365))


def make_cert(key: rsa.RSAPrivateKey, name: str) -> Cert:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW_DT - timedelta(days=2))
            .not_valid_after(NOW_DT + timedelta(days=400))
            .sign(key, hashes.SHA256()))
    return Cert(key, cert, cert.public_bytes(serialization.Encoding.DER))


def sign(cert: Cert | None, header: Mapping[str, Any], claims: Mapping[str, Any], *,
         pad: bool = False, spaces: bool = False, hmac_key: bytes | None = None) -> str:
    """A compact JWS signed per ``header["alg"]``; unknown algs get a dummy signature."""
    signing_input = f"{seg(header, pad=pad, spaces=spaces)}.{seg(claims, pad=pad, spaces=spaces)}"
    alg = header.get("alg")
    data = signing_input.encode()
    if hmac_key is not None:
        signature = hmac.new(hmac_key, data, hashlib.sha256).digest()
    elif cert is not None and alg == "RS256":
        signature = cert.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif cert is not None and alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = cert.key.sign(data, pss, hashes.SHA256())
    else:
        signature = b"\x00" * 256
    return f"{signing_input}.{b64url(signature, pad=pad)}"


@dataclass(frozen=True)
class Pki:
    """Two certificates: ``a`` registered on the app, ``b`` not (unless a test adds it)."""

    a: Cert
    b: Cert
    app: Application = field(init=False)

    def __post_init__(self) -> None:
        app = Application(id=ObjectId("obj-client"), app_id=APP_ID, tenant_id=TID,
                          display_name="Daemon", key_credentials=(self.a.credential(),))
        object.__setattr__(self, "app", app)

    def header(self, **changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"alg": "RS256", "typ": "JWT", "x5t": self.a.x5t()}
        return {k: v for k, v in {**base, **changes}.items() if v is not None}

    def claims(self, **changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"aud": V2_URL, "iss": APP_ID, "sub": APP_ID,
                                "jti": str(uuid.UUID(int=7)), "exp": NOW + 600, "iat": NOW}
        return {k: v for k, v in {**base, **changes}.items() if v is not None}

    def assertion(self, *, header: Mapping[str, Any] | None = None,
                  claims: Mapping[str, Any] | None = None, signer: Cert | None = None,
                  **options: Any) -> str:
        return sign(signer or self.a, self.header() if header is None else header,
                    self.claims() if claims is None else claims, **options)


def body(**params: str) -> bytes:
    return urlencode(params).encode()


def assertion_request(assertion: str, *, client_id: str | None = APP_ID,
                      **extra: str) -> TokenRequest:
    params = {"grant_type": "client_credentials", "client_assertion": assertion,
              "client_assertion_type": JWT_BEARER, "scope": "api://mail/.default", **extra}
    if client_id is not None:
        params["client_id"] = client_id
    return parse_token_request(body(**params), authorization=None, query="")


def context(app: Application, profile: Profile = "entra", *, now: float = NOW) -> AuthContext:
    tenant = STRICT_TENANT if profile == "strict" else TENANT
    return AuthContext(tenant=tenant, application=app,
                       audiences=metadata.assertion_audiences(BASE, tenant, profile),
                       profile=PROFILES[profile], now=now, secret_hasher=hasher)


def authenticate(req: TokenRequest, app: Application, profile: Profile = "entra", *,
                 now: float = NOW) -> AuthenticatedClient:
    """The pipeline's client-authentication steps: detect, then the method's verify."""
    presented: Presented = detect(req)
    return METHODS[presented.method].verify(presented, context(app, profile, now=now))


def secret_app(*creds: PasswordCredential) -> Application:
    return Application(id=ObjectId("obj-secret"), app_id=APP_ID, tenant_id=TID,
                       display_name="Daemon", password_credentials=creds)


def service_principal(app_id: str, *, oid: str = "sp-client", enabled: bool = True,
                      required: bool = True) -> ServicePrincipal:
    return ServicePrincipal(id=ObjectId(oid), app_id=AppId(app_id), tenant_id=TID,
                            display_name=app_id, account_enabled=enabled,
                            app_role_assignment_required=required)
