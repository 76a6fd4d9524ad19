"""The validator against a real Credo deployment (in process, through ``ASGITransport``).

The token comes from Credo's token endpoint; discovery and JWKS are Credo's own routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from credo.errors import TokenValidationError
from credo.resource import TokenValidator
from credo.service.management.policy import MANAGEMENT_APP_ID
from credo.service.runtime import Services, close_services
from support import BASE_URL, BOOTSTRAP_DOMAIN, asgi_client, make_services, operator_token


@pytest.fixture(scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    deployment = await make_services(tmp_path_factory.mktemp("credo-resource"))
    yield deployment
    await close_services(deployment)


@pytest.fixture(scope="module")
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(services) as http:
        yield http


async def test_a_credo_token_validates_against_credo_metadata(
        services: Services, client: httpx.AsyncClient) -> None:
    token = await operator_token(client, services)
    validator = TokenValidator(f"{BASE_URL}/{BOOTSTRAP_DOMAIN}", MANAGEMENT_APP_ID,
                               http_client=client)
    principal = await validator.validate(token)
    assert principal.tenant_id == services.settings.bootstrap_tenant
    assert principal.app_id == services.settings.operator_app_id
    assert principal.is_app_only and principal.version == "2.0"
    assert principal.roles  # the operator holds management app roles


async def test_a_credo_token_for_another_api_is_refused(
        services: Services, client: httpx.AsyncClient) -> None:
    token = await operator_token(client, services)
    validator = TokenValidator(f"{BASE_URL}/{BOOTSTRAP_DOMAIN}", "api://mail",
                               http_client=client)
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(token)
    assert caught.value.description == (
        f"The token audience '{MANAGEMENT_APP_ID}' is not accepted by this API.")


async def test_multi_tenant_validator_against_credos_organizations_document(
        services: Services, client: httpx.AsyncClient) -> None:
    token = await operator_token(client, services)
    tenant = services.settings.bootstrap_tenant
    accepting = TokenValidator(f"{BASE_URL}/organizations", MANAGEMENT_APP_ID,
                               tenants=[tenant], http_client=client)
    assert (await accepting.validate(token)).tenant_id == tenant
    refusing = TokenValidator(f"{BASE_URL}/organizations", MANAGEMENT_APP_ID,
                              tenants=["00000000-0000-4000-8000-000000000000"],
                              http_client=client)
    with pytest.raises(TokenValidationError, match="which this API does not accept"):
        await refusing.validate(token)
