"""``SessionService``: sessions in the store, a secret in the cookie, expiry, CSRF tokens."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from credo.errors import InvalidRequest
from credo.model import ObjectId, Tenant, TenantId, User
from credo.service.sessions import PURGE_SECONDS, SESSION_SECONDS, TOUCH_SECONDS, SessionService
from credo.service.sources import Sources
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store

TENANT = Tenant(TenantId("9b6a4c34-5f3c-4a43-a3c8-9e1b8f4d2a10"), ("contoso.example",),
                "Contoso")
T = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}"
    upgrade(url)
    opened = await open_store(url, Sealer(Sealer.generate_key()))
    await opened.add_tenant(TENANT)
    yield opened
    await opened.close()


@pytest.fixture
async def user(store: SqlStore) -> User:
    found = User(ObjectId("6a0c5f1e-2b3d-4c5e-8f9a-0b1c2d3e4f5a"), TENANT.id,
                 "alice@contoso.example", "Alice", True, (), None, None)
    await store.users.add_user(found, "$argon2id$hash")
    return found


def service(store: SqlStore, clock: Clock) -> SessionService:
    return SessionService.derive(store.sessions, lambda label: label.encode().ljust(32, b"k"),
                                 sources=Sources(clock=clock))


async def test_a_session_opens_until_it_expires_or_ends(store: SqlStore, user: User) -> None:
    clock = Clock()
    sessions = service(store, clock)
    cookie, started = await sessions.start(TENANT.id, user.id)
    assert started.created.timestamp() == T and started.session_id not in cookie
    clock.now += 60
    assert await sessions.open(cookie) == started
    for bad in ("", cookie[:-1], cookie + "A", "%" * 43, cookie.swapcase()):
        assert await sessions.open(bad) is None
    clock.now = T + SESSION_SECONDS
    assert await sessions.open(cookie) is None
    clock.now = T
    await sessions.end(cookie)
    assert await sessions.open(cookie) is None
    await sessions.end("not a cookie")  # nothing to end


async def test_last_seen_is_written_now_and_then(store: SqlStore, user: User) -> None:
    clock = Clock()
    sessions = service(store, clock)
    cookie, started = await sessions.start(TENANT.id, user.id)
    clock.now += TOUCH_SECONDS - 1
    assert (await sessions.open(cookie)).last_seen == started.created  # type: ignore[union-attr]
    clock.now += 1
    await sessions.open(cookie)
    seen = (await sessions.open(cookie)).last_seen  # type: ignore[union-attr]
    assert seen.timestamp() == T + TOUCH_SECONDS


async def test_expired_sessions_are_purged(store: SqlStore, user: User) -> None:
    clock = Clock()
    sessions = service(store, clock)
    old, _ = await sessions.start(TENANT.id, user.id)
    stored = hashlib.sha256(old.encode()).hexdigest()
    clock.now = T + SESSION_SECONDS + PURGE_SECONDS
    assert await store.sessions.session(stored) is not None  # expired, not yet purged
    await sessions.start(TENANT.id, user.id)
    assert await store.sessions.session(stored) is None


async def test_end_all_ends_only_that_users_sessions(store: SqlStore, user: User) -> None:
    sessions = service(store, Clock())
    other = User(ObjectId("7b1d6a2f-3c4e-4d6f-9a0b-1c2d3e4f5a6b"), TENANT.id,
                 "bob@contoso.example", "Bob", True, (), None, None)
    await store.users.add_user(other, "$argon2id$hash")
    mine = [(await sessions.start(TENANT.id, user.id))[0] for _ in range(2)]
    theirs, _ = await sessions.start(TENANT.id, other.id)
    await sessions.end_all(user.id)
    assert [await sessions.open(c) for c in mine] == [None, None]
    assert await sessions.open(theirs) is not None


def test_csrf_tokens_are_bound_to_every_value(store: SqlStore) -> None:
    sessions = service(store, Clock())
    token = sessions.csrf_token("login", "nonce", TENANT.id)
    sessions.check_csrf(token, "login", "nonce", TENANT.id)
    other_key = SessionService(store.sessions, b"o" * 32)
    for bad in (None, "", token + "x", sessions.csrf_token("login", "other", TENANT.id),
                other_key.csrf_token("login", "nonce", TENANT.id)):
        with pytest.raises(InvalidRequest) as caught:
            sessions.check_csrf(bad, "login", "nonce", TENANT.id)
        assert caught.value.code == 90023
    assert repr(sessions) == "SessionService(<key hidden>)"
