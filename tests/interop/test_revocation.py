"""Revoking an application permission reaches new tokens within the propagation bound.

Its own resource ("Revocable API"), so no other test depends on the order. The live server
runs with ``CREDO_CACHE_SECONDS=1``; the test polls (a fresh MSAL app each time, so neither
MSAL's token cache nor its 400-throttle answers) for at most ``PROPAGATION_SECONDS``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import msal
import pytest

from .harness import PROPAGATION_SECONDS, Interop, grant, poll

pytestmark = pytest.mark.slow


def _fresh_msal(interop: Interop) -> dict[str, Any]:
    app = msal.ConfidentialClientApplication(
        interop.daemon_app_id, authority=interop.authority(), instance_discovery=False,
        client_credential={"private_key": interop.cert.key_pem,
                           "thumbprint": interop.cert.sha1_hex})
    try:
        result: dict[str, Any] = app.acquire_token_for_client([interop.revocable.scope])
    finally:
        app.http_client.close()
    return result


def test_revoked_role_refused_within_bound_then_regranted(interop: Interop,
                                                          trust_ca: Path) -> None:
    resource = interop.revocable
    before = _fresh_msal(interop)
    assert "access_token" in before, before
    interop.validate(before["access_token"], resource, acr="2")

    assignment = interop.grants[resource.app_id]
    interop.api.call("DELETE", f"/servicePrincipals/{resource.sp_id}/appRoleAssignedTo/"
                     f"{assignment}", tenant=interop.domain)
    revoked_at = time.monotonic()

    def refused() -> dict[str, Any] | None:
        result = _fresh_msal(interop)
        if "access_token" in result:  # the old grant, still cached on the server: allowed
            interop.validate(result["access_token"], resource, acr="2")
            return None
        return result
    refusal = poll(refused, seconds=PROPAGATION_SECONDS, what="the revocation")
    assert time.monotonic() - revoked_at <= PROPAGATION_SECONDS
    # The Mail API's service principal requires assignment (the default): no roles left
    # means AADSTS501051, not a token without `roles`.
    assert refusal["error"] == "invalid_grant", refusal
    assert refusal["error_codes"] == [501051], refusal
    assert refusal["error_description"].startswith("AADSTS501051: "), refusal

    interop.grants[resource.app_id] = grant(interop.api, interop.domain, interop.daemon_sp_id,
                                            resource, "Mail.Read")

    def granted() -> dict[str, Any] | None:
        result = _fresh_msal(interop)
        return result if "access_token" in result else None
    again = poll(granted, what="the new grant")
    interop.validate(again["access_token"], resource, acr="2")
