"""The mail API's storage: mailboxes, messages, calendar events and contacts in SQLite.

Why the standard library's ``sqlite3`` and not SQLAlchemy Core (which Credo itself uses):
this is sample code that API authors read and copy, the schema is four tables, every query
is a short parameterised ``SELECT`` and nothing here has to run on PostgreSQL. ``sqlite3``
keeps the example free of an ORM layer and of an async driver; the API's endpoints are
plain ``def`` functions, so FastAPI runs these (sub-millisecond) queries in its thread
pool and the event loop never blocks on them. One connection is shared behind a lock,
which also makes ``":memory:"`` databases work across those threads.

Every row carries the tenant id and every query filters on it: the tenant boundary is in
the data access layer, not only in the endpoints. Times are stored as ISO 8601 UTC text
(``2026-03-01T09:30:00Z``), which sorts chronologically as text.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS mailboxes (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    surname TEXT NOT NULL,
    mail TEXT NOT NULL,
    user_principal_name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    office_location TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS mailboxes_upn
    ON mailboxes (tenant_id, user_principal_name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS messages (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mailbox_id TEXT NOT NULL,
    received TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_address TEXT NOT NULL,
    to_recipients TEXT NOT NULL,
    is_read INTEGER NOT NULL,
    importance TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages (tenant_id, mailbox_id, received);
CREATE TABLE IF NOT EXISTS events (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mailbox_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    location TEXT NOT NULL,
    organizer_name TEXT NOT NULL,
    organizer_address TEXT NOT NULL,
    attendees TEXT NOT NULL,
    is_online_meeting INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS events_mailbox ON events (tenant_id, mailbox_id, start);
CREATE TABLE IF NOT EXISTS contacts (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mailbox_id TEXT NOT NULL,
    given_name TEXT NOT NULL,
    surname TEXT NOT NULL,
    email TEXT NOT NULL,
    company_name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    mobile_phone TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS contacts_mailbox ON contacts (tenant_id, mailbox_id, surname);
"""

Address = tuple[str, str]
"""A display name and an e-mail address."""


def iso(moment: datetime) -> str:
    """``2026-03-01T09:30:00Z``: how Graph writes ``receivedDateTime``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _email(address: Address) -> dict[str, Any]:
    return {"emailAddress": {"name": address[0], "address": address[1]}}


def _graph_time(value: str) -> dict[str, str]:
    """Graph's ``dateTimeTimeZone`` for a stored UTC time."""
    return {"dateTime": value.removesuffix("Z") + ".0000000", "timeZone": "UTC"}


@dataclass(frozen=True)
class Mailbox:
    """A user's mailbox, shaped like Graph's ``user`` (the directory side of it)."""

    id: str
    display_name: str
    given_name: str
    surname: str
    mail: str
    user_principal_name: str
    job_title: str
    office_location: str

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.display_name, "givenName": self.given_name,
                "surname": self.surname, "mail": self.mail,
                "userPrincipalName": self.user_principal_name, "jobTitle": self.job_title,
                "officeLocation": self.office_location}


@dataclass(frozen=True)
class Message:
    """An e-mail message (Graph ``message``, the fields a mail reader needs)."""

    id: str
    mailbox_id: str
    received: str
    subject: str
    body: str
    sender: Address
    to: tuple[Address, ...]
    is_read: bool
    importance: Literal["low", "normal", "high"]

    def to_graph(self) -> dict[str, Any]:
        preview = " ".join(self.body.split())
        return {"id": self.id, "receivedDateTime": self.received, "sentDateTime": self.received,
                "subject": self.subject, "bodyPreview": preview[:255],
                "importance": self.importance, "isRead": self.is_read,
                "from": _email(self.sender), "sender": _email(self.sender),
                "toRecipients": [_email(a) for a in self.to],
                "body": {"contentType": "text", "content": self.body}}


@dataclass(frozen=True)
class Event:
    """A calendar event (Graph ``event``)."""

    id: str
    mailbox_id: str
    subject: str
    body: str
    start: str
    end: str
    location: str
    organizer: Address
    attendees: tuple[Address, ...]
    is_online_meeting: bool

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject,
                "bodyPreview": " ".join(self.body.split())[:255],
                "body": {"contentType": "text", "content": self.body},
                "start": _graph_time(self.start), "end": _graph_time(self.end),
                "location": {"displayName": self.location}, "isAllDay": False,
                "isOnlineMeeting": self.is_online_meeting, "organizer": _email(self.organizer),
                "attendees": [{**_email(a), "type": "required"} for a in self.attendees]}


