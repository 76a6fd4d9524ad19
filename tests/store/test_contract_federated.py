"""Federated identity credentials in the store: saved with their application, on both
databases (store/api.py ``Directory.save_application``)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from credo.errors import InvalidInput
from credo.model import FederatedIdentityCredential
from credo.store.sql import SqlStore
from credo.store.tables import federated_credentials

from .samples import application, guid, tenant

GITHUB = "https://token.actions.githubusercontent.com"


def credential(name: str, subject: str = "repo:octo/app:ref:refs/heads/main",
               audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)
               ) -> FederatedIdentityCredential:
    return FederatedIdentityCredential(guid(), name, GITHUB, subject, audiences,
                                       description=f"{name} deploys")


async def _count(raw: AsyncEngine) -> int:
    async with raw.connect() as conn:
        found = await conn.scalar(sa.select(sa.func.count()).select_from(federated_credentials))
    return int(found or 0)


async def test_credentials_round_trip_in_order(store: SqlStore) -> None:
    home = tenant()
    await store.add_tenant(home)
    app = dataclasses.replace(application(home), federated_credentials=(
        credential("main"), credential("prod", "repo:octo/app:environment:Prod",
                                       ("api://one", "api://two"))))
    await store.save_application(app)
    assert await store.application(app.id) == app
    assert await store.application_by_app_id(app.app_id) == app
    assert (await store.applications(home.id)) == [app]


async def test_saving_replaces_them_and_deleting_the_app_removes_them(
        store: SqlStore, raw: AsyncEngine) -> None:
    home = tenant()
    await store.add_tenant(home)
    first, second = credential("one"), credential("two")
    app = dataclasses.replace(application(home), federated_credentials=(first, second))
    await store.save_application(app)
    version = await store.version()
    kept = dataclasses.replace(app, federated_credentials=(second,))
    await store.save_application(kept)
    assert await store.application(app.id) == kept
    assert await store.version() == version + 1
    assert await _count(raw) == 1
    await store.delete_application(app.id)
    assert await _count(raw) == 0


async def test_a_name_twice_writes_nothing(store: SqlStore, raw: AsyncEngine) -> None:
    home = tenant()
    await store.add_tenant(home)
    app = dataclasses.replace(application(home), federated_credentials=(credential("one"),))
    await store.save_application(app)
    version = await store.version()
    twice = dataclasses.replace(app, federated_credentials=(credential("dup"),
                                                            credential("dup", "other")))
    with pytest.raises(InvalidInput, match=r"^federated identity credential name 'dup' is "
                                           r"listed twice$"):
        await store.save_application(twice)
    assert await store.application(app.id) == app
    assert (await store.version(), await _count(raw)) == (version, 1)
