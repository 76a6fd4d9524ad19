"""The ids and names of the built-in applications every deployment has (``credo init``).

A leaf module, so the directory can keep these names for the built-ins without importing the
management plane that uses them.
"""

from __future__ import annotations

MANAGEMENT_APP_ID = "c4ed0000-0000-4000-8000-000000000001"
PORTAL_APP_ID = "c4ed0000-0000-4000-8000-000000000002"
"""The built-in admin portal: a public client holding the management API's delegated
permissions in every tenant (service/portal.py)."""
MANAGEMENT_URI = "api://credo"
