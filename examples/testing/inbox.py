"""The code under test: a daemon and a web app that call a mail API, written for Entra ID.

Nothing here knows about Credo. The authority, client id and credentials come from
configuration, exactly as in production (``https://login.microsoftonline.com/<tenant>``);
the tests in this directory point them at a local Credo instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msal
from azure.identity import DefaultAzureCredential

MAIL = "api://mail"


def token_with_certificate(authority: str, client_id: str, cert_path: Path,
                           key_path: Path) -> str:
    """An app-only token for the mail API, signed in with the daemon's certificate."""
    credential = {"private_key": key_path.read_text(),
                  "public_certificate": cert_path.read_text()}
    app = msal.ConfidentialClientApplication(client_id, authority=authority,
                                             client_credential=credential)
    result = app.acquire_token_for_client([f"{MAIL}/.default"])
    if "access_token" not in result:
        raise PermissionError(result.get("error_description"))
    return str(result["access_token"])


def token_from_environment() -> str:
    """The same with azure-identity, configured by ``AZURE_*`` environment variables."""
    return DefaultAzureCredential().get_token(f"{MAIL}/.default").token


class WebSignIn:
    """A web app's sign-in: send the user to ``flow["auth_uri"]``, finish at the redirect."""

    def __init__(self, authority: str, client_id: str, secret: str, redirect_uri: str) -> None:
        self.app = msal.ConfidentialClientApplication(client_id, authority=authority,
                                                      client_credential=secret)
        self.redirect_uri = redirect_uri

    def start(self) -> dict[str, Any]:
        return dict(self.app.initiate_auth_code_flow(
            [f"{MAIL}/Mail.Read"], redirect_uri=self.redirect_uri, response_mode="form_post"))

    def finish(self, flow: dict[str, Any], auth_response: dict[str, str]) -> dict[str, Any]:
        result = dict(self.app.acquire_token_by_auth_code_flow(flow, auth_response))
        if "access_token" not in result:
            raise PermissionError(result.get("error_description"))
        return result
