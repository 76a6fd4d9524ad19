"""Refusals as the real clients see them: Entra's error shape, 4xx (never 5xx), no retries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import PipelineResponse
from azure.identity import ClientSecretCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential

from .harness import Interop
from .recording import RecordingSession

pytestmark = pytest.mark.slow
ERROR_KEYS = {"error", "error_description", "error_codes", "timestamp", "trace_id",
              "correlation_id"}
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")


def _check_error_body(body: dict[str, Any], error: str, code: int) -> None:
    """docs/protocol.md, "Errors": Entra's shape, the AADSTS code first in the description."""
    assert body.keys() >= ERROR_KEYS, body
    assert body["error"] == error and body["error_codes"] == [code], body
    assert body["error_description"].startswith(f"AADSTS{code}: "), body
    assert _TIMESTAMP.fullmatch(body["timestamp"]), body


class StatusRecorder:
    """azure-core ``raw_response_hook``: every (method, status) the pipeline saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def __call__(self, response: PipelineResponse[Any, Any]) -> None:
        self.seen.append((response.http_request.method, response.http_response.status_code))

    @property
    def posts(self) -> list[int]:
        return [status for method, status in self.seen if method == "POST"]


def test_msal_unregistered_certificate(interop: Interop, trust_ca: Path,
                                       wire: RecordingSession) -> None:
    app = msal.ConfidentialClientApplication(
        interop.daemon_app_id, authority=interop.authority(), instance_discovery=False,
        client_credential={"private_key": interop.stranger.key_pem,
                           "thumbprint": interop.stranger.sha1_hex}, http_client=wire)
    result = app.acquire_token_for_client([interop.mail.scope])
    assert "access_token" not in result, result
    assert result["error"] == "invalid_client" and result["error_codes"] == [700027], result
    ((headers, response),) = wire.exchanges
    assert response.status_code == 401, response.text
    _check_error_body(response.json(), "invalid_client", 700027)
    assert response.json()["correlation_id"] == headers["client-request-id"], response.text


def test_azure_identity_wrong_secret_is_not_retried(interop: Interop) -> None:
    statuses = StatusRecorder()
    credential = ClientSecretCredential(
        interop.domain, interop.daemon_app_id, "not-the-secret~" + "x" * 24,
        authority=interop.url, disable_instance_discovery=True, connection_verify=interop.ca,
        raw_response_hook=statuses)
    with credential, pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(interop.mail.scope)
    assert "AADSTS7000215" in str(raised.value), raised.value
    assert statuses.posts == [401], statuses.seen  # one 4xx answer: azure-core did not retry


async def test_azure_identity_aio_unregistered_certificate(interop: Interop) -> None:
    statuses = StatusRecorder()
    credential = AsyncCertificateCredential(
        interop.domain, interop.daemon_app_id,
        certificate_path=str(interop.stranger.combined_path), authority=interop.url,
        disable_instance_discovery=True, connection_verify=interop.ca,
        raw_response_hook=statuses)
    async with credential:
        with pytest.raises(ClientAuthenticationError) as raised:
            await credential.get_token(interop.mail.scope)
    assert "AADSTS700027" in str(raised.value), raised.value
    assert statuses.posts == [401], statuses.seen
