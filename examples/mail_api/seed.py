"""Realistic demo data for one tenant: five people, their mail, calendars and contacts.

Everything is deterministic for a given tenant id: object ids are UUIDv5 of the tenant and
the item, so two runs (or two API processes) agree on ids. Times are relative to ``now``
so that the inbox always looks like this week's mail. Addresses use the tenant's domain
(``ana.torres@contoso.example``); outside senders use ``*.example`` domains (RFC 2606).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from examples.mail_api.store import Address, Contact, Event, Mailbox, MailStore, Message, iso

NAMESPACE = uuid.UUID("6d1c0c5e-3c1f-4f7e-9a53-5d8f1c7a2b90")
"""The UUIDv5 namespace of the sample data's ids."""


@dataclass(frozen=True)
class Person:
    given_name: str
    surname: str
    alias: str
    job_title: str
    office: str


PEOPLE: tuple[Person, ...] = (
    Person("Ana", "Torres", "ana.torres", "Chief Financial Officer", "Building 1, 4.02"),
    Person("Ben", "Okafor", "ben.okafor", "IT Operations Lead", "Building 2, 1.17"),
    Person("Chloé", "Martin", "chloe.martin", "Marketing Manager", "Building 1, 2.11"),
    Person("Dmitri", "Ivanov", "dmitri.ivanov", "Sales Director", "Building 1, 3.05"),
    Person("Priya", "Nair", "priya.nair", "Software Engineer", "Building 2, 2.20"),
)
ANA, BEN, CHLOE, DMITRI, PRIYA = range(5)

NORTHWIND_BILLING: Address = ("Northwind Traders Billing", "billing@northwind.example")
FABRIKAM_TRAVEL: Address = ("Fabrikam Travel", "bookings@fabrikam.example")
TAILSPIN: Address = ("Tailspin Toys Purchasing", "purchasing@tailspintoys.example")
STATUS_PAGE: Address = ("Litware Status", "noreply@status.litware.example")

Sender = int | Address
"""A colleague (an index into ``PEOPLE``) or someone outside the tenant."""


@dataclass(frozen=True)
class MailSpec:
    to: int
    sender: Sender
    subject: str
    body: str
    hours_ago: float
    is_read: bool
    importance: Literal["low", "normal", "high"] = "normal"


