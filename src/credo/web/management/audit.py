"""``/auditLogs/signIns``: the caller tenant's recent sign-in and management events.

Graph resource (shape borrowed): https://learn.microsoft.com/graph/api/resources/signin.
Events never carry a secret or a token (model.AuditEvent); the buffer is flushed first so
the answer includes what happened a moment ago on this node.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from credo.model import AuditEvent
from credo.web.management import responses
from credo.web.management.auth import Reader, ServicesDep

router = APIRouter(tags=["auditLogs"])
MAX_TOP = 1000


def _event_to_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "createdDateTime": event.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventType": event.kind,
        "appId": event.client_id or None,
        "correlationId": event.correlation_id or None,
        "status": {
            "errorCode": event.code,
            "failureReason": (event.detail or None) if event.outcome == "failure" else None,
            "additionalDetails": (event.detail or None) if event.outcome == "success" else None,
        },
        "outcome": event.outcome,
    }


@router.get("/auditLogs/signIns", summary="Recent sign-in and management events of the tenant")
async def sign_ins(caller: Reader, services: ServicesDep,
                   top: Annotated[int, Query(alias="$top", ge=1, le=MAX_TOP)] = 100) -> Response:
    await services.audit.flush()
    found = await services.store.recent(caller.tenant.id, top)
    return responses.listing(services, "auditLogs/signIns", [_event_to_json(e) for e in found])
