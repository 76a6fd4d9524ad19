"""``render.token_json`` writes a token response byte for byte as ``render.json_bytes``."""

from __future__ import annotations

import pytest

from credo.protocol import claims
from credo.web import render


@pytest.mark.parametrize("version", [1, 2])
def test_token_responses_are_written_as_json_writes_them(version: int) -> None:
    response = claims.token_response(version=version, access_token="eyJ0.eyJ1.c2ln",  # type: ignore[arg-type]
                                      now=1_765_100_000.7, lifetime=3600,
                                      resource_requested="api://bench/Zoë")
    written = render.token_json(response)
    assert written == render.json_bytes(response)
    assert written.startswith(b'{"token_type":"Bearer","expires_in":')
