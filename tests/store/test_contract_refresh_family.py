"""A refresh-token family started without a code (on-behalf-of), on both databases: the
family and its first token in one write, then rotation and revocation as for any family."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from credo.store.sql import SqlStore
from credo.store.sql_flows import SqlFlowStore

from .samples import guid
from .test_contract_flows import T0, _world, code, refresh


async def test_a_family_starts_with_its_first_token(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    flows = SqlFlowStore(store._db)
    first = refresh(code(home.id, alice.id), public=False)
    version = await store.version()
    await flows.start_refresh_family(first)
    assert await flows.refresh_token(first.token_hash) == first
    assert await store.version() == version  # not a directory change

    later = T0 + timedelta(minutes=5)
    second = dataclasses.replace(first, token_hash=guid().replace("-", ""), created=later)
    assert await flows.issue_refresh_token(second, retire=first.token_hash, now=later)
    await flows.revoke_user_tokens(alice.id, later)
    assert (await flows.refresh_token(second.token_hash)).revoked == later  # type: ignore[union-attr]
