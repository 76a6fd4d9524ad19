"""``credo.testing.serve()``, the context manager under the fixtures (and unittest's way in):
while it runs the server answers and the process trusts it; afterwards the server is gone,
its directory removed, and ``os.environ`` and MSAL are exactly as before."""

from __future__ import annotations

import os
import signal
import unittest
from pathlib import Path

import pytest
from msal.authority import Authority as MsalAuthority

import credo.testing
from credo.testing import server
from credo.testing.known_authority import is_known

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_undoes_everything_when_it_ends() -> None:
    environment, msal_init = dict(os.environ), MsalAuthority.__init__
    with credo.testing.serve() as authority:
        assert authority.url.startswith("https://127.0.0.1:")
        assert _alive(authority.pid) and is_known(f"{authority.url}/tenant")
        assert os.environ["SSL_CERT_FILE"] == str(authority.ca_bundle)
        tenant = authority.tenant()
        assert tenant.call("GET", "/organization")["value"][0]["id"] == tenant.id
        directory, startup = authority.directory, authority.startup_seconds
    assert startup > 0
    assert not _alive(authority.pid) and not directory.exists()
    assert dict(os.environ) == environment and MsalAuthority.__init__ is msal_init
    assert not is_known(f"{authority.url}/tenant")


def test_serve_in_a_given_directory_keeps_the_log(tmp_path: Path) -> None:
    with credo.testing.serve(tmp_path) as authority:
        log = authority.log_path
    assert log.is_relative_to(tmp_path) and "Credo on https://127.0.0.1:" in log.read_text()


def test_a_hung_server_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "GRACE_SECONDS", 0.2)
    monkeypatch.setattr(server, "STOP_SECONDS", 0.2)
    with credo.testing.serve(tmp_path) as authority:
        os.kill(authority.pid, signal.SIGSTOP)  # stopped: SIGTERM and SIGINT wait forever
    assert not _alive(authority.pid)


class UnittestUsage(unittest.TestCase):
    """The documented unittest pattern, run by pytest's unittest support."""

    credo: credo.testing.Authority

    @classmethod
    def setUpClass(cls) -> None:
        cls.credo = cls.enterClassContext(credo.testing.serve())

    def setUp(self) -> None:
        self.tenant = self.enterContext(self.credo.tenant())

    def test_a_daemon_gets_a_token(self) -> None:
        import msal

        mail = self.tenant.api("api://unittest-mail", app_roles=["Mail.Read"])
        daemon = self.tenant.daemon("unittest daemon", certificate=True)
        self.tenant.grant(daemon, mail, "Mail.Read")
        assert daemon.certificate is not None
        app = msal.ConfidentialClientApplication(
            daemon.client_id, authority=self.tenant.authority_url,
            client_credential=daemon.certificate.msal_credential())
        self.assertIn("access_token", app.acquire_token_for_client([mail.default_scope]))
