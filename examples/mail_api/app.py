"""A Graph-shaped mail, calendar and contacts API protected by ``credo.resource``.

Endpoints (a subset of Microsoft Graph v1.0, same paths and JSON shapes)::

    GET /v1.0/users                        the tenant's mailboxes
    GET /v1.0/users/{id or UPN}            one mailbox
    GET /v1.0/users/{id or UPN}/messages   $top, $skip, $select, $filter=isRead eq true|false
    GET /v1.0/users/{id or UPN}/events     $top, $skip, $select
    GET /v1.0/users/{id or UPN}/contacts   $top, $skip, $select
    GET /v1.0/me, /v1.0/me/messages|events|contacts      (signed-in users only)
    GET /health                            unauthenticated readiness probe

Who may read what:

* Permissions are the API's app roles (application permissions, in ``roles``) and
  delegated scopes of the same names (in ``scp``): ``Mail.Read`` for messages,
  ``Calendars.Read`` for events, ``Contacts.Read`` for contacts. Listing or reading
  mailboxes (``/users``) needs any one of the three: a daemon allowed to read calendars
  must be able to find the calendars. (Graph uses ``User.Read.All`` for ``/users``; this
  sample keeps to the three permissions it defines.)
* App-only callers (daemons) may read every mailbox of *their* tenant, the ``tid`` of the
  token. Data is partitioned by tenant id in the store, so a valid token from another
  tenant sees an empty directory and 404 for this tenant's mailboxes; with ``tenants``
  configured (``--tenant``), the validator refuses such tokens outright with 401.
* Delegated callers (signed-in users) see only their own mailbox, found by the token's
  ``oid`` or by its ``upn``/``preferred_username``/``unique_name``; another user's mailbox
  is refused with 403 ``insufficient_scope``.
* ``/me`` endpoints need a user: an app-only token gets 403 ``insufficient_scope``.
* No token, or an invalid one: 401. Every 401/403 carries the RFC 6750 §3
  ``WWW-Authenticate: Bearer …`` header and a JSON body ``{"error", "error_description"}``.
  Bad query options are 400 with Graph's ``{"error": {"code", "message"}}`` body.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from credo.errors import InsufficientScope
from credo.resource import Principal, TokenValidator
from credo.resource.fastapi import install_error_handlers, require_any, require_user
from examples.mail_api.seed import seed_tenant
from examples.mail_api.store import Contact, Event, Mailbox, MailStore, Message, Page

MAIL_READ = "Mail.Read"
CALENDARS_READ = "Calendars.Read"
CONTACTS_READ = "Contacts.Read"
PERMISSIONS = (MAIL_READ, CALENDARS_READ, CONTACTS_READ)

MAX_TOP = 1000
DEFAULT_TOP = {"users": 100, "messages": 10, "events": 10, "contacts": 10}
"""Graph's default page sizes; larger pages with ``$top`` (at most ``MAX_TOP``)."""

FIELDS = {
    "users": frozenset({"id", "displayName", "givenName", "surname", "mail",
                        "userPrincipalName", "jobTitle", "officeLocation"}),
    "messages": frozenset({"id", "receivedDateTime", "sentDateTime", "subject", "bodyPreview",
                           "importance", "isRead", "from", "sender", "toRecipients", "body"}),
    "events": frozenset({"id", "subject", "bodyPreview", "body", "start", "end", "location",
                         "isAllDay", "isOnlineMeeting", "organizer", "attendees"}),
    "contacts": frozenset({"id", "displayName", "givenName", "surname", "emailAddresses",
                           "companyName", "jobTitle", "mobilePhone"}),
}
GRAPH_TYPE = {"users": "user", "messages": "message", "events": "event",
              "contacts": "contact"}
_IS_READ_FILTER = re.compile(r"^\s*isRead\s+eq\s+(true|false)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """What the API needs to know; ``python -m examples.mail_api --help`` sets each one.

    ``authority``: ``https://host:port/{tenant}`` of the identity platform (Credo or Entra).
    ``audiences``: what the API's tokens name in ``aud``: its identifier URI (v1.0 tokens,
    ``api://mail``) and its appId (v2.0 tokens). ``tenants``: when given, only tokens of
    these tenant ids are accepted. ``ca``: the CA bundle that signs the authority's TLS
    certificate. ``database``: a SQLite file, or ``:memory:``. ``seed``: (tenant id,
    domain) pairs whose demo data is created at start-up when missing. ``validator``:
    a ready ``TokenValidator`` (tests inject one with a mock transport); built from the
    other settings when absent.
    """

    authority: str
    audiences: tuple[str, ...]
    tenants: tuple[str, ...] | None = None
    ca: Path | None = None
    database: str = ":memory:"
    seed: tuple[tuple[str, str], ...] = ()
    validator: TokenValidator | None = field(default=None, compare=False)


class GraphError(Exception):
    """An error answered in Graph's shape: ``{"error": {"code": …, "message": …}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(user: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{user}' does not exist or one of its queried "
                      "reference-property objects are not present.")


