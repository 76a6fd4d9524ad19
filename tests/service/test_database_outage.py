"""The token path while the database does not answer (docs/operations.md, "Failure modes").

A client in the directory cache keeps getting tokens for ``max_age`` seconds after the last
directory-version read; past it, and for a client the cache never held, the answer is
AADSTS90033 (503, ``Retry-After``), never a 500 and never a 401; once the database answers
again the same cache serves again, without a restart. The database is the real SQLite store
behind a switch that makes every read raise ``StoreUnavailable`` as a stopped PostgreSQL does.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlencode

import pytest

from credo.aadsts.grant import NOT_ASSIGNED
from credo.aadsts.service import TRANSIENT
from credo.errors import OAuthError, StoreUnavailable, TemporarilyUnavailable
from credo.service.grants import GrantServices, build_grants
from credo.service.snapshots import DirectoryCache
from credo.service.token import TokenCall, TokenService
from credo.store.api import Directory
from credo.store.sql import SqlStore

from .token_world import BASE, SECRET, T0, TokenWorld, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")
MAX_AGE = 30.0


class Switchable:
    """The store, or (``down``) a store whose every call raises ``StoreUnavailable``."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._store, name)
        if not self.down:
            return real

        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailable("the database is unavailable", detail="connection refused")
        return unavailable


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Outage:
    def __init__(self, world: TokenWorld) -> None:
        self.world = world
        self.database = Switchable(world.store)
        self.monotonic = Monotonic()
        self.cache = DirectoryCache(cast(Directory, self.database), max_age=MAX_AGE,
                                    clock=self.monotonic)
        grants = build_grants(GrantServices(
            base_url=BASE, cache=self.cache, keys=world.keys, user_tokens=world.user_tokens,
            flows=world.flows, users=world.users, new_id=world.ids))
        self.tokens = TokenService(base_url=BASE, cache=self.cache, replay=world.store,
                                   audit=world.audit, secret_hasher=world.hasher, grants=grants,
                                   clock=world.clock)

    async def token(self, client_id: str, correlation: str = "") -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": SECRET,
                "scope": f"{self.world.daemon.api.identifier_uris[0]}/.default"}
        call = TokenCall(self.world.daemon.tenant.id, 2, urlencode(form).encode(), None, "",
                         correlation or str(uuid.uuid4()))
        return await self.tokens.token(call)

    async def refused(self, client_id: str) -> TemporarilyUnavailable:
        """AADSTS90033 with Retry-After, one failure event, no table changed."""
        correlation = str(uuid.uuid4())
        before = await self.world.rows()
        with pytest.raises(OAuthError) as info:
            await self.token(client_id, correlation)
        err = info.value
        assert isinstance(err, TemporarilyUnavailable)
        assert (err.code, err.http_status, err.headers) == (TRANSIENT.code, 503,
                                                           {"Retry-After": "5"})
        assert "unavailable" in err.detail or "out of date" in err.detail
        assert await self.world.rows() == before
        [event] = await self.world.events(correlation)
        assert (event.outcome, event.code) == ("failure", TRANSIENT.code)
        return err


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TokenWorld]:
    opened = await open_world(tmp_path_factory.mktemp("outage"))
    yield opened
    await opened.store.close()


@pytest.fixture
async def outage(world: TokenWorld) -> Outage:
    world.clock.now = T0
    made = Outage(world)
    await made.cache.refresh()
    return made


async def _fails(call: Callable[[], Awaitable[object]]) -> None:
    with pytest.raises(StoreUnavailable):
        await call()


async def test_a_cached_client_is_served_until_the_bound_then_refused(outage: Outage) -> None:
    daemon = outage.world.daemon.app.app_id
    assert "access_token" in await outage.token(daemon)  # now in the cache
    outage.database.down = True
    await _fails(outage.cache.refresh)  # what the version poller meets
    outage.monotonic.now += MAX_AGE - 1
    assert "access_token" in await outage.token(daemon)
    outage.monotonic.now += 2
    err = await outage.refused(daemon)
    assert "no directory version read for 31 s" in err.detail


async def test_a_client_the_cache_never_held_is_refused_with_503(outage: Outage) -> None:
    outage.database.down = True
    await outage.refused(outage.world.client.app_id)
    await outage.refused(str(uuid.uuid4()))  # an unknown client too: its absence is unknown


async def test_everything_is_served_again_once_the_database_answers(outage: Outage) -> None:
    daemon, web = outage.world.daemon.app.app_id, outage.world.client.app_id
    assert "access_token" in await outage.token(daemon)
    outage.database.down = True
    outage.monotonic.now += MAX_AGE + 1
    await outage.refused(daemon)
    await outage.refused(web)
    outage.database.down = False
    assert not await outage.cache.refresh()  # the same version: the cache is kept
    assert outage.cache.age == 0
    assert "access_token" in await outage.token(daemon)
    with pytest.raises(OAuthError) as info:  # read from the database: its real answer
        await outage.token(web)
    assert info.value.code == NOT_ASSIGNED.code
