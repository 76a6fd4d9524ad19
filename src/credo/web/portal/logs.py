"""Sign-in logs and Audit logs: the tenant's ``/auditLogs`` pages, newest first, filtered by
application and by failure, with each failure's AADSTS code and message.

The filters become the OData ``$filter`` the API accepts
(service/management/audit_filter.py); "Next page" follows its ``$skiptoken``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.responses import Response

from credo.web.portal.frame import Portal

PAGE = 50
CATEGORIES = ("ApplicationManagement", "UserManagement", "RoleManagement",
              "DirectoryManagement", "KeyManagement", "Other")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _next(page: dict[str, Any]) -> str:
    link = page.get("@odata.nextLink")
    return parse_qs(urlsplit(link).query).get("$skiptoken", [""])[0] if link else ""


async def _apps(portal: Portal) -> list[tuple[str, str]]:
    return sorted(((str(sp["appId"]), str(sp["displayName"]))
                   for sp in await portal.graph.values("/servicePrincipals")),
                  key=lambda a: a[1].casefold())


async def sign_ins(portal: Portal) -> Response:
    q = portal.request.query_params
    chosen = {"app": q.get("app", ""), "failures": q.get("failures", ""),
              "code": q.get("code", "").strip()}
    clauses = [f"appId eq {_quoted(chosen['app'])}"] if chosen["app"] else []
    if chosen["code"].isdigit():
        clauses.append(f"status/errorCode eq {int(chosen['code'])}")
    elif chosen["failures"]:
        clauses.append("status/errorCode ne 0")
    page = await portal.graph.get("/auditLogs/signIns", _params(clauses, q.get("page", "")))
    return portal.render("signins.html", title="Sign-in logs", events=page["value"],
                         apps=await _apps(portal), chosen=chosen, next_page=_next(page))


async def audits(portal: Portal) -> Response:
    q = portal.request.query_params
    chosen = {"app": q.get("app", ""), "failures": q.get("failures", ""),
              "category": q.get("category", "")}
    clauses = [f"initiatedBy/app/appId eq {_quoted(chosen['app'])}"] if chosen["app"] else []
    if chosen["failures"]:
        clauses.append("result eq 'failure'")
    if chosen["category"] in CATEGORIES:
        clauses.append(f"category eq {_quoted(chosen['category'])}")
    page = await portal.graph.get("/auditLogs/directoryAudits",
                                  _params(clauses, q.get("page", "")))
    return portal.render("audit.html", title="Audit logs", events=page["value"],
                         apps=await _apps(portal), chosen=chosen, categories=CATEGORIES,
                         next_page=_next(page))


def _params(clauses: list[str], token: str) -> dict[str, str]:
    params = {"$top": str(PAGE)}
    if clauses:
        params["$filter"] = " and ".join(clauses)
    if token:
        params["$skiptoken"] = token
    return params
