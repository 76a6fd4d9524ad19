"""One access-log line and one latency observation per request: the route template (never
the raw path or query), status, correlation id, tenant and client; JSON lines; the metrics'
bounded label sets."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest
from prometheus_client import REGISTRY

from credo import logs, metrics
from credo.service.runtime import Services
from support import operator_token

TOKEN_ROUTE = "/{tenant}/oauth2/v2.0/token"


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "credo.access"]


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_token_request_is_one_line_with_its_tenant_client_and_correlation(
        client: httpx.AsyncClient, services: Services,
        caplog: pytest.LogCaptureFixture) -> None:
    tenant, app_id, correlation = services.settings.bootstrap_tenant, str(uuid.uuid4()), str(
        uuid.uuid4())
    failures = _sample("credo_token_requests_total", grant_type="client_credentials",
                       outcome="failure", aadsts="700016")
    observed = _sample("credo_http_request_duration_seconds_count", route=TOKEN_ROUTE,
                       method="POST", status="400")
    with caplog.at_level(logging.INFO, logger="credo"):
        response = await client.post(
            f"/{tenant}/oauth2/v2.0/token?secret=in-the-query",
            headers={"client-request-id": correlation},
            data={"grant_type": "client_credentials", "client_id": app_id,
                  "client_secret": "s3cret-value", "scope": "api://credo/.default"})
    assert response.status_code == 400
    [line] = _access(caplog)
    assert line.getMessage().startswith(f"POST {TOKEN_ROUTE} 400 ")
    assert {k: getattr(line, k) for k in ("method", "route", "status", "correlation_id",
                                          "tenant", "client_id")} == {
        "method": "POST", "route": TOKEN_ROUTE, "status": 400, "correlation_id": correlation,
        "tenant": tenant, "client_id": ""}  # a client id is logged once it names an app
    assert "in-the-query" not in caplog.text and "s3cret-value" not in caplog.text
    [refusal] = [r for r in caplog.records if r.name == "credo.token"]
    assert refusal.getMessage().startswith("token refused: AADSTS700016 Application with "
                                           f"identifier '{app_id}' was not found")
    assert _sample("credo_token_requests_total", grant_type="client_credentials",
                   outcome="failure", aadsts="700016") == failures + 1
    assert _sample("credo_http_request_duration_seconds_count", route=TOKEN_ROUTE,
                   method="POST", status="400") == observed + 1


async def test_a_secret_sent_as_the_client_id_is_never_written(
        client: httpx.AsyncClient, services: Services,
        caplog: pytest.LogCaptureFixture) -> None:
    """Found by an attacker's probe: client_id and client_secret swapped put the secret in
    the answer, the log and the sign-in log. No client id but a GUID names a client."""
    tenant, secret = services.settings.bootstrap_tenant, "Zq8~" + "s" * 36
    with caplog.at_level(logging.INFO, logger="credo"):
        response = await client.post(f"/{tenant}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": secret,
            "client_secret": "x", "scope": "api://credo/.default"})
    assert response.status_code == 400
    assert response.json()["error_description"].startswith(
        "AADSTS700016: Application with identifier 'Zq8~... (40 characters)' was not found")
    await services.audit.flush()
    [event] = [e for e in await services.store.recent(
        (await services.directory.tenant(tenant)).id, 5) if e.code == 700016][:1]
    assert event.client_id == "Zq8~... (40 characters)"
    assert secret not in caplog.text and secret not in response.text


async def test_a_known_client_is_named(client: httpx.AsyncClient, services: Services,
                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="credo.access"):
        await operator_token(client, services)
    [line] = _access(caplog)
    assert (line.status, line.client_id) == (200, services.settings.operator_app_id)


async def test_a_token_request_that_breaks_is_logged_as_500(
        client: httpx.AsyncClient, services: Services, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug below the token route still leaves its line and observation (status 500)."""

    async def broken(call: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.tokens, "token", broken)
    observed = _sample("credo_http_request_duration_seconds_count", route=TOKEN_ROUTE,
                       method="POST", status="500")
    tenant = services.settings.bootstrap_tenant
    with caplog.at_level(logging.INFO, logger="credo"), pytest.raises(RuntimeError):
        await client.post(f"/{tenant}/oauth2/v2.0/token",
                          headers={"client-request-id": "not a sane id!"},
                          data={"grant_type": "client_credentials"})
    [line] = _access(caplog)
    assert (line.route, line.status, line.tenant) == (TOKEN_ROUTE, 500, "")
    assert uuid.UUID(line.correlation_id)  # an id Credo made: the caller's was not sane
    assert _sample("credo_http_request_duration_seconds_count", route=TOKEN_ROUTE,
                   method="POST", status="500") == observed + 1


async def test_management_lines_name_the_template_and_the_caller(
        client: httpx.AsyncClient, operator: dict[str, str], services: Services,
        caplog: pytest.LogCaptureFixture) -> None:
    object_id = str(uuid.uuid4())
    with caplog.at_level(logging.INFO, logger="credo.access"):
        response = await client.get(f"/v1.0/applications/{object_id}?$select=id",
                                    headers=operator)
        await client.get("/no/such/path/" + object_id)
        await client.request("BREW", "/v1.0/applications")
    assert response.status_code == 404
    management, unknown, brew = _access(caplog)
    assert (management.route, management.status) == ("/v1.0/applications/{app_ref}", 404)
    assert (management.tenant, management.client_id) == (
        services.settings.bootstrap_tenant, services.settings.operator_app_id)
    assert len(management.correlation_id) == 36
    assert (unknown.route, unknown.status, unknown.tenant) == ("unmatched", 404, "")
    assert object_id not in caplog.text
    assert brew.method == "BREW" and _sample(
        "credo_http_request_duration_seconds_count", route="/v1.0/applications",
        method="other", status=str(brew.status)) >= 1


def test_json_lines_carry_the_fields() -> None:
    record = logging.LogRecord("credo.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/x"),
                               None)
    record.__dict__.update(route="/x", status=200, duration_ms=1.5, client_id="")
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "GET /x" and line["level"] == "info"
    assert line["logger"] == "credo.access" and line["time"].endswith("Z")
    assert {k: line[k] for k in ("route", "status", "duration_ms", "client_id")} == {
        "route": "/x", "status": 200, "duration_ms": 1.5, "client_id": ""}


def test_throttle_kinds_are_bounded() -> None:
    before = _sample("credo_throttled_total", kind="client")
    metrics.throttled("client")
    assert _sample("credo_throttled_total", kind="client") == before + 1
    for n in range(40):
        metrics.throttled(f"made-up-{n}")
    kinds = {s.labels["kind"] for family in REGISTRY.collect()
             if family.name == "credo_throttled" for s in family.samples}
    assert len(kinds) <= 33 and "other" in kinds