@dataclass(frozen=True)
class Contact:
    """A personal contact (Graph ``contact``)."""

    id: str
    mailbox_id: str
    given_name: str
    surname: str
    email: str
    company_name: str
    job_title: str
    mobile_phone: str

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}"

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.display_name, "givenName": self.given_name,
                "surname": self.surname,
                "emailAddresses": [{"name": self.display_name, "address": self.email}],
                "companyName": self.company_name, "jobTitle": self.job_title,
                "mobilePhone": self.mobile_phone}


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a collection; ``more`` says whether a next page exists."""

    items: list[T]
    more: bool


class MailStore:
    """Tenant-partitioned mail, calendar and contact data in one SQLite database.

    ``path`` is a file (kept between runs) or ``":memory:"`` (the default: the data lives
    as long as the process). Safe to share between threads.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._conn:
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _insert(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(sql, rows)

    # -- writes (seeding) ---------------------------------------------------------------

    def has_tenant(self, tenant_id: str) -> bool:
        """Whether any mailbox exists in ``tenant_id``."""
        return bool(self._query("SELECT 1 FROM mailboxes WHERE tenant_id = ? LIMIT 1",
                                (tenant_id,)))

    def add_mailboxes(self, tenant_id: str, mailboxes: Iterable[Mailbox]) -> None:
        self._insert("INSERT INTO mailboxes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (tenant_id, m.id, m.display_name, m.given_name, m.surname, m.mail,
             m.user_principal_name, m.job_title, m.office_location) for m in mailboxes))

    def add_messages(self, tenant_id: str, messages: Iterable[Message]) -> None:
        self._insert("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (tenant_id, m.id, m.mailbox_id, m.received, m.subject, m.body, m.sender[0],
             m.sender[1], json.dumps(m.to), int(m.is_read), m.importance) for m in messages))

    def add_events(self, tenant_id: str, events: Iterable[Event]) -> None:
        self._insert("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (tenant_id, e.id, e.mailbox_id, e.subject, e.body, e.start, e.end, e.location,
             e.organizer[0], e.organizer[1], json.dumps(e.attendees), int(e.is_online_meeting))
            for e in events))

    def add_contacts(self, tenant_id: str, contacts: Iterable[Contact]) -> None:
        self._insert("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (tenant_id, c.id, c.mailbox_id, c.given_name, c.surname, c.email, c.company_name,
             c.job_title, c.mobile_phone) for c in contacts))

    # -- reads ----------------------------------------------------------------------------

    def mailboxes(self, tenant_id: str, *, top: int, skip: int = 0) -> Page[Mailbox]:
        """The tenant's mailboxes by display name."""
        rows = self._query(
            "SELECT id, display_name, given_name, surname, mail, user_principal_name, "
            "job_title, office_location FROM mailboxes WHERE tenant_id = ? "
            "ORDER BY display_name, id LIMIT ? OFFSET ?", (tenant_id, top + 1, skip))
        return Page([Mailbox(*row) for row in rows[:top]], len(rows) > top)

    def find_mailbox(self, tenant_id: str, id_or_upn: str) -> Mailbox | None:
        """A mailbox of ``tenant_id`` by object id or user principal name (any case)."""
        rows = self._query(
            "SELECT id, display_name, given_name, surname, mail, user_principal_name, "
            "job_title, office_location FROM mailboxes WHERE tenant_id = ? "
            "AND (id = ? OR user_principal_name = ? COLLATE NOCASE)",
            (tenant_id, id_or_upn.lower(), id_or_upn))
        return Mailbox(*rows[0]) if rows else None

    def messages(self, tenant_id: str, mailbox_id: str, *, top: int, skip: int = 0,
                 is_read: bool | None = None) -> Page[Message]:
        """A mailbox's messages, newest first; ``is_read`` filters when given."""
        flag = None if is_read is None else int(is_read)
        rows = self._query(
            "SELECT id, mailbox_id, received, subject, body, sender_name, sender_address, "
            "to_recipients, is_read, importance FROM messages "
            "WHERE tenant_id = ? AND mailbox_id = ? AND (? IS NULL OR is_read = ?) "
            "ORDER BY received DESC, id LIMIT ? OFFSET ?",
            (tenant_id, mailbox_id, flag, flag, top + 1, skip))
        items = [Message(r[0], r[1], r[2], r[3], r[4], (r[5], r[6]),
                         tuple((a[0], a[1]) for a in json.loads(r[7])), bool(r[8]), r[9])
                 for r in rows[:top]]
        return Page(items, len(rows) > top)

    def events(self, tenant_id: str, mailbox_id: str, *, top: int,
               skip: int = 0) -> Page[Event]:
        """A mailbox's calendar, earliest first."""
        rows = self._query(
            "SELECT id, mailbox_id, subject, body, start, end, location, organizer_name, "
            "organizer_address, attendees, is_online_meeting FROM events "
            "WHERE tenant_id = ? AND mailbox_id = ? ORDER BY start, id LIMIT ? OFFSET ?",
            (tenant_id, mailbox_id, top + 1, skip))
        items = [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], (r[7], r[8]),
                       tuple((a[0], a[1]) for a in json.loads(r[9])), bool(r[10]))
                 for r in rows[:top]]
        return Page(items, len(rows) > top)

    def contacts(self, tenant_id: str, mailbox_id: str, *, top: int,
                 skip: int = 0) -> Page[Contact]:
        """A mailbox's contacts by surname."""
        rows = self._query(
            "SELECT id, mailbox_id, given_name, surname, email, company_name, job_title, "
            "mobile_phone FROM contacts WHERE tenant_id = ? AND mailbox_id = ? "
            "ORDER BY surname, given_name, id LIMIT ? OFFSET ?",
            (tenant_id, mailbox_id, top + 1, skip))
        return Page([Contact(*r) for r in rows[:top]], len(rows) > top)
