"""Hypothesis fuzzing of the token endpoint: its form parsing and its JWS parsing, over HTTP.

Requests are POSTed in-process to ``/{tenant}/oauth2[/v2.0]/token`` with:

* bodies of random bytes, or forms of known and unknown parameters with random values,
  repeated parameters included, percent-encoded or not;
* any ``Content-Type`` (the form type with and without a charset, JSON, XML, multipart,
  none, garbage), ``Authorization`` headers (Basic of anything, other schemes) and query
  strings carrying credentials;
* client assertions signed with the registered certificate's key, whose header and claims
  are a valid assertion's with members replaced by hostile JSON (``"alg": ["RS256"]``,
  ``{"RS256": 1}``, integers up to 10^500, NaN, nesting, strings of any kind) or removed,
  or whose segments are JSON texts Python's ``json`` reads oddly (5,000 digits, deep
  nesting, duplicate names, lone surrogates) or not JSON at all.

For each request: never a 5xx; a refusal has Entra's error body (``error``,
``error_description`` = ``AADSTSnnnn: …``, ``error_codes`` …) and wrote nothing
(``fuzzing.Tables``); a 200 holds an access token. ``FAST`` examples per fuzzer in the fast
suite, ``SLOW`` under ``@pytest.mark.slow``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from credo import certs, jose
from credo.model import AppRole, Tenant
from credo.service.runtime import Services, close_services
from hostile_jws import HOSTILE_TEXTS, JSON_VALUES
from support import ASSERTION_TYPE, make_services

from .fuzzing import Tables, fuzz_settings, raw_headers

FAST = 100
SLOW = 800
FORM = "application/x-www-form-urlencoded"
ERROR_KEYS = {"error", "error_description", "error_codes", "timestamp", "trace_id",
              "correlation_id", "error_uri"}
NAMES = ("grant_type", "client_id", "scope", "resource", "client_assertion",
         "client_assertion_type", "client_secret", "code", "redirect_uri", "code_verifier",
         "refresh_token", "claims", "client_info", "username", "password", "assertion")
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token", "password",
               "urn:ietf:params:oauth:grant-type:jwt-bearer", "Client_Credentials", "")
ALGS = (["RS256"], ["PS256", "RS256"], {"RS256": 1}, "none", "HS256", "rs256", "RS256\x00",
        "ES256", 256, None, True, "")
"""``alg`` values of every JSON type: the type confusion that once answered 500."""
HEADER_NAMES = ("alg", "typ", "x5t", "x5t#S256", "kid", "crit", "x5c", "jku", "jwk", "cty",
                "zip", "b64")
CLAIM_NAMES = ("aud", "iss", "sub", "jti", "iat", "nbf", "exp", "tid", "azp", "scp")
DELETE = object()

UNTHROTTLED = {"CREDO_TOKEN_CLIENT_FAILURES": "1000000",
               "CREDO_TOKEN_TENANT_FAILURES": "10000000"}


@pytest.fixture(scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    """This module's own deployment, with the token endpoint's failure budgets out of the
    way: the fuzzer fails on purpose far more often than a budget allows (the limits have
    their own tests)."""
    deployment = await make_services(tmp_path_factory.mktemp("credo-fuzz"), env=UNTHROTTLED)
    yield deployment
    await close_services(deployment)


@dataclass
class World:
    services: Services
    http: httpx.AsyncClient
    tables: Tables
    tenant: Tenant
    strict: Tenant
    api_uri: str
    app_id: str
    strict_app_id: str
    secret: str
    key: rsa.RSAPrivateKey
    x5t: str
    x5t_s256: str

    def url(self, tenant: str, version: int) -> str:
        path = "oauth2/v2.0/token" if version == 2 else "oauth2/token"
        return f"{self.services.settings.base_url}/{tenant}/{path}"

    def audience(self, tenant: Tenant, version: int) -> str:
        """What a valid assertion's ``aud`` is: the issuer for a strict tenant."""
        if tenant.profile == "strict":
            return f"{self.services.settings.base_url}/{tenant.id}/v2.0"
        return self.url(tenant.id, version)


