"""Service availability rule: PostgreSQL/Redis tests skip locally, fail in CI.

``.ci/run`` sets ``CREDO_REQUIRE_SERVICES=1`` so that a missing service is a failure there.
"""

from __future__ import annotations

import os

import pytest


def require_or_skip(reason: str) -> None:
    """Skip locally, fail when ``CREDO_REQUIRE_SERVICES=1``."""
    if os.environ.get("CREDO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)
