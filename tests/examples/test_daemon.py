"""The daemon against the mail API in process: the table, paging, and its refusals.

The token step is replaced (the slow demo test runs it against a real Credo with both
``credo.client`` and MSAL); everything after it is the daemon's real code, talking HTTP to
the real API app through a bridge from a blocking ``httpx.Client`` to the ASGI app.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import examples.daemon as daemon
import httpx
import pytest
from example_fakes import CONTOSO, MAIL_API_ID, MAIL_API_URI, FakeAuthority, app_claims, sign
from examples.mail_api import MailStore, Settings, create_app
from examples.mail_api.seed import MAIL, PEOPLE
from rich.console import Console

API = "https://mail.test"
ARGS = ["--authority", "https://login.credo.test/contoso.example", "--client-id", "daemon",
        "--cert", "daemon.pem", "--key", "daemon.key.pem", "--api", API]


def bridge(app: Any) -> httpx.MockTransport:
    """A blocking transport that hands each request to the ASGI app."""
    def handle(request: httpx.Request) -> httpx.Response:
        async def forward() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
                return await client.request(request.method, request.url,
                                            headers=request.headers, content=request.content)
        answer = asyncio.run(forward())
        return httpx.Response(answer.status_code, headers=answer.headers,
                              content=answer.content)
    return httpx.MockTransport(handle)


@pytest.fixture
def api_transport(authority: FakeAuthority) -> Any:
    store = MailStore()
    app = create_app(Settings(authority="https://login.credo.test/contoso.example",
                              audiences=(MAIL_API_URI, MAIL_API_ID),
                              seed=((CONTOSO, "contoso.example"),),
                              validator=authority.validator()), store=store)
    yield bridge(app)
    store.close()


def run(monkeypatch: pytest.MonkeyPatch, transport: httpx.MockTransport, token: str,
        *extra: str) -> tuple[int, str]:
    """``daemon.main`` with the token step replaced; returns (exit status, what it printed)."""
    monkeypatch.setattr(daemon, "token_with_credo",
                        lambda options: daemon.Token.of(token, "credo.client"))
    monkeypatch.setattr(daemon, "api_client", lambda options, token: httpx.Client(
        transport=transport, headers={"Authorization": f"Bearer {token.value}"}))
    console = Console(record=True, width=140, force_terminal=False)
    status = daemon.main([*ARGS, *extra], console=console)
    return status, console.export_text()


def test_lists_every_mailboxs_unread_mail(monkeypatch: pytest.MonkeyPatch,
                                          api_transport: httpx.MockTransport,
                                          signing_key: Any) -> None:
    token = sign(signing_key, app_claims(roles=("Mail.Read",)))
    status, printed = run(monkeypatch, api_transport, token, "--page-size", "1")
    unread = [m for m in MAIL if not m.is_read]
    assert status == 0, printed
    assert "credo.client token (app-only) with roles: Mail.Read" in printed
    assert (f"Unread mail in contoso.example: {len(unread)} messages in {len(PEOPLE)} "
            "mailboxes") in printed
    for message in unread:  # page size 1: every message came from following nextLink
        assert message.subject in printed
    assert all(m.subject not in printed for m in MAIL if m.is_read)


def test_api_refusal_is_printed_and_exits_4(monkeypatch: pytest.MonkeyPatch,
                                            api_transport: httpx.MockTransport,
                                            signing_key: Any) -> None:
    token = sign(signing_key, app_claims(roles=("Calendars.Read",)))
    status, printed = run(monkeypatch, api_transport, token)
    assert status == daemon.API_REFUSED
    assert "HTTP 403 insufficient_scope" in printed
    assert "The token lacks the application permission 'Mail.Read'." in printed

    status, printed = run(monkeypatch, api_transport, "not-a-token")
    assert status == daemon.API_REFUSED
    assert "HTTP 401 invalid_token" in printed


def test_token_refusal_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(options: daemon.Options) -> daemon.Token:
        raise daemon.TokenRefused("invalid_grant", daemon.sentence(
            "AADSTS501051: Application 'x'(Mail daemon) is not assigned to a role for the "
            "application 'api://mail'(Mail API). Trace ID: 1 Correlation ID: 2 Timestamp: 3"),
            [501051])
    monkeypatch.setattr(daemon, "token_with_credo", refuse)
    console = Console(record=True, width=140)
    assert daemon.main(ARGS, console=console) == daemon.TOKEN_REFUSED
    printed = console.export_text()
    assert "refused the token request (invalid_grant)" in printed
    assert "AADSTS501051" in printed and "Trace ID" not in printed


def test_refusal_reads_the_rfc6750_challenge_first() -> None:
    challenge = httpx.Response(403, headers={"WWW-Authenticate": 'Bearer realm="api://mail", '
                               'error="insufficient_scope", error_description="needs \\"x\\""'},
                               json={"error": "other", "error_description": "body"},
                               request=httpx.Request("GET", f"{API}/v1.0/users"))
    refused = daemon._refusal(challenge)
    assert (refused.status, refused.error) == (403, "insufficient_scope")
    assert refused.description == 'needs \\"x\\"'
    graph = httpx.Response(401, json={"error": {"code": "InvalidAuthenticationToken",
                                                "message": "Access token is empty."}},
                           request=httpx.Request("GET", f"{API}/v1.0/users"))
    assert daemon._refusal(graph).error == "InvalidAuthenticationToken"
    assert daemon._refusal(graph).description == "Access token is empty."


def test_msal_variant_points_requests_at_the_ca(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """MSAL's ``requests`` prefers ``REQUESTS_CA_BUNDLE`` over ``verify=``: the daemon sets
    it to ``--ca`` (the machine may point it at the system bundle)."""
    seen: dict[str, Any] = {}

    class FakeMsal:
        def __init__(self, client_id: str, **options: Any) -> None:
            seen.update(options, client_id=client_id)

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
            seen["scopes"] = scopes
            return {"error": "invalid_client", "error_codes": [700027],
                    "error_description": "AADSTS700027: bad assertion. Trace ID: t"}

    import msal

    monkeypatch.setattr(msal, "ConfidentialClientApplication", FakeMsal)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # restored after the test
        monkeypatch.setenv(name, "/etc/ssl/certs/ca-certificates.crt")
    (tmp_path / "d.pem").write_text("CERT")
    (tmp_path / "d.key.pem").write_text("KEY")
    options = daemon.parse_args([*ARGS[:4], "--cert", str(tmp_path / "d.pem"), "--key",
                                 str(tmp_path / "d.key.pem"), "--api", API, "--msal",
                                 "--ca", str(tmp_path / "ca.pem")])
    with pytest.raises(daemon.TokenRefused) as refused:
        daemon.token_with_msal(options)
    assert refused.value.description == "AADSTS700027: bad assertion."
    assert refused.value.codes == [700027]
    assert seen["instance_discovery"] is False
    assert seen["client_credential"] == {"private_key": "KEY", "public_certificate": "CERT"}
    assert seen["scopes"] == ["api://mail/.default"]
    assert os.environ["REQUESTS_CA_BUNDLE"] == str(tmp_path / "ca.pem")
