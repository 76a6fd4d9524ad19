"""``/auditLogs/signIns`` and ``/auditLogs/directoryAudits`` in Microsoft Graph's shapes.

Graph resources: https://learn.microsoft.com/graph/api/resources/signin and
https://learn.microsoft.com/graph/api/resources/directoryaudit. Lists are newest first,
``$top`` items a page (at most 1000), with ``@odata.nextLink`` to the next page; ``$filter``
takes what ``service/management/audit_filter.py`` accepts. Events hold identifiers only:
never a secret, an assertion, a password or a token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.responses import Response

from credo.model import AuditEvent, AuditRecord, AuditStream
from credo.service.management.activities import by_kind
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter()
MAX_TOP = 1000
_EVENT_TYPES = {"token.client_credentials": "servicePrincipal",
                "token.authorization_code": "nonInteractiveUser",
                "token.refresh_token": "nonInteractiveUser"}
_OPERATIONS = {"Add": "Add", "Create": "Add", "Update": "Update", "Delete": "Delete",
               "Remove": "Delete", "Consent": "Assign", "Rotate": "Update"}

Top = Annotated[int, Query(alias="$top", ge=1, le=MAX_TOP)]
Filter = Annotated[str, Query(alias="$filter", max_length=2000)]
SkipToken = Annotated[str, Query(alias="$skiptoken", max_length=64)]


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _or_none(text: str) -> str | None:
    return text or None


def sign_in_to_json(record: AuditRecord) -> dict[str, Any]:
    e = record.event
    event_type = _EVENT_TYPES.get(e.kind, "interactiveUser")
    return {
        "id": str(record.id), "createdDateTime": _time(e.time),
        "appId": _or_none(e.client_id), "appDisplayName": _or_none(e.app_name),
        "resourceId": _or_none(e.resource_id), "resourceDisplayName": _or_none(e.resource_name),
        "userId": _or_none(e.user_id), "userPrincipalName": _or_none(e.user_principal_name),
        "ipAddress": _or_none(e.ip_address), "correlationId": _or_none(e.correlation_id),
        "clientCredentialType": _or_none(e.credential_type),
        "servicePrincipalCredentialKeyId": _or_none(e.credential_key_id),
        "servicePrincipalCredentialThumbprint": _or_none(e.credential_thumbprint),
        "isInteractive": event_type == "interactiveUser",
        "signInEventTypes": [event_type],
        "status": {"errorCode": e.code,
                   "failureReason": _or_none(e.detail) if e.outcome == "failure" else None,
                   "additionalDetails": _or_none(e.detail) if e.outcome == "success" else None},
    }


def directory_audit_to_json(record: AuditRecord) -> dict[str, Any]:
    e = record.event
    activity, category = (e.activity, e.category) if e.activity else by_kind(e.kind)
    activity = activity or e.kind
    return {
        "id": str(record.id), "activityDateTime": _time(e.time),
        "activityDisplayName": activity, "category": category or "Other",
        "correlationId": _or_none(e.correlation_id), "loggedByService": "Core Directory",
        "operationType": _OPERATIONS.get(activity.split(" ", 1)[0], "Other"),
        "result": e.outcome, "resultReason": e.detail if e.outcome == "failure" else "",
        "initiatedBy": _initiator(e),
        "targetResources": [{"id": _or_none(t.id), "displayName": _or_none(t.display_name),
                             "type": t.type, "userPrincipalName": None,
                             "modifiedProperties": []} for t in e.targets],
        "additionalDetails": [{"key": k, "value": v} for k, v in (
            ("request", e.detail), ("ipAddress", e.ip_address), ("statusCode", str(e.code)))
            if v],
    }


def _initiator(e: AuditEvent) -> dict[str, Any]:
    user = ({"id": _or_none(e.user_id), "userPrincipalName": e.user_principal_name,
             "ipAddress": _or_none(e.ip_address)} if e.user_principal_name else None)
    app = ({"appId": e.client_id, "displayName": _or_none(e.app_name),
            "servicePrincipalId": None, "servicePrincipalName": None}
           if e.client_id and user is None else None)
    return {"app": app, "user": user}


async def _listing(services: Services, caller: CallerDep, stream: AuditStream, name: str,
                   top: int, filter_text: str, token: str) -> Response:
    page = await services.management.audit_logs.page(caller, stream, top=top,
                                                      filter_text=filter_text, token=token)
    render = sign_in_to_json if stream == "signIn" else directory_audit_to_json
    body: dict[str, Any] = {
        "@odata.context": f"{services.settings.base_url}/v1.0/$metadata#auditLogs/{name}",
        "value": [render(r) for r in page.records]}
    if page.next_token:
        query = {"$top": str(top), **({"$filter": filter_text} if filter_text else {}),
                 "$skiptoken": page.next_token}
        body["@odata.nextLink"] = (f"{services.settings.base_url}/v1.0/auditLogs/{name}?"
                                   + urlencode(query, safe="$"))
    return responses.plain(body)


@router.get("/auditLogs/signIns", tags=["auditLogs"],
            summary="Sign-ins of the tenant: apps (client credentials) and users")
async def sign_ins(caller: CallerDep, services: ServicesDep, top: Top = 100,
                   filter_text: Filter = "", token: SkipToken = "") -> Response:
    return await _listing(services, caller, "signIn", "signIns", top, filter_text, token)


@router.get("/auditLogs/directoryAudits", tags=["auditLogs"],
            summary="Changes to the tenant's directory: who changed what")
async def directory_audits(caller: CallerDep, services: ServicesDep, top: Top = 100,
                           filter_text: Filter = "", token: SkipToken = "") -> Response:
    return await _listing(services, caller, "directoryAudit", "directoryAudits", top,
                          filter_text, token)