@pytest.fixture(scope="module")
async def world(services: Services, client: httpx.AsyncClient) -> AsyncIterator[World]:
    d = services.directory
    suffix = uuid.uuid4().hex[:6]
    tenant = await d.create_tenant(f"fuzz-{suffix}.test")
    strict = await d.create_tenant(f"fuzz-strict-{suffix}.test", profile="strict")
    now = datetime.now(UTC)
    key, cert = certs.create_self_signed("CN=fuzz", now - timedelta(days=1),
                                         now + timedelta(days=30))
    role = AppRole(str(uuid.uuid4()), "Thing.Read", "Read things")
    ids = []
    for home in (tenant, strict):
        api, _ = await d.create_application(home, "Fuzz API", app_roles=(role,),
                                            identifier_uris=[f"api://fuzz-{suffix}"
                                                             f"{'-s' if home is strict else ''}"])
        daemon, daemon_sp = await d.create_application(home, "Fuzz daemon")
        daemon = await d.add_key(daemon, certs.key_credential(cert, key_id=str(uuid.uuid4())))
        await d.grant(home, daemon_sp, await d.service_principal(home, api.app_id), role.id)
        ids.append(daemon)
    daemon, _, secret = await d.add_password(ids[0], display_name="fuzz")
    prints = certs.thumbprints(cert)
    w = World(services, client, Tables(services), tenant, strict, f"api://fuzz-{suffix}",
              daemon.app_id, ids[1].app_id, secret, key, prints.x5t, prints.x5t_s256)
    yield w
    w.tables.close()


# -- client assertions ------------------------------------------------------------------

