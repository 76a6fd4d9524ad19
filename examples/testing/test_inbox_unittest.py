"""The same helpers for unittest: ``python -m unittest test_inbox_unittest``.

``credo.testing.serve()`` is the context manager behind the pytest fixtures; a tenant used
as a context manager deletes the applications it registered when the test ends.
"""

from __future__ import annotations

import unittest

import inbox

import credo.testing


class InboxTests(unittest.TestCase):
    credo: credo.testing.Authority

    @classmethod
    def setUpClass(cls) -> None:
        cls.credo = cls.enterClassContext(credo.testing.serve())

    def setUp(self) -> None:
        self.tenant = self.enterContext(self.credo.tenant())
        self.mail = self.tenant.api(inbox.MAIL, app_roles=["Mail.Read"])

    def test_daemon_with_a_secret_through_the_environment(self) -> None:
        daemon = self.tenant.daemon("Inbox daemon", secret=True)
        self.tenant.grant(daemon, self.mail, ["Mail.Read"])
        with self.tenant.azure_environment(daemon):
            self.assertTrue(inbox.token_from_environment())

    def test_daemon_without_consent_is_refused(self) -> None:
        daemon = self.tenant.daemon("Inbox daemon", certificate=True)
        with self.assertRaisesRegex(PermissionError, "AADSTS501051"):
            inbox.token_with_certificate(self.tenant.authority_url, daemon.client_id,
                                         daemon.certificate.cert_path,
                                         daemon.certificate.key_path)


if __name__ == "__main__":
    unittest.main()
