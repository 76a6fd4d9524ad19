"""Test code written for Entra ID against a real Credo, offline (pytest plugin or unittest).

With pytest (the plugin is registered by installing Credo)::

    def test_daemon_reads_mail(credo_tenant):
        mail = credo_tenant.api("api://mail", app_roles=["Mail.Read"])
        daemon = credo_tenant.daemon("Mail daemon", certificate=True)
        credo_tenant.grant(daemon, mail, ["Mail.Read"])
        app = msal.ConfidentialClientApplication(
            daemon.client_id, authority=credo_tenant.authority_url,
            client_credential=daemon.certificate.msal_credential())
        assert "access_token" in app.acquire_token_for_client([mail.default_scope])

With unittest: ``cls.credo = cls.enterClassContext(credo.testing.serve())``, then
``cls.credo.tenant()``. docs/testing.md has the whole story.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credo.testing.authority import Authority, serve
    from credo.testing.credentials import CertificateFiles
    from credo.testing.graph import ManagementError
    from credo.testing.registrations import Api, App, User
    from credo.testing.server import ServerError
    from credo.testing.signin import SignInError
    from credo.testing.tenant import Tenant

_HOME = {
    "Api": "registrations", "App": "registrations", "User": "registrations",
    "Authority": "authority", "serve": "authority", "CertificateFiles": "credentials",
    "ManagementError": "graph", "ServerError": "server", "SignInError": "signin",
    "Tenant": "tenant",
}
__all__ = ["Api", "App", "Authority", "CertificateFiles", "ManagementError", "ServerError",
           "SignInError", "Tenant", "User", "serve"]


def __getattr__(name: str) -> Any:
    """Import on first use: pytest loads the plugin (a submodule) in every test run."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
