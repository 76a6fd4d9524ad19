"""``/keys``: the token-signing keys this deployment publishes, and rotation (Credo extension).

Operator only (``Tenant.ReadWrite.All`` in the bootstrap tenant). Rotation moves ``next`` to
``active`` and ``active`` to ``retired`` and makes a new ``next`` (service/keys.py); the
JWKS of every tenant changes with it. Only public facts are shown: never a private part.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from credo.errors import Conflict
from credo.model import SigningKey
from credo.web.management import responses
from credo.web.management.auth import Operator, ServicesDep

router = APIRouter(tags=["keys"])
_ORDER = {"active": 0, "next": 1, "retired": 2}


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _key_to_json(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "state": key.state,
        "createdDateTime": _time(key.created),
        "activatedDateTime": _time(key.activated),
        "retiredDateTime": _time(key.retired),
    }


@router.get("/keys", summary="Published signing keys and their states (operator)")
async def list_keys(caller: Operator, services: ServicesDep) -> Response:
    found = sorted(await services.store.signing_keys(), key=lambda k: (_ORDER[k.state], k.kid))
    return responses.plain({"activeKid": services.keys.active_kid,
                            "value": [_key_to_json(k) for k in found]})


@router.post("/keys/rotate", summary="Rotate the signing keys now (operator)")
async def rotate_keys(caller: Operator, services: ServicesDep) -> Response:
    active = await services.keys.rotate(datetime.now(UTC))
    if active is None:
        raise Conflict("Another node rotated the signing keys at the same time; "
                       "read /keys and retry if needed.")
    return responses.plain({"activeKid": active})
