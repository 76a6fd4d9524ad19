"""Property-based fuzzing of the management API from its own OpenAPI document (Schemathesis).

Every ``/v1.0`` operation (the escalation matrix's list, which equals the document's) is
called in-process with path and query parameters and bodies Schemathesis generates from the
document: valid ones, and as often ones the document refuses. Half the time each path
parameter is replaced by an object that exists in the caller's tenant or in another one
(an application, service principal, assignment, user, delegated grant, directory role,
tenant), so the calls get past the lookup into the rules and the manifest parser. Callers:
the operator (the strongest, reaching the deepest code) and a tenant's admin app. For each
call:

* never a 5xx;
* a refusal (4xx) changed nothing: every table but the audit log, replay records and
  throttle counters is the same after the call as before (``fuzzing.Tables``);
* the response conforms to the document as far as Schemathesis checks it (status code
  documented, content type, JSON body and headers against their schemas), and a request
  the document refuses is refused (``negative_data_rejection``).

``FAST`` examples per (operation, caller) run in the fast suite, ``SLOW`` under
``@pytest.mark.slow``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from credo import certs
from credo.manifest import application_to_json
from credo.model import DIRECTORY_ROLE_TEMPLATES, TenantId
from credo.service.management.policy import MANAGEMENT_APP_ID
from credo.service.runtime import Services
from hostile_jws import JSON_VALUES

from .conftest import api_manifest, call, onboard, unique_domain
from .fuzzing import Tables, fuzz_settings, raw_headers
from .test_escalation_matrix import ALLOWED

FAST = 3
SLOW = 20
CALLERS = ("operator", "tenant admin")
OPERATIONS = sorted(ALLOWED)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, negative_data_rejection]
T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]
MANIFEST_OPERATIONS = {("POST", "/applications"), ("PATCH", "/applications/{app_ref}")}
TRICKY_TEXT = st.sampled_from(["\u202egnp.exe", "a\x00b", "\ufeffAdmin", "Con\u200btoso",
                               "\u2066x\u2069", "\ud800", "\udfff\ud800", "\t", " ", ""])
HOSTILE_JSON = JSON_VALUES | TRICKY_TEXT | st.text(st.characters(codec="utf-8"), max_size=20)
"""Hostile members: JSON of every type and size, and text a display name must refuse
(bidirectional overrides, NUL, zero-width characters, lone surrogates)."""
_DROPPED_HEADERS = frozenset({"authorization", "host", "content-length", "connection",
                              "transfer-encoding", "accept-encoding"})


@dataclass
class Fuzz:
    """The deployment, the document, the callers' headers and the tenants they act in, and
    what path parameters can name (with the write count it was read at)."""

    services: Services
    client: httpx.AsyncClient
    schema: Any
    headers: dict[str, dict[str, str]]
    tenants: dict[str, str]
    operator_in: dict[str, dict[str, str]]
    tables: Tables
    strategies: dict[tuple[str, str], st.SearchStrategy[Any]] = field(default_factory=dict)
    named: tuple[int, dict[str, list[str]]] = (-1, {})

    async def targets(self) -> dict[str, list[str]]:
        """What path parameters can name, read again only after a write."""
        if self.named[0] != self.tables.writes:
            self.named = (self.tables.writes, await _targets(self))
        return self.named[1]

    def strategy(self, operation: tuple[str, str]) -> st.SearchStrategy[Any]:
        if operation not in self.strategies:
            method, path = operation
            op = self.schema[path][method]
            self.strategies[operation] = st.one_of(
                op.as_strategy(generation_mode=GenerationMode.POSITIVE),
                op.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        return self.strategies[operation]


@pytest.fixture(scope="module")
async def fuzz(services: Services, client: httpx.AsyncClient,
               operator: dict[str, str]) -> AsyncIterator[Fuzz]:
    spec = (await client.get("/v1.0/openapi.json")).json()
    admin = await onboard(client, services, unique_domain("fuzz"))
    bootstrap = services.settings.bootstrap_tenant
    f = Fuzz(services, client, schemathesis.openapi.from_dict(spec),
             {"operator": operator, "tenant admin": admin.admin},
             {"operator": bootstrap, "tenant admin": admin.tenant_id},
             {bootstrap: operator, admin.tenant_id: admin.operator}, Tables(services))
    yield f
    f.tables.close()


# -- objects to aim at ------------------------------------------------------------------

async def _victim_api(f: Fuzz, headers: dict[str, str]) -> None:
    """An API with a role and a scope, granted (both ways) to a daemon with a certificate and
    a secret: something for the application, principal, assignment and grant parameters."""
    tag = uuid.uuid4().hex[:8]
    api = await call(f.client, "POST", "/applications", headers,
                     api_manifest(f"Fuzz API {tag}", f"api://fuzz-{tag}"), expect=201)
    daemon = await call(f.client, "POST", "/applications", headers,
                        {"displayName": f"Fuzz daemon {tag}"}, expect=201)
    _, cert = certs.create_self_signed("CN=fuzz", datetime.now(UTC),
                                       datetime.now(UTC) + timedelta(days=30), 2048)
    der = base64.b64encode(certs.certificate_der(cert)).decode()
    await call(f.client, "POST", f"/applications/{daemon['id']}/addKey", headers, {
        "keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": der}},
        expect=200)
    await call(f.client, "POST", f"/applications/{daemon['id']}/addPassword", headers, {},
               expect=200)
    api_sp, daemon_sp = [await call(f.client, "GET", f"/servicePrincipals(appId='{a['appId']}')",
                                    headers, expect=200) for a in (api, daemon)]
    await call(f.client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
               headers, {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                         "appRoleId": api["appRoles"][0]["id"]}, expect=201)
    await call(f.client, "POST", "/oauth2PermissionGrants", headers, {
        "clientId": daemon_sp["id"], "consentType": "AllPrincipals",
        "resourceId": api_sp["id"], "scope": "Thing.Use"}, expect=201)


async def _victim_user(f: Fuzz, tenant_id: str, headers: dict[str, str]) -> None:
    domain = (await f.services.directory.tenant(tenant_id)).default_domain
    await call(f.client, "POST", "/users", headers, {
        "displayName": "Fuzz user", "userPrincipalName": f"u{uuid.uuid4().hex[:8]}@{domain}",
        "passwordProfile": {"password": "Fuzz password 1!"}}, expect=201)


async def _replenish(f: Fuzz) -> None:
    """Victims (again) in both tenants when the fuzzer deleted the last ones."""
    for tenant_id, headers in f.operator_in.items():
        tenant = await f.services.directory.tenant(tenant_id)
        apis = [a for a in await f.services.directory.applications(tenant)
                if a.display_name.startswith("Fuzz API")]
        if not apis or not await f.services.store.flows.delegated_grants(TenantId(tenant_id)):
            await _victim_api(f, headers)
        if not await f.services.store.users.users(TenantId(tenant_id)):
            await _victim_user(f, tenant_id, headers)


async def _targets(f: Fuzz) -> dict[str, list[str]]:
    """Every value a path parameter could name, from both tenants."""
    d = f.services.directory
    names: dict[str, list[str]] = {
        "tenant": [], "app_ref": [], "app_id": [], "sp_id": [], "assignment_id": [],
        "ref": [], "user_id": [], "grant_id": [],
        "role_id": [*DIRECTORY_ROLE_TEMPLATES.values(), *DIRECTORY_ROLE_TEMPLATES]}
    for tenant_id in f.operator_in:
        tenant = await d.tenant(tenant_id)
        names["tenant"] += [tenant.id, tenant.default_domain]
        for app in await d.applications(tenant):
            names["app_ref"] += [app.id, app.app_id]
            names["app_id"].append(app.app_id)
        for sp in await d.service_principals(tenant):
            names["sp_id"].append(sp.id)
            names["assignment_id"] += [a.id for a, _, _ in await d.named_assignments(sp, to=True)]
        for user in await f.services.store.users.users(TenantId(tenant_id)):
            names["ref"] += [user.id, user.user_principal_name]
            names["user_id"].append(user.id)
        names["grant_id"] += [g.id for g in
                              await f.services.store.flows.delegated_grants(TenantId(tenant_id))]
    return names


# -- one call ---------------------------------------------------------------------------

def _request(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The case as httpx arguments, authenticated as the caller (Schemathesis's own
    ``Authorization``, or its absence, would stop every call at the 401)."""
    kwargs = case.as_transport_kwargs(base_url="https://login.credo.test/v1.0")
    sent = {k: v for k, v in kwargs["headers"].items() if k.lower() not in _DROPPED_HEADERS}
    request: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"],
                               "params": kwargs.get("params"),
                               "headers": raw_headers({**sent, **headers})}
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
    elif "data" in kwargs:  # a body that is not JSON (the document has JSON bodies only)
        request["content"] = kwargs["data"]
    return request