def _segment(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return jose.b64url_encode(text.encode("utf-8", "surrogatepass"))


def _signed(key: rsa.RSAPrivateKey, header: Any, claims: Any, pss: bool) -> str:
    """A compact JWS over exactly these segments, whatever they hold."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    pad = (padding.PSS(padding.MGF1(hashes.SHA256()), 32) if pss else padding.PKCS1v15())
    signature = key.sign(signing_input.encode("ascii"), pad, hashes.SHA256())
    return f"{signing_input}.{jose.b64url_encode(signature)}"


@dataclass(frozen=True)
class Later:
    """A time ``seconds`` from now (drawn as an offset: a strategy must not read the clock)."""

    seconds: float


def _mutated(base: dict[str, Any], changes: dict[str, Any], now: float) -> dict[str, Any]:
    out = dict(base)
    for name, value in changes.items():
        if value is DELETE:
            out.pop(name, None)
        else:
            out[name] = now + value.seconds if isinstance(value, Later) else value
    return out


HOSTILE = JSON_VALUES | st.just(DELETE)


@st.composite
def assertions(draw: st.DrawFn, w: World, tenant: Tenant, client_id: str,
               audience: str) -> str:
    """A signed client assertion with a hostile header or hostile claims."""
    pss = tenant.profile == "strict"
    now = time.time()
    header: Any = {"alg": "PS256" if pss else "RS256", "typ": "JWT", "x5t": w.x5t,
                   "x5t#S256": w.x5t_s256}
    claims: Any = {"aud": audience, "iss": client_id, "sub": client_id,
                   "jti": str(uuid.uuid4()), "iat": int(now), "nbf": int(now),
                   "exp": int(now) + 300}
    header = _mutated(header, draw(st.just({}) | st.dictionaries(
        st.sampled_from(HEADER_NAMES), st.sampled_from(ALGS) | HOSTILE, min_size=1,
        max_size=3)), now)
    claims = _mutated(claims, draw(st.just({}) | st.dictionaries(
        st.sampled_from(CLAIM_NAMES), HOSTILE | st.builds(Later, st.floats(-4000, 4000)),
        min_size=1, max_size=3)), now)
    header = draw(mostly(st.just(header), HOSTILE_TEXTS))
    claims = draw(mostly(st.just(claims), HOSTILE_TEXTS))
    token = _signed(w.key, header, claims, draw(st.booleans()) if not pss else True)
    cut = draw(mostly(st.none(), st.integers(0, 1 << 16)))  # not len(token): it varies
    return token if cut is None else token[:cut % (len(token) + 1)]


# -- forms ------------------------------------------------------------------------------

def _encode(pairs: list[tuple[str, str]], raw: bool) -> bytes:
    if raw:
        return "&".join(f"{n}={v}" for n, v in pairs).encode("utf-8", "surrogatepass")
    return urlencode(pairs, quote_via=quote).encode("ascii")


@st.composite
def forms(draw: st.DrawFn, w: World, tenant: Tenant, version: int) -> bytes:
    """Parameters of a token request: a credential, then random and repeated extras."""
    client_id = w.strict_app_id if tenant is w.strict else w.app_id
    scope = f"{w.api_uri}{'-s' if tenant is w.strict else ''}/.default"
    pairs = [("grant_type", draw(mostly(st.just("client_credentials"),
                                        st.sampled_from(GRANT_TYPES)))),
             ("client_id", draw(mostly(st.just(client_id), st.sampled_from(
                 [str(uuid.uuid4()), w.app_id, w.strict_app_id])))),
             ("scope" if version == 2 else "resource",
              draw(st.sampled_from([scope, scope.removesuffix("/.default"), "openid"])))]
    credential = draw(mostly(st.just("assertion"), st.sampled_from(["secret", "none"])))
    if credential == "assertion":
        pairs += [("client_assertion_type", ASSERTION_TYPE), ("client_assertion", draw(
            assertions(w, tenant, client_id, w.audience(tenant, version))))]
    elif credential == "secret":
        pairs.append(("client_secret", draw(st.sampled_from([w.secret, w.secret[:-1]]))))
    extras = st.tuples(st.sampled_from(NAMES) | st.text(max_size=10),
                       st.text(max_size=30) | st.sampled_from([ASSERTION_TYPE, w.secret]))
    pairs += draw(mostly(st.just([]), st.lists(extras, max_size=4)))
    pairs = draw(st.permutations(pairs))
    return _encode(pairs, raw=draw(mostly(st.just(False), st.just(True))))


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` nine times in ten, so most requests get past the first checks."""
    return st.integers(0, 9).flatmap(lambda i: odd if i == 0 else usual)


CONTENT_TYPES = mostly(
    st.sampled_from([FORM, f"{FORM}; charset=utf-8",
                     "APPLICATION/X-WWW-FORM-URLENCODED;charset=UTF-8"]),
    st.sampled_from(["application/json", "application/xml", "text/xml",
                     "multipart/form-data; boundary=x", "text/plain", ""])
    | st.none() | st.text(max_size=40))
AUTHORIZATIONS = mostly(st.none(), st.text(max_size=40) | st.binary(max_size=40).map(
    lambda b: "Basic " + base64.b64encode(b).decode("ascii")))


@st.composite
def requests(draw: st.DrawFn, w: World) -> dict[str, Any]:
    """One token request: path, headers, query and body."""
    tenant = draw(st.sampled_from([w.tenant, w.strict]))
    version = draw(st.sampled_from([1, 2]))
    segment = draw(mostly(st.sampled_from([tenant.id, tenant.default_domain]),
                          st.sampled_from(["common", "organizations"])
                          | st.text("abc-.%", max_size=12)))
    body = draw(mostly(forms(w, tenant, version), st.binary(max_size=300)))
    headers = {"content-type": draw(CONTENT_TYPES), "authorization": draw(AUTHORIZATIONS)}
    query = draw(mostly(st.just(""), st.lists(
        st.tuples(st.sampled_from(NAMES), st.text(max_size=8)), max_size=2).map(urlencode)))
    url = f"/{quote(segment, safe='')}/oauth2/{'v2.0/' if version == 2 else ''}token"
    return {"method": "POST", "url": f"{url}?{query}" if query else url, "content": body,
            "headers": raw_headers({k: v for k, v in headers.items() if v is not None})}


async def check_token_call(w: World, request: dict[str, Any]) -> None:
    before = await w.tables.read()
    response = await w.http.request(**request)
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body["access_token"], str), body
        return
    assert set(body) == ERROR_KEYS, body
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: "), body
    assert await w.tables.read() == before, body


def _fuzzer(examples: int) -> Callable[..., Awaitable[None]]:
    @fuzz_settings(examples)
    @given(data=st.data())
    async def run(world: World, data: st.DataObject) -> None:
        await check_token_call(world, data.draw(requests(world)))
    return run


