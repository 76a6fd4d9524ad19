"""The sign-in and directory-audit logs, as the management API reads them (Graph auditLogs).

A caller reads its own tenant's logs with ``Directory.Read.All``,
``Application.ReadWrite.All`` or ``AppRoleAssignment.ReadWrite.All``; this node's buffered
events are written first (when the store takes them), so a change is in the log as soon as
its call has answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from credo.model import AuditQuery, AuditRecord, AuditStream
from credo.service.audit import AuditBuffer
from credo.service.management.audit_filter import parse_filter, parse_skiptoken, skiptoken
from credo.service.management.caller import Caller
from credo.service.management.policy import ROLE_AUDIT, require_any
from credo.store.api import AuditLog

log = logging.getLogger("credo.audit")


@dataclass(frozen=True)
class LogPage:
    records: list[AuditRecord]
    next_token: str | None
    """The ``$skiptoken`` of the next page; ``None`` on the last one."""


class AuditLogs:
    def __init__(self, audit: AuditBuffer, log: AuditLog) -> None:
        self._audit = audit
        self._log = log

    async def page(self, caller: Caller, stream: AuditStream, *, top: int,
                   filter_text: str = "", token: str = "") -> LogPage:
        """One page of the caller's tenant's ``stream``, newest first."""
        require_any(caller.power, caller.tenant.id, (ROLE_AUDIT,))
        query = parse_filter(stream, filter_text, AuditQuery(caller.tenant.id, stream,
                                                             limit=top))
        if token:
            query = replace(query, after=parse_skiptoken(token))
        try:
            await self._audit.flush()
        except Exception:  # kept for the writer's retry; read what is stored
            log.warning("audit: buffered events not written before a read", exc_info=True)
        found = await self._log.events(query)
        last = found[-1] if len(found) == top else None
        return LogPage(found, skiptoken(last.event.time, last.id) if last else None)