def _choose(draw: Draw, items: Sequence[T]) -> T:
    """One of ``items``; not ``sampled_from``, whose definition would change with them."""
    return items[draw(st.integers(0, 1 << 16)) % len(items)]


async def _aim(f: Fuzz, case: Any, draw: Draw) -> None:
    """Half the time, a path parameter names an object that exists."""
    if not case.path_parameters or case.meta.is_negative_at(ParameterLocation.PATH):
        return
    targets = await f.targets()
    for name in list(case.path_parameters):
        if targets.get(name) and draw(st.booleans()):
            case.path_parameters[name] = _choose(draw, targets[name])


def _replace_one(doc: Any, draw: Draw) -> Any:
    """``doc`` with one member, at any depth, replaced by hostile JSON or text."""
    node = doc
    while True:
        key = _choose(draw, list(node) if isinstance(node, dict) else range(len(node)))
        if isinstance(node[key], dict | list) and node[key] and draw(st.booleans()):
            node = node[key]
            continue
        node[key] = draw(HOSTILE_JSON)
        return doc


async def _manifest(f: Fuzz, case: Any, operation: tuple[str, str], caller: str,
                    draw: Draw) -> None:
    """Half the time, a manifest body is an existing application's manifest with one
    member replaced, so the call reaches each member's rules and the database write."""
    if operation not in MANIFEST_OPERATIONS or case.meta.is_negative_at(
            ParameterLocation.BODY) or not draw(st.booleans()):
        return
    tenant = await f.services.directory.tenant(f.tenants[caller])
    builtins = {MANAGEMENT_APP_ID, f.services.settings.operator_app_id}
    apps = [a for a in await f.services.directory.applications(tenant)
            if a.app_id not in builtins]
    if not apps:
        return
    app = _choose(draw, apps)
    doc = application_to_json(app, include_keys=draw(st.booleans()))
    if "app_ref" in case.path_parameters:
        case.path_parameters["app_ref"] = app.id
    else:
        doc = {k: v for k, v in doc.items() if k not in ("id", "appId", "createdDateTime")}
    case.body = _replace_one(json.loads(json.dumps(doc)), draw)


