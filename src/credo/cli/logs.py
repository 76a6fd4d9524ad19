"""``credo logs``: a tenant's sign-ins and directory changes, newest first (Graph auditLogs).

``signins`` lists token requests (apps and users) and password sign-ins; ``audit`` lists who
changed what. ``--app`` narrows to one app (as the client of a sign-in, or as who made the
change), ``--since`` to a recent window (``30m``, ``12h``, ``7d`` or a date), ``--failed`` to
refusals. The tenant is ``-t``, else ``--app``'s home tenant, else the bootstrap tenant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import typer

from credo.cli import lookup
from credo.cli.api import Management
from credo.cli.common import (
    EXIT_USAGE,
    CaOption,
    CliError,
    DataDirOption,
    JsonOption,
    ServerOption,
    command_group,
    handle_errors,
    parse_datetime,
)
from credo.cli.output import emit, emit_table
from credo.model import is_guid

app = command_group("Sign-in and audit logs of a tenant.")

PAGE = 200
_AGO = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
SINCE_FORMS = ("minutes, hours or days ago (30m, 12h, 7d) or a date YYYY-MM-DD (or an ISO 8601 "
               "date-time, e.g. 2026-01-31T08:00:00Z)")
LogsTenantOption = Annotated[str | None, typer.Option(
    "--tenant", "-t", show_default="--app's home tenant, else the bootstrap tenant",
    help="The tenant: its id (GUID) or a domain name.")]
AppOption = Annotated[str | None, typer.Option(
    "--app", help="Only this app: appId, object id or display name.", show_default=False)]
SinceOption = Annotated[str | None, typer.Option(
    "--since", help="Only events since: 30m, 12h, 7d, or a date (2026-01-31).",
    show_default=False)]
FailedOption = Annotated[bool, typer.Option("--failed", help="Only failures.")]
_SIGN_IN_COLUMNS = (("time", "createdDateTime"), ("app", "app"), ("user", "userPrincipalName"),
                    ("credential", "credential"), ("resource", "resourceDisplayName"),
                    ("address", "ipAddress"), ("status", "result"))
_AUDIT_COLUMNS = (("time", "activityDateTime"), ("activity", "activityDisplayName"),
                  ("by", "by"), ("target", "target"), ("result", "result"))


def since(value: str, now: datetime) -> datetime:
    """``30m``/``12h``/``7d`` before ``now``, or an ISO date or date-time."""
    found = _AGO.match(value.strip())
    if found:
        return now - timedelta(**{_UNITS[found[2]]: int(found[1])})
    try:
        return parse_datetime(value, "--since")
    except CliError:
        raise CliError(f"--since: invalid value {value!r}, expected {SINCE_FORMS}",
                       exit_code=EXIT_USAGE) from None


def _filter(clauses: list[str]) -> str:
    return f"&$filter={quote(' and '.join(clauses))}" if clauses else ""


def _read(log: str, data_dir: Any, server: str | None, ca: Any, tenant: str | None,
          app_ref: str | None, when: str | None, failed: bool) -> list[dict[str, Any]]:
    moment = since(when, datetime.now(UTC)) if when else None
    with Management(data_dir, server, ca=ca) as api:
        where = tenant or api.bootstrap_tenant
        clauses: list[str] = []
        if app_ref is not None:
            app_id, where = _app(api, app_ref, tenant)
            name = "appId" if log == "signIns" else "initiatedBy/app/appId"
            clauses.append(f"{name} eq '{app_id}'")
        if moment is not None:
            name = "createdDateTime" if log == "signIns" else "activityDateTime"
            clauses.append(f"{name} ge {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        if failed:
            clauses.append("status/errorCode ne 0" if log == "signIns"
                           else "result eq 'failure'")
        answer = api.get(where, f"/auditLogs/{log}?$top={PAGE}{_filter(clauses)}")
    return [e for e in answer.get("value") or [] if isinstance(e, dict)]


def _app(api: Management, ref: str, tenant: str | None) -> tuple[str, str]:
    """``(appId, tenant)``: an appId in a given tenant is taken as is (a multi-tenant app
    signs in where it is not registered); otherwise the app is looked up."""
    if tenant is not None and is_guid(ref):
        return ref.lower(), tenant
    home, found = lookup.locate(api, ref, tenant)
    return str(found["appId"]), tenant or home


def _sign_in_row(e: dict[str, Any]) -> dict[str, Any]:
    status = e.get("status") or {}
    code = status.get("errorCode") or 0
    credential = e.get("clientCredentialType") or ""
    key = e.get("servicePrincipalCredentialThumbprint") or e.get(
        "servicePrincipalCredentialKeyId") or ""
    return {**e, "app": e.get("appDisplayName") or e.get("appId"),
            "credential": f"{credential} {key}".strip(),
            "result": f"AADSTS{code}: {status.get('failureReason')}" if code else "success"}


def _audit_row(e: dict[str, Any]) -> dict[str, Any]:
    by = e.get("initiatedBy") or {}
    who = (by.get("user") or {}).get("userPrincipalName") or (by.get("app") or {}).get("appId")
    targets = [f"{t.get('type')} {t.get('displayName') or t.get('id') or ''}".strip()
               for t in e.get("targetResources") or []]
    result = e.get("result")
    return {**e, "by": who, "target": ", ".join(targets),
            "result": f"failure: {e.get('resultReason')}" if result == "failure" else result}


@app.command("signins")
@handle_errors
def signins(data_dir: DataDirOption, app_ref: AppOption = None, when: SinceOption = None,
            failed: FailedOption = False, tenant: LogsTenantOption = None,
            server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Sign-ins of a tenant: token requests of apps and users, password sign-ins."""
    found = _read("signIns", data_dir, server, ca, tenant, app_ref, when, failed)
    emit(found, as_json, lambda: emit_table([_sign_in_row(e) for e in found], _SIGN_IN_COLUMNS,
                                            empty="no sign-ins"))


@app.command("audit")
@handle_errors
def audit(data_dir: DataDirOption, app_ref: AppOption = None, when: SinceOption = None,
          failed: FailedOption = False, tenant: LogsTenantOption = None,
          server: ServerOption = None, ca: CaOption = None, as_json: JsonOption = False) -> None:
    """Directory changes of a tenant: who changed which app, credential, grant, user, role."""
    found = _read("directoryAudits", data_dir, server, ca, tenant, app_ref, when, failed)
    emit(found, as_json, lambda: emit_table([_audit_row(e) for e in found], _AUDIT_COLUMNS,
                                            empty="no directory changes"))

