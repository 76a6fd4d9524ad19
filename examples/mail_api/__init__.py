"""A sample Office-365-style API: mailboxes, messages, calendar events and contacts.

``create_app(Settings(...))`` builds the FastAPI app; ``python -m examples.mail_api`` runs
it with uvicorn. The access rules are in ``examples.mail_api.app``; the storage (SQLite)
in ``examples.mail_api.store``; the demo tenant's data in ``examples.mail_api.seed``.
"""

from examples.mail_api.app import Settings, create_app
from examples.mail_api.store import MailStore

__all__ = ["MailStore", "Settings", "create_app"]