async def _check_call(f: Fuzz, operation: tuple[str, str], caller: str,
                      draw: Draw) -> None:
    if f.named[0] != f.tables.writes:  # something was written: maybe deleted
        await _replenish(f)
    case = draw(f.strategy(operation))
    await _aim(f, case, draw)
    await _manifest(f, case, operation, caller, draw)
    before = await f.tables.read()
    response = await f.client.request(**_request(case, f.headers[caller]))
    assert response.status_code < 500, (response.status_code, response.text)
    if 400 <= response.status_code < 500:
        assert await f.tables.read() == before, (response.status_code, response.text)
    # A case whose negated part was Authorization is sent with the caller's: not negative.
    auth_replaced = case.meta.is_negative_at(ParameterLocation.HEADER)
    case.validate_response(response, checks=[
        c for c in CHECKS if not (auth_replaced and c is negative_data_rejection)])


def _fuzzer(examples: int) -> Callable[..., Awaitable[None]]:
    @fuzz_settings(examples)
    @given(data=st.data())
    async def run(fuzz: Fuzz, operation: tuple[str, str], caller: str,
                  data: st.DataObject) -> None:
        await _check_call(fuzz, operation, caller, data.draw)
    return run


PARAMS = pytest.mark.parametrize(("operation", "caller"),
                                 [(op, c) for op in OPERATIONS for c in CALLERS],
                                 ids=[f"{m} {p} as {c}" for m, p in OPERATIONS for c in CALLERS])
test_management_api = PARAMS(_fuzzer(FAST))
test_management_api_at_length = pytest.mark.slow(PARAMS(_fuzzer(SLOW)))

