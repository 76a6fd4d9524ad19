"""Fixtures for the resource SDK: RSA keys made once per session, a fresh fake authority."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from resource_fakes import Clock, FakeAuthority, Key, make_key


@dataclass(frozen=True)
class Keys:
    primary: Key
    rotated: Key
    stranger: Key


@pytest.fixture(scope="session")
def keys() -> Keys:
    """Three signing keys (RSA key generation is slow, so once per session)."""
    return Keys(make_key("credo signing 1"), make_key("credo signing 2"),
                make_key("not the authority"))


@pytest.fixture
def authority(keys: Keys) -> FakeAuthority:
    """A fake Credo deployment publishing ``keys.primary`` only."""
    return FakeAuthority([keys.primary.jwk()])


@pytest.fixture
def clock() -> Clock:
    return Clock()
