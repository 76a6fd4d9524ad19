"""The part of OData ``$filter`` the audit logs accept, and their paging token.

Graph's sign-in and directory-audit lists are filtered with clauses joined by ``and``:
``appId eq '…'``, ``status/errorCode eq 50126`` (or ``ne 0`` for every failure),
``createdDateTime ge 2025-01-01T00:00:00Z`` (and ``le``) for sign-ins;
``initiatedBy/app/appId eq '…'``, ``result eq 'failure'``, ``category eq '…'`` and
``activityDateTime ge|le …`` for directory audits (OData 4.01 URL conventions §5.1.1).
Anything else is refused with what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from credo.errors import InvalidInput
from credo.model import AuditQuery, AuditStream
from credo.protocol import odata_filter

_CLAUSE = re.compile(r"^\s*(?P<name>[A-Za-z/]+)\s+(?P<op>eq|ne|ge|le)\s+"
                     r"(?P<value>'(?:[^']|'')*'|\S+)\s*$", re.IGNORECASE)
_TIMES = {"signIn": "createdDateTime", "directoryAudit": "activityDateTime"}
_APPS = {"signIn": "appId", "directoryAudit": "initiatedBy/app/appId"}
ACCEPTED = {
    "signIn": "appId eq '…', status/errorCode eq N, status/errorCode ne 0, "
              "createdDateTime ge|le TIME",
    "directoryAudit": "initiatedBy/app/appId eq '…', result eq 'success'|'failure', "
                      "category eq '…', activityDateTime ge|le TIME",
}

_NUMBER = re.compile(r"[0-9]{1,19}")
"""ASCII digits only (``str.isdigit`` admits ``²``, which ``int`` refuses), at most 19."""
MAX_CODE = 2**31 - 1
"""The largest ``status/errorCode`` a filter compares (AADSTS codes have up to 7 digits)."""
MAX_RECORD_ID = 2**63 - 1


def parse_filter(stream: AuditStream, text: str, query: AuditQuery) -> AuditQuery:
    """``query`` narrowed by every clause of ``text``; ``InvalidInput`` for anything else."""
    for clause in odata_filter.clauses(text):
        found = _CLAUSE.match(clause)
        if found is None:
            raise _refused(stream, clause)
        query = replace(query, **_narrow(stream, found["name"], found["op"].lower(),
                                         found["value"], clause))
    return query


def _narrow(stream: AuditStream, name: str, op: str, value: str, clause: str) -> dict[str, Any]:
    if name == _TIMES[stream] and op in ("ge", "le"):
        return {"since" if op == "ge" else "until": _time(value, clause)}
    if name == _APPS[stream] and op == "eq":
        return {"app_id": _text(value, clause).lower()}
    if stream == "signIn" and name == "status/errorCode" and _NUMBER.fullmatch(value) \
            and int(value) <= MAX_CODE:
        if op == "eq":
            return {"code": int(value)}
        if op == "ne" and value == "0":
            return {"failed": True}
    if stream == "directoryAudit" and op == "eq" and name in ("result", "category"):
        text = _text(value, clause)
        if name == "category":
            return {"category": text}
        if text in ("success", "failure"):
            return {"failed": text == "failure"}
    raise _refused(stream, clause)


def _text(value: str, clause: str) -> str:
    if len(value) < 2 or not value.startswith("'") or not value.endswith("'"):
        raise InvalidInput(f"Invalid filter clause '{clause[:200]}': expected a quoted string.")
    return value[1:-1].replace("''", "'")


def _time(value: str, clause: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(f"Invalid filter clause '{clause[:200]}': expected a UTC time "
                           "such as 2025-01-31T00:00:00Z.")
    return moment.astimezone(UTC)


def _refused(stream: AuditStream, clause: str) -> InvalidInput:
    return InvalidInput(f"Invalid filter clause '{clause[:200]}'. Supported: "
                        f"{ACCEPTED[stream]}, joined by 'and'.")


def skiptoken(moment: datetime, record_id: int) -> str:
    """The ``$skiptoken`` of the page after the one ending at ``(moment, record_id)``."""
    return f"{round(moment.timestamp() * 1_000_000)}.{record_id}"


def parse_skiptoken(text: str) -> tuple[datetime, int]:
    """``<microseconds since the epoch>.<record id>``, as the page before's nextLink made it;
    anything else (a time past year 9999, an id past SQLite's 64 bits) is a 400."""
    micros, _, record_id = text.partition(".")
    invalid = InvalidInput("Invalid $skiptoken: use the @odata.nextLink of the page before.")
    if not (_NUMBER.fullmatch(micros) and _NUMBER.fullmatch(record_id)) \
            or int(record_id) > MAX_RECORD_ID:
        raise invalid
    try:
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(record_id)
    except (ValueError, OverflowError, OSError):
        raise invalid from None
