"""Fixtures of the directory-write and consent tests (``directory_world.py``).

The token tests build their own module-wide ``world`` (``token_world.py``), which takes
precedence over this one in their modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .directory_world import Mail, Seed, World, open_world, write_seed


@pytest.fixture(scope="session")
async def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """Migrated and seeded once: copying the file is cheaper than writing it again."""
    return await write_seed(tmp_path_factory.mktemp("directory-seed") / "seed.db")


@pytest.fixture
async def world(seed: Seed, tmp_path: Path) -> AsyncIterator[World]:
    """A fresh copy of the seeded directory for one test."""
    opened = await open_world(seed, tmp_path)
    yield opened
    await opened.store.close()


@pytest.fixture
def mail(seed: Seed) -> Mail:
    return seed.mail