MAIL: tuple[MailSpec, ...] = (
    MailSpec(ANA, NORTHWIND_BILLING, "Invoice INV-20931 is due on Friday",
             "Dear Ana,\n\nInvoice INV-20931 for the March hardware order (EUR 18,420.00) is "
             "due this Friday. Please let us know if you need a copy of the delivery notes."
             "\n\nKind regards,\nNorthwind Traders Billing", 2, False, "high"),
    MailSpec(ANA, DMITRI, "Q3 forecast: draft for your review",
             "Hi Ana,\n\nAttached is the draft Q3 forecast. Pipeline is up 12% on Q2, mostly "
             "from the Tailspin renewal. Can we go through the assumptions on Thursday?\n\n"
             "Dmitri", 5, False),
    MailSpec(ANA, BEN, "Laptop refresh approved",
             "Ana, the laptop refresh for the finance team is approved and scheduled for "
             "next Tuesday. Nobody needs to back anything up; OneDrive sync covers it.\n\nBen",
             30, True),
    MailSpec(ANA, CHLOE, "Budget for the spring campaign",
             "Hi Ana, could we move EUR 6,000 from events to paid search for the spring "
             "campaign? The webinar series is performing better than the trade show did.\n\n"
             "Thanks, Chloé", 52, True),
    MailSpec(BEN, STATUS_PAGE, "Resolved: elevated latency in West Europe",
             "The incident affecting API latency in West Europe between 06:10 and 06:55 UTC "
             "is resolved. A post-incident report will follow within 5 business days.",
             1, False),
    MailSpec(BEN, PRIYA, "Deploy window for the billing service",
             "Hi Ben,\n\nCould we get a deploy window on Wednesday 18:00-19:00 for the billing "
             "service? The migration is backwards compatible and takes under a minute.\n\n"
             "Priya", 3, False),
    MailSpec(BEN, ANA, "Laptop refresh: thank you",
             "Thanks Ben, Tuesday works for the whole team.\n\nAna", 28, True),
    MailSpec(CHLOE, TAILSPIN, "Co-marketing proposal for the summer launch",
             "Hello Chloé,\n\nFollowing our call, here is the co-marketing proposal for the "
             "summer launch: a joint webinar, two case studies and a shared booth at "
             "RetailTech. Happy to discuss budget split.\n\nBest,\nTailspin Toys", 4, False),
    MailSpec(CHLOE, ANA, "Re: Budget for the spring campaign",
             "Chloé, yes, move the EUR 6,000. Please send me the updated plan so I can file "
             "it with the Q2 numbers.\n\nAna", 26, True),
    MailSpec(CHLOE, FABRIKAM_TRAVEL, "Your trip to Lisbon is confirmed",
             "Booking FT-7Q2K9: flights on 14 May, return 17 May, Hotel Avenida (3 nights). "
             "Check-in opens 24 hours before departure.", 75, True, "low"),
    MailSpec(DMITRI, TAILSPIN, "Renewal: signed order form",
             "Dmitri,\n\nPlease find the signed order form for the three-year renewal. Our "
             "procurement team will send the PO number by Monday.\n\nRegards,\nTailspin Toys",
             6, False, "high"),
    MailSpec(DMITRI, ANA, "Re: Q3 forecast: draft for your review",
             "Thursday 10:00 works. Can you add a downside scenario without the Tailspin "
             "renewal?\n\nAna", 4.5, False),
    MailSpec(DMITRI, CHLOE, "Customer stories for the sales deck",
             "Hi Dmitri, the three customer stories are ready for the sales deck; they are "
             "in the Marketing site under Assets > 2026.\n\nChloé", 50, True),
    MailSpec(PRIYA, BEN, "Re: Deploy window for the billing service",
             "Wednesday 18:00 is yours. Please post in #ops when you start and finish.\n\nBen",
             2.5, False),
    MailSpec(PRIYA, STATUS_PAGE, "Scheduled maintenance: build agents",
             "Build agents will be unavailable on Saturday 02:00-04:00 UTC for an operating "
             "system upgrade. Queued jobs will resume automatically.", 20, True, "low"),
    MailSpec(PRIYA, DMITRI, "Quick question about the API limits",
             "Priya, a customer asks whether the 1,000 requests per minute limit is per "
             "tenant or per app. Could you confirm?\n\nThanks, Dmitri", 7, False),
)


@dataclass(frozen=True)
class EventSpec:
    organizer: int
    attendees: tuple[int, ...]
    subject: str
    body: str
    days_ahead: int
    hour: int
    minutes: int
    location: str
    online: bool


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(ANA, (BEN, CHLOE, DMITRI, PRIYA), "Weekly leadership sync",
              "Standing agenda: numbers, risks, hiring.", 1, 9, 30, "Room 4.01 Lisbon", True),
    EventSpec(DMITRI, (ANA,), "Q3 forecast review",
              "Walk through the draft forecast and the downside scenario.", 2, 10, 60,
              "Room 3.02 Porto", False),
    EventSpec(BEN, (PRIYA,), "Billing service deploy",
              "Deploy window for the billing service migration.", 3, 18, 60, "Teams", True),
    EventSpec(CHLOE, (DMITRI,), "Tailspin co-marketing call",
              "Review the co-marketing proposal with Tailspin Toys.", 4, 15, 45, "Teams", True),
    EventSpec(PRIYA, (BEN, CHLOE), "Lunch & learn: OAuth for daemons",
              "Client credentials, certificates and app roles in 45 minutes.", 5, 12, 45,
              "Cafeteria stage", False),
)


@dataclass(frozen=True)
class ContactSpec:
    given_name: str
    surname: str
    email: str
    company: str
    job_title: str
    mobile: str


