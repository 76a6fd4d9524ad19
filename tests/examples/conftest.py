"""Fixtures for the examples' tests: signing keys, the fake authority, the mail API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from example_fakes import (
    CONTOSO,
    FABRIKAM,
    HOST,
    MAIL_API_ID,
    MAIL_API_URI,
    FakeAuthority,
    MailApi,
    MakeApi,
    SigningKey,
    make_key,
)
from examples.mail_api import MailStore, Settings, create_app
from examples.mail_api.seed import seed_tenant

from credo.resource import TokenValidator


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return make_key("fake authority signing key")


@pytest.fixture(scope="session")
def stranger_key() -> SigningKey:
    """A key the authority does not publish."""
    return make_key("not the authority")


@pytest.fixture
def authority(signing_key: SigningKey) -> FakeAuthority:
    return FakeAuthority(signing_key)


@pytest.fixture
async def make_api(authority: FakeAuthority,
                   signing_key: SigningKey) -> AsyncIterator[MakeApi]:
    """``await make_api(authority_url=…, tenants=…)``: the mail API with Contoso and
    Fabrikam seeded, validating tokens of the fake authority."""
    opened: list[tuple[httpx.AsyncClient, MailStore, TokenValidator]] = []

    async def make(authority_url: str = f"{HOST}/contoso.example",
                   tenants: tuple[str, ...] | None = None) -> MailApi:
        validator = authority.validator(authority_url, tenants=tenants)
        store = MailStore()
        seed_tenant(store, FABRIKAM, "fabrikam.example")
        app = create_app(Settings(authority=authority_url,
                                  audiences=(MAIL_API_URI, MAIL_API_ID), tenants=tenants,
                                  seed=((CONTOSO, "contoso.example"),),
                                  validator=validator), store=store)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://mail.test")
        opened.append((http, store, validator))
        return MailApi(http, store, signing_key)

    yield make
    for http, store, validator in opened:
        await http.aclose()
        await validator.aclose()
        store.close()
