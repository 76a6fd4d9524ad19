"""A tiny Entra-shaped token service behind ``httpx.MockTransport`` (no sockets).

It verifies every client assertion the way a real server must (RFC 7523 §3): the
algorithm, the thumbprint header against the registered certificate, the signature
(PyJWT), ``aud`` = the token endpoint, ``iss`` = ``sub`` = client id, a 600 s lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.client import CertificateCredential, ConfidentialClient

HOST = "https://login.example.test"
TENANT = "contoso.example"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0b3c5a0e-1f0f-4f0e-9d3c-5a6b7c8d9e0f"
V2_TOKEN = f"{HOST}/{TENANT_ID}/oauth2/v2.0/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NOW = 1_800_000_000.0


class BadSecret(Exception):
    pass


@dataclass
class Pair:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def _pair(name: str) -> Pair:
    start = datetime.now(UTC) - timedelta(days=1)
    key, cert = certs.create_self_signed(f"CN={name}", start, start + timedelta(days=30))
    return Pair(key, cert)


@pytest.fixture(scope="session")
def pair() -> Pair:
    """The client's key and certificate, generated once per test session (RSA is slow)."""
    return _pair("credo client test")


@pytest.fixture(scope="session")
def stranger() -> Pair:
    """A key and certificate the fake server does not know."""
    return _pair("stranger")


@pytest.fixture(scope="session")
def server_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def entra_error(error: str, code: int, text: str, correlation_id: str = "") -> dict[str, Any]:
    trace = str(uuid.uuid4())
    correlation = correlation_id or str(uuid.uuid4())
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace} "
                             f"Correlation ID: {correlation} Timestamp: 2026-11-26 10:00:00Z",
        "error_codes": [code], "timestamp": "2026-11-26 10:00:00Z",
        "trace_id": trace, "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