class GraphEntity(Protocol):
    def to_graph(self) -> dict[str, Any]: ...


E = TypeVar("E", bound=GraphEntity)


@dataclass(frozen=True)
class Query:
    """The OData query options this API understands (``$top``, ``$skip``, ``$select``,
    and ``$filter=isRead eq true|false`` on messages)."""

    top: int
    skip: int
    select: frozenset[str] | None
    is_read: bool | None

    @classmethod
    def parse(cls, params: Mapping[str, str], collection: str) -> Query:
        known = {"$top", "$skip", "$select"} | ({"$filter"} if collection == "messages" else set())
        for name in params:
            if name.startswith("$") and name not in known:
                raise GraphError(400, "BadRequest",
                                 f"Query option '{name}' is not supported on {collection}.")
        top = _count(params, "$top", DEFAULT_TOP[collection], low=1, high=MAX_TOP)
        skip = _count(params, "$skip", 0, low=0, high=10**9)
        select = None
        if "$select" in params:
            names = {n.strip() for n in params["$select"].split(",") if n.strip()}
            unknown = sorted(names - FIELDS[collection])
            if not names or unknown:
                shown = unknown[0] if unknown else ""
                raise GraphError(400, "BadRequest",
                                 f"Could not find a property named '{shown}' on type "
                                 f"'microsoft.graph.{GRAPH_TYPE[collection]}'.")
            select = frozenset(names | {"id"})
        is_read = None
        if "$filter" in params:
            match = _IS_READ_FILTER.match(params["$filter"])
            if match is None:
                raise GraphError(400, "BadRequest", "Only '$filter=isRead eq true' and "
                                 "'$filter=isRead eq false' are supported.")
            is_read = match.group(1).lower() == "true"
        return cls(top, skip, select, is_read)

    def shape(self, entity: GraphEntity) -> dict[str, Any]:
        item = entity.to_graph()
        return item if self.select is None else {
            k: v for k, v in item.items() if k in self.select}