test_token_endpoint = _fuzzer(FAST)
test_token_endpoint_at_length = pytest.mark.slow(_fuzzer(SLOW))


def _form(w: World, header: dict[str, Any], claims: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    base = {"aud": w.url(w.tenant.id, 2), "iss": w.app_id, "sub": w.app_id,
            "jti": str(uuid.uuid4()), "iat": now, "exp": now + 300}
    return {"grant_type": "client_credentials", "client_id": w.app_id,
            "scope": f"{w.api_uri}/.default", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _signed(w.key, {"alg": "RS256", "typ": "JWT", "x5t": w.x5t,
                                                **header}, {**base, **claims}, pss=False)}


async def _refused(w: World, request: dict[str, Any], status: int, code: int,
                   description: str) -> None:
    """Entra's whole error body, and nothing written."""
    before = await w.tables.read()
    response = await w.http.request(**request)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["error_codes"] == [code], body
    assert body["error_description"].startswith(f"AADSTS{code}: {description} Trace ID: ")
    assert await w.tables.read() == before


def _post(w: World, form: dict[str, str], content_type: str | None) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type is not None else {}
    return {"method": "POST", "url": f"/{w.tenant.id}/oauth2/v2.0/token",
            "content": urlencode(form).encode(), "headers": headers}


@pytest.mark.parametrize("alg", ALGS, ids=[json.dumps(a) for a in ALGS])
async def test_alg_of_any_json_type_is_aadsts50027(world: World, alg: Any) -> None:
    """Finding 6: ``"alg": ["RS256"]`` answered 500 (``in`` on a frozenset hashes it)."""
    await _refused(world, _post(world, _form(world, {"alg": alg}, {}), FORM), 401, 50027,
                   "Invalid JWT token. The 'alg' header parameter must be RS256 or PS256.")


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
async def test_a_time_too_large_for_a_float_is_aadsts50027(world: World, name: str) -> None:
    """A signed assertion with ``"exp": 10**400`` overflowed ``math.isfinite`` (500)."""
    await _refused(world, _post(world, _form(world, {}, {name: 10**400}), FORM), 401, 50027,
                   f"Invalid JWT token. The '{name}' claim must be a NumericDate.")


@pytest.mark.parametrize("where", ["iss", "kid"])
async def test_a_lone_surrogate_in_an_assertion_is_aadsts50027(world: World,
                                                               where: str) -> None:
    """``"iss": "\\ud800"`` (no ``client_id`` parameter) reached the client lookup as text
    SQLite cannot encode (500); the JWS parser now refuses it (RFC 7493 §2.1)."""
    header, claims = ({"kid": "\ud800"}, {}) if where == "kid" else (
        {}, {"iss": "\ud800", "sub": "\ud800"})
    form = {k: v for k, v in _form(world, header, claims).items() if k != "client_id"}
    await _refused(world, _post(world, form, FORM), 401, 50027,
                   "Invalid JWT token. The client assertion is not a well-formed JWS in "
                   "compact serialization.")


NOT_FORMS = ["application/json", "application/xml", "text/xml",
             "multipart/form-data; boundary=x", "text/plain", "application/x-www-form", ""]


@pytest.mark.parametrize("content_type", [*NOT_FORMS, None], ids=[*NOT_FORMS, "absent"])
async def test_only_a_form_is_read(world: World, content_type: str | None) -> None:
    """The token endpoint ignored Content-Type and parsed any body as a form."""
    form = _form(world, {}, {})
    sent = content_type or "none"
    await _refused(world, _post(world, form, content_type), 400, 900144,
                   "The request body must contain the following parameter: 'grant_type'. A "
                   "token request is sent as application/x-www-form-urlencoded, not as "
                   f"'{sent}'.")


@pytest.mark.parametrize("content_type", [FORM, f"{FORM}; charset=utf-8",
                                          "Application/X-WWW-Form-URLEncoded ; charset=UTF-8"])
async def test_the_form_type_is_read_with_any_case_and_charset(world: World,
                                                               content_type: str) -> None:
    response = await world.http.request(**_post(world, _form(world, {}, {}), content_type))
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
