"""requests-oauthlib's ``BackendApplicationClient`` against ``credo serve``.

Its default puts the secret in HTTP Basic (requests' ``HTTPBasicAuth``, values not
form-encoded first) and sends no ``client_id`` in the body. A returned ``scope`` that differs
from the one requested makes oauthlib raise, so the server must not send one.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from .harness import Interop
from .recording import form

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("explicit_auth", [False, True], ids=["default", "HTTPBasicAuth"])
def test_backend_application_client_basic_auth(interop: Interop, trust_ca: Path,
                                               explicit_auth: bool) -> None:
    responses: list[requests.Response] = []

    def keep(response: requests.Response) -> requests.Response:
        responses.append(response)
        return response

    session = OAuth2Session(client=BackendApplicationClient(client_id=interop.daemon_app_id))
    session.register_compliance_hook("access_token_response", keep)
    credentials: dict[str, Any] = (
        {"auth": HTTPBasicAuth(interop.daemon_app_id, interop.secret)} if explicit_auth
        else {"client_secret": interop.secret})
    with session:
        token = session.fetch_token(interop.token_endpoint(2), scope=[interop.mail.scope],
                                    **credentials)
    interop.validate(token["access_token"], interop.mail, acr="1")

    (response,) = responses
    assert response.status_code == 200
    raw = response.json()
    assert "scope" not in raw and "refresh_token" not in raw, raw
    assert raw["token_type"] == "Bearer" and raw["expires_in"] == 3599, raw
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert "no-store" in directives, response.headers  # Entra: "no-store, no-cache"
    assert response.headers["Pragma"] == "no-cache", response.headers

    sent = response.request
    body = form(sent.body)
    assert body == {"grant_type": "client_credentials", "scope": interop.mail.scope}, body
    basic = base64.b64encode(f"{interop.daemon_app_id}:{interop.secret}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {basic}"