def _count(params: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise GraphError(400, "BadRequest",
                         f"Invalid value '{raw}' for query option '{name}': an integer from "
                         f"{low} to {high} is expected.")
    return int(raw)


def collection_response(request: Request, context: str, page: Page[E],
                        query: Query) -> dict[str, Any]:
    """``{"@odata.context", "value", "@odata.nextLink"?}`` as Graph pages collections."""
    body: dict[str, Any] = {
        "@odata.context": f"{str(request.base_url).rstrip('/')}/v1.0/$metadata#{context}",
        "value": [query.shape(item) for item in page.items]}
    if page.more:
        body["@odata.nextLink"] = str(request.url.include_query_params(
            **{"$skip": query.skip + query.top, "$top": query.top}))
    return body


def own_mailbox(store: MailStore, caller: Principal) -> Mailbox | None:
    """The signed-in user's mailbox in their tenant: by ``oid``, else by user name."""
    if caller.object_id:
        found = store.find_mailbox(caller.tenant_id, caller.object_id)
        if found is not None:
            return found
    for name in (caller.upn, caller.preferred_username, caller.unique_name):
        if name:
            found = store.find_mailbox(caller.tenant_id, name)
            if found is not None:
                return found
    return None


def mailbox_for(store: MailStore, caller: Principal, user: str) -> Mailbox:
    """The mailbox ``user`` names, if ``caller`` may read it (the rules above)."""
    mailbox = store.find_mailbox(caller.tenant_id, user)
    if caller.is_app_only:
        if mailbox is None:
            raise not_found(user)
        return mailbox
    mine = own_mailbox(store, caller)
    if mine is None or mailbox is None or mailbox.id != mine.id:
        raise InsufficientScope("A delegated token may read only the signed-in user's own "
                                "mailbox.")
    return mailbox


def me(store: MailStore, caller: Principal) -> Mailbox:
    mailbox = own_mailbox(store, caller)
    if mailbox is None:
        raise GraphError(404, "MailboxNotEnabledForRESTAPI",
                         "The signed-in user has no mailbox in this tenant.")
    return mailbox


def build_validator(settings: Settings) -> TokenValidator:
    return TokenValidator(settings.authority, settings.audiences, tenants=settings.tenants,
                          verify=str(settings.ca) if settings.ca else True)


def create_app(settings: Settings, *, store: MailStore | None = None) -> FastAPI:
    """The mail API. ``store`` defaults to a new ``MailStore(settings.database)``; the seed
    tenants are filled at once, so the API is ready when this returns."""
    owns_store, owns_validator = store is None, settings.validator is None
    store = store or MailStore(settings.database)
    for tenant_id, domain in settings.seed:
        seed_tenant(store, tenant_id, domain)
    validator = settings.validator or build_validator(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_validator:
            await validator.aclose()
        if owns_store:
            store.close()

    app = FastAPI(title="Sample mail API", version="1.0",
                  description="Graph-shaped mailboxes protected by credo.resource.",
                  lifespan=lifespan)
    app.state.store = store
    app.state.validator = validator
    install_error_handlers(app, realm=settings.audiences[0])

    @app.exception_handler(GraphError)
    async def graph_error(request: Request, exc: GraphError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}},
                            status_code=exc.status)

    any_permission = require_any(validator, roles=PERMISSIONS, scopes=PERMISSIONS)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1.0/users")
    def list_users(request: Request,
                   caller: Principal = Depends(any_permission)) -> dict[str, Any]:
        query = Query.parse(request.query_params, "users")
        if caller.is_app_only:
            page = store.mailboxes(caller.tenant_id, top=query.top, skip=query.skip)
        else:
            mine = own_mailbox(store, caller)
            page = Page([mine] if mine is not None and query.skip == 0 else [], False)
        return collection_response(request, "users", page, query)

    @app.get("/v1.0/users/{user}")
    def get_user(user: str, request: Request,
                 caller: Principal = Depends(any_permission)) -> dict[str, Any]:
        query = Query.parse(request.query_params, "users")
        return {"@odata.context": f"{str(request.base_url).rstrip('/')}/v1.0/$metadata#users"
                                  "/$entity",
                **query.shape(mailbox_for(store, caller, user))}

    @app.get("/v1.0/me")
    def get_me(request: Request, caller: Principal = Depends(
            require_user(validator, scopes=PERMISSIONS))) -> dict[str, Any]:
        query = Query.parse(request.query_params, "users")
        return {"@odata.context": f"{str(request.base_url).rstrip('/')}/v1.0/$metadata#users"
                                  "/$entity", **query.shape(me(store, caller))}

    def add_collection(name: str, permission: str,
                       read: Callable[[str, Mailbox, Query], Page[Any]]) -> None:
        """``/users/{user}/<name>`` for daemons and users, ``/me/<name>`` for users."""
        either = require_any(validator, roles=[permission], scopes=[permission])
        user_only = require_user(validator, scopes=[permission])

        def for_user(user: str, request: Request,
                     caller: Principal = Depends(either)) -> dict[str, Any]:
            query = Query.parse(request.query_params, name)
            mailbox = mailbox_for(store, caller, user)
            return collection_response(request, f"users('{mailbox.id}')/{name}",
                                       read(caller.tenant_id, mailbox, query), query)

        def for_me(request: Request,
                   caller: Principal = Depends(user_only)) -> dict[str, Any]:
            query = Query.parse(request.query_params, name)
            mailbox = me(store, caller)
            return collection_response(request, f"users('{mailbox.id}')/{name}",
                                       read(caller.tenant_id, mailbox, query), query)

        app.add_api_route(f"/v1.0/users/{{user}}/{name}", for_user, methods=["GET"],
                          name=f"user_{name}", summary=f"A mailbox's {name} ({permission})")
        app.add_api_route(f"/v1.0/me/{name}", for_me, methods=["GET"], name=f"my_{name}",
                          summary=f"The signed-in user's {name} ({permission}, delegated)")

    def messages(tenant_id: str, mailbox: Mailbox, query: Query) -> Page[Message]:
        return store.messages(tenant_id, mailbox.id, top=query.top, skip=query.skip,
                              is_read=query.is_read)

    def events(tenant_id: str, mailbox: Mailbox, query: Query) -> Page[Event]:
        return store.events(tenant_id, mailbox.id, top=query.top, skip=query.skip)

    def contacts(tenant_id: str, mailbox: Mailbox, query: Query) -> Page[Contact]:
        return store.contacts(tenant_id, mailbox.id, top=query.top, skip=query.skip)

    add_collection("messages", MAIL_READ, messages)
    add_collection("events", CALENDARS_READ, events)
    add_collection("contacts", CONTACTS_READ, contacts)
    return app

