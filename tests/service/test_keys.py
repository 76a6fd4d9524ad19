"""Signing keys: JWKS contents, manual rotation, the automatic schedule, and purging."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from credo import jose
from credo.service.keys import KeyService, new_signing_key
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    upgrade(url)
    opened = await open_store(url, Sealer(Sealer.generate_key()))
    yield opened
    await opened.close()


async def ready(store: SqlStore, **kw: float) -> KeyService:
    keys = KeyService(store, rotation_days=kw.get("rotation", 30),
                      retention_days=kw.get("retention", 2))
    await keys.ensure(NOW)
    await keys.load()
    return keys


def published(keys: KeyService) -> list[dict[str, object]]:
    return json.loads(keys.jwks)["keys"]  # type: ignore[no-any-return]


async def test_jwks_publishes_active_then_next_without_private_members(store: SqlStore) -> None:
    keys = await ready(store)
    jwks = published(keys)
    assert len(jwks) == 2 and jwks[0]["kid"] == keys.active_kid
    for jwk in jwks:
        assert set(jwk) == {"kty", "use", "kid", "x5t", "n", "e", "x5c"}
        der = base64.b64decode(jwk["x5c"][0])  # type: ignore[index]
        assert jwk["kid"] == jwk["x5t"] == jose.b64url_encode(hashlib.sha1(der).digest())


async def test_rotation_promotes_next_and_keeps_retired_published(store: SqlStore) -> None:
    keys = await ready(store)
    old_active, old_next = keys.active_kid, published(keys)[1]["kid"]
    token = keys.sign({"sub": "x"}, 2)
    assert await keys.rotate(NOW + timedelta(hours=1)) == old_next
    kids = [k["kid"] for k in published(keys)]
    assert kids[0] == old_next and old_active in kids and len(kids) == 3
    client = jwt.PyJWKSet.from_dict(json.loads(keys.jwks))
    old = next(k for k in client.keys if k.key_id == old_active)
    assert jwt.decode(token, old.key, algorithms=["RS256"]) == {"sub": "x"}
    assert jwt.get_unverified_header(keys.sign({}, 2))["kid"] == old_next


async def test_a_stale_node_cannot_rotate_twice(store: SqlStore) -> None:
    first, second = await ready(store), await ready(store)
    assert await first.rotate(NOW) is not None
    before = published(first)
    assert await store.rotate(expected_active=second.active_kid,
                              new_next=new_signing_key(NOW, "next"), now=NOW) is False
    await first.load()
    assert published(first) == before


async def test_schedule_rotates_old_keys_and_purges_long_retired(store: SqlStore) -> None:
    keys = await ready(store, rotation=30, retention=2)
    first = keys.active_kid
    assert await keys.maintain(NOW + timedelta(days=29)) is False
    assert keys.active_kid == first
    assert await keys.maintain(NOW + timedelta(days=31)) is True
    assert keys.active_kid != first and first in [k["kid"] for k in published(keys)]
    assert await keys.maintain(NOW + timedelta(days=34)) is False
    assert first not in [k["kid"] for k in published(keys)]