CONTACTS: tuple[ContactSpec, ...] = (
    ContactSpec("Grace", "Liu", "grace.liu@northwind.example", "Northwind Traders",
                "Account Manager", "+1 425 555 0142"),
    ContactSpec("Miguel", "Santos", "miguel.santos@tailspintoys.example", "Tailspin Toys",
                "Head of Procurement", "+351 21 555 0178"),
    ContactSpec("Hannah", "Becker", "hannah.becker@fabrikam.example", "Fabrikam",
                "Travel Consultant", "+49 30 555 0113"),
    ContactSpec("Omar", "Haddad", "omar.haddad@litware.example", "Litware",
                "Solutions Architect", "+44 20 7946 0958"),
    ContactSpec("Yuki", "Tanaka", "yuki.tanaka@wingtip.example", "Wingtip Toys",
                "Marketing Director", "+81 3 5555 0199"),
)

CONTACTS_OF: dict[int, tuple[int, ...]] = {
    ANA: (0, 1, 2), BEN: (3, 0), CHLOE: (4, 1, 2), DMITRI: (1, 0, 4, 3), PRIYA: (3, 4)}


def _id(tenant_id: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join([tenant_id, *map(str, parts)])))


def mailboxes_for(tenant_id: str, domain: str) -> list[Mailbox]:
    """The tenant's five mailboxes (``ana.torres@<domain>`` …)."""
    return [Mailbox(id=_id(tenant_id, "user", p.alias),
                    display_name=f"{p.given_name} {p.surname}", given_name=p.given_name,
                    surname=p.surname, mail=f"{p.alias}@{domain}",
                    user_principal_name=f"{p.alias}@{domain}", job_title=p.job_title,
                    office_location=p.office)
            for p in PEOPLE]


def seed_tenant(store: MailStore, tenant_id: str, domain: str, *,
                now: datetime | None = None) -> list[Mailbox]:
    """Fill ``store`` with the demo data of ``tenant_id``; does nothing if it has data.

    Returns the tenant's mailboxes.
    """
    tenant_id, domain = tenant_id.lower(), domain.lower()
    boxes = mailboxes_for(tenant_id, domain)
    if store.has_tenant(tenant_id):
        return boxes
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    address: list[Address] = [(b.display_name, b.mail) for b in boxes]

    def who(sender: Sender) -> Address:
        return address[sender] if isinstance(sender, int) else sender

    messages = [Message(id=_id(tenant_id, "message", n), mailbox_id=boxes[m.to].id,
                        received=iso(now - timedelta(hours=m.hours_ago)), subject=m.subject,
                        body=m.body, sender=who(m.sender), to=(address[m.to],),
                        is_read=m.is_read, importance=m.importance)
                for n, m in enumerate(MAIL)]
    today = now.replace(hour=0, minute=0, second=0)
    events: list[Event] = []
    for n, e in enumerate(EVENTS):
        start = today + timedelta(days=e.days_ahead, hours=e.hour)
        for member in (e.organizer, *e.attendees):
            events.append(Event(
                id=_id(tenant_id, "event", n, member), mailbox_id=boxes[member].id,
                subject=e.subject, body=e.body, start=iso(start),
                end=iso(start + timedelta(minutes=e.minutes)), location=e.location,
                organizer=address[e.organizer],
                attendees=tuple(address[a] for a in e.attendees), is_online_meeting=e.online))
    contacts = [Contact(id=_id(tenant_id, "contact", owner, c), mailbox_id=boxes[owner].id,
                        given_name=CONTACTS[c].given_name, surname=CONTACTS[c].surname,
                        email=CONTACTS[c].email, company_name=CONTACTS[c].company,
                        job_title=CONTACTS[c].job_title, mobile_phone=CONTACTS[c].mobile)
                for owner, picks in CONTACTS_OF.items() for c in picks]
    store.add_mailboxes(tenant_id, boxes)
    store.add_messages(tenant_id, messages)
    store.add_events(tenant_id, events)
    store.add_contacts(tenant_id, contacts)
    return boxes