@dataclass
class FakeEntra:
    """Discovery, v2 and v1 token endpoints; ``queue`` overrides the next token answers.

    The constants are attributes so that test modules need not import this conftest.
    """

    HOST = HOST
    TENANT = TENANT
    TENANT_ID = TENANT_ID
    CLIENT_ID = CLIENT_ID
    V2_TOKEN = V2_TOKEN
    ASSERTION_TYPE = ASSERTION_TYPE
    NOW = NOW
    error = staticmethod(entra_error)

    cert: x509.Certificate
    server_key: rsa.RSAPrivateKey
    secret: str = "s3cret~value"
    token_endpoint: str = V2_TOKEN
    discovery: list[httpx.Request] = field(default_factory=list)
    posts: list[httpx.Request] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    assertions: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    queue: list[httpx.Response | Exception] = field(default_factory=list)
    discovery_answer: Callable[[], httpx.Response] | None = None
    clock: Callable[[], float] = lambda: NOW

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.discovery.append(request)
            if self.discovery_answer is not None:
                return self.discovery_answer()
            tenant = request.url.path.split("/")[1]
            assert request.url.path == f"/{tenant}/v2.0/.well-known/openid-configuration"
            return httpx.Response(200, json={
                "issuer": f"{HOST}/{TENANT_ID}/v2.0",
                "authorization_endpoint": f"{HOST}/{TENANT_ID}/oauth2/v2.0/authorize",
                "token_endpoint": self.token_endpoint,
                "jwks_uri": f"{HOST}/{TENANT_ID}/discovery/v2.0/keys",
            })
        return self._token(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
        form = dict(pairs)
        assert len(form) == len(pairs), "repeated parameter"
        self.forms.append(form)
        if self.queue:
            answer = self.queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        correlation = request.headers.get("client-request-id", "")
        url = str(request.url)
        if request.url.path.split("/")[1] in ("common", "organizations"):
            return httpx.Response(400, json=entra_error(
                "invalid_request", 9001023, "The grant type isn't supported over the /common "
                "or /consumers endpoints. Please use the /organizations or tenant-specific "
                "endpoint.", correlation))
        try:
            method = self._authenticate(form, url)
        except BadSecret:
            return httpx.Response(401, json=entra_error(
                "invalid_client", 7000215, "Invalid client secret provided.", correlation))
        except (jwt.PyJWTError, AssertionError, KeyError) as exc:
            return httpx.Response(401, json=entra_error(
                "invalid_client", 700027, f"Client assertion failed: {exc}", correlation))
        return httpx.Response(200, json=self._success(form, url, method))

    def _authenticate(self, form: dict[str, str], url: str) -> str:
        assert form["grant_type"] == "client_credentials"
        if "client_secret" in form:
            assert "client_assertion" not in form
            if form["client_secret"] != self.secret:
                raise BadSecret
            return "1"
        assert form["client_assertion_type"] == ASSERTION_TYPE
        self.verify(form["client_assertion"], audience=url, client_id=form["client_id"])
        return "2"

    def verify(self, assertion: str, *, audience: str, client_id: str) -> None:
        """RFC 7523 §3 checks with PyJWT; raises on any failure."""
        header = jwt.get_unverified_header(assertion)
        der = certs.certificate_der(self.cert)
        assert header["typ"] == "JWT"
        if header["alg"] == "PS256":
            assert header["x5t#S256"].rstrip("=") == b64url(hashlib.sha256(der).digest())
            assert "x5t" not in header
        elif header["alg"] == "RS256":
            sha1 = hashlib.sha1(der, usedforsecurity=False).digest()
            assert header["x5t"].rstrip("=") == b64url(sha1)
            assert "x5t#S256" not in header
        else:
            raise AssertionError(f"alg {header['alg']}")
        claims = jwt.decode(
            assertion, self.cert.public_key(), algorithms=[header["alg"]], audience=audience,
            issuer=client_id, options={"require": ["exp", "iat", "nbf", "jti", "sub"],
                                       "verify_exp": False, "verify_iat": False,
                                       "verify_nbf": False})
        assert claims["sub"] == client_id
        assert claims["exp"] - claims["iat"] == 600
        assert claims["nbf"] == claims["iat"]
        uuid.UUID(claims["jti"])
        assert claims["iat"] <= self.clock() < claims["exp"]
        self.assertions.append((header, claims))

    def _success(self, form: dict[str, str], url: str, method: str) -> dict[str, Any]:
        now = int(self.clock())
        if url.endswith("/oauth2/token"):  # v1: every number a string
            resource = form["resource"]
            token = self.access_token(resource, now, method, version="1.0")
            return {"token_type": "Bearer", "expires_in": "3599", "ext_expires_in": "3599",
                    "expires_on": str(now + 3599), "not_before": str(now - 300),
                    "resource": resource, "access_token": token}
        resource = form["scope"].rsplit("/", 1)[0]
        token = self.access_token(resource, now, method, version="2.0")
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": token}

    def access_token(self, aud: str, now: int, acr: str, *, version: str) -> str:
        claims = {"aud": aud, "iss": f"{HOST}/{TENANT_ID}/v2.0", "iat": now - 300,
                  "nbf": now - 300, "exp": now + 3600, "tid": TENANT_ID, "azp": CLIENT_ID,
                  "azpacr": acr, "roles": ["Mail.Read"], "idtyp": "app", "ver": version}
        return jose.sign("RS256", self.server_key, {"typ": "JWT", "kid": "k1"}, claims)


class Clock:
    """A settable clock for the client and the fake server."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits the flow drivers would sleep, without sleeping."""
    from credo import httpflow

    waits: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(httpflow, "_sleep", waits.append)
    monkeypatch.setattr(httpflow, "_async_sleep", async_sleep)
    return waits


@pytest.fixture
def entra(pair: Pair, server_key: rsa.RSAPrivateKey, clock: Clock) -> FakeEntra:
    return FakeEntra(pair.cert, server_key, clock=clock)


@pytest.fixture
def http(entra: FakeEntra) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(entra))


@pytest.fixture
def async_http(entra: FakeEntra) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(entra))


@pytest.fixture
def make(pair: Pair, entra: FakeEntra, http: httpx.Client,
         clock: Clock) -> Callable[..., ConfidentialClient]:
    """A ConfidentialClient on the fake server; the credential defaults to ``pair`` (PS256)."""
    def make(credential: Any = None, **kw: Any) -> ConfidentialClient:
        credential = credential or CertificateCredential(kw.pop("key", pair.key), pair.cert)
        kw.setdefault("http_client", http)
        return ConfidentialClient(f"{HOST}/{TENANT}", CLIENT_ID, credential=credential,
                                  clock=clock, **kw)
    return make


@pytest.fixture
def client(make: Callable[..., ConfidentialClient]) -> ConfidentialClient:
    return make()
