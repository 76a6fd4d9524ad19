"""The ADAL v1 flow: a hand-made adal 1.2.7 request, then Credo's ``credo.client.adal``.

ADAL does no discovery: it posts to ``{authority}/oauth2/token`` with the
tenant as written, an RS256 assertion with a padded ``x5t``, ``nbf`` + ``exp`` and no ``iat``,
and ``resource=``. Entra's v1 answer has its numbers as strings and echoes ``resource``.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
import pytest
import requests

from credo.client.adal import AuthenticationContext

from .harness import ASSERTION_TYPE, Interop, Resource

pytestmark = pytest.mark.slow


def _adal_request(interop: Interop, resource: Resource) -> requests.Response:
    """What adal 1.2.7's ``acquire_token_with_client_certificate`` sends."""
    endpoint = interop.token_endpoint(1, "domain")
    now = int(time.time())
    x5t = base64.urlsafe_b64encode(interop.cert.thumbprints.sha1).decode()  # padded
    assertion = jwt.encode(
        {"aud": endpoint, "iss": interop.daemon_app_id, "sub": interop.daemon_app_id,
         "jti": str(uuid.uuid4()), "nbf": now, "exp": now + 600},
        interop.cert.key_pem, algorithm="RS256", headers={"typ": "JWT", "x5t": x5t})
    request_id = str(uuid.uuid4())
    return requests.post(endpoint, verify=interop.ca, timeout=30, data={
        "grant_type": "client_credentials", "client_id": interop.daemon_app_id,
        "resource": resource.uri, "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }, headers={"Accept-Charset": "utf-8", "client-request-id": request_id,
                "return-client-request-id": "true", "x-client-SKU": "Python",
                "x-client-Ver": "1.2.7", "x-client-OS": "linux", "x-client-CPU": "x64"})


def _check_v1_response(body: dict[str, Any], resource: Resource,
                       claims: dict[str, Any]) -> None:
    """v1 numbers are strings; ``expires_on``/``not_before`` match the token's exp/nbf."""
    for name in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[name], str) and body[name].isdigit(), (name, body)
    assert body["expires_in"] == "3599", body
    assert body["token_type"] == "Bearer" and body["resource"] == resource.uri, body
    assert body["expires_on"] == str(claims["exp"]), (body, claims)
    assert body["not_before"] == str(claims["nbf"]), (body, claims)
    assert "scope" not in body and "refresh_token" not in body, body


def test_raw_adal_v1_request(interop: Interop) -> None:
    response = _adal_request(interop, interop.mail)
    assert response.status_code == 200, response.text
    body = response.json()
    claims = interop.validate(body["access_token"], interop.mail, acr="2")
    _check_v1_response(body, interop.mail, claims)
    assert claims["aud"] == "api://mail-interop"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Pragma"] == "no-cache"


def test_raw_adal_v1_request_for_a_v2_resource_gets_a_v2_token(interop: Interop) -> None:
    """The token version follows the resource's requestedAccessTokenVersion, not the endpoint."""
    response = _adal_request(interop, interop.v2)
    assert response.status_code == 200, response.text
    body = response.json()
    claims = interop.validate(body["access_token"], interop.v2, acr="2")
    _check_v1_response(body, interop.v2, claims)


def test_credo_adal_authentication_context(interop: Interop) -> None:
    with AuthenticationContext(interop.authority(), verify=interop.ca) as context:
        result = context.acquire_token_with_client_certificate(
            interop.mail.uri, interop.daemon_app_id, interop.cert.key_pem,
            interop.cert.sha1_hex)
        again = context.acquire_token_with_client_certificate(
            interop.mail.uri, interop.daemon_app_id, interop.cert.key_pem,
            interop.cert.sha1_hex)
    interop.validate(result["accessToken"], interop.mail, acr="2")
    assert result["tokenType"] == "Bearer" and result["resource"] == interop.mail.uri, result
    assert result["expiresIn"] == 3599 and result["isMRRT"] is True, result
    assert again["accessToken"] == result["accessToken"]  # ADAL's cache


def test_credo_adal_client_secret(interop: Interop) -> None:
    with AuthenticationContext(interop.authority("guid"), verify=interop.ca) as context:
        result = context.acquire_token_with_client_credentials(
            interop.mail.uri, interop.daemon_app_id, interop.secret)
    interop.validate(result["accessToken"], interop.mail, acr="1")
