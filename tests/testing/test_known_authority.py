"""The local authority is known to MSAL while the fixture runs, and only it, and only then.

MSAL is given a recording ``http_client`` that answers discovery itself, so these tests
see exactly which URLs MSAL would fetch, without any network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msal
import pytest
from msal.authority import Authority

from credo.testing.known_authority import is_known, known_to_msal

LOCAL = "https://127.0.0.1:4443"
AUTHORITY = f"{LOCAL}/contoso.example"


@dataclass
class Answer:
    text: str
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        return None


@dataclass
class Recorder:
    """An MSAL ``http_client`` that records every URL and answers like an authority."""

    urls: list[str] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> Answer:
        self.urls.append(url)
        if url.endswith("/common/discovery/instance"):
            return Answer(json.dumps({"error": "invalid_instance"}))
        base = url.split("/v2.0/.well-known")[0]
        return Answer(json.dumps({"issuer": f"{base}/v2.0",
                                  "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                  "token_endpoint": f"{base}/oauth2/v2.0/token"}))

    def post(self, url: str, **kwargs: Any) -> Answer:
        raise AssertionError(f"unexpected POST {url}")

    def hosts(self) -> list[str]:
        return [str(urlsplit(url).netloc) for url in self.urls]


def build(authority: str, recorder: Recorder) -> Any:
    return msal.ConfidentialClientApplication("client-id", authority=authority,
                                              client_credential="secret",
                                              http_client=recorder)


def test_the_known_authority_skips_instance_discovery_and_alias_lookup() -> None:
    recorder = Recorder()
    with known_to_msal(LOCAL):
        app = build(AUTHORITY, recorder)
        assert app.get_accounts() == []  # no alias look-up at .../common/discovery/instance
    assert recorder.urls == [f"{AUTHORITY}/v2.0/.well-known/openid-configuration"]


def test_another_port_or_host_is_not_known() -> None:
    with known_to_msal(LOCAL):
        for other in ("https://127.0.0.1:4444/contoso.example", "https://localhost:4443/x",
                      "http://127.0.0.1:4443/contoso.example"):
            assert not is_known(other)
        recorder = Recorder()
        with pytest.raises(ValueError, match="invalid_instance"):  # what the recorder says
            build("https://127.0.0.1:4444/contoso.example", recorder)
        assert recorder.hosts() == ["login.microsoftonline.com"]


def test_msal_is_restored_when_the_fixture_ends() -> None:
    before = Authority.__init__  # already wrapped when a session fixture runs
    with known_to_msal(LOCAL):
        assert hasattr(Authority.__init__, "__credo_testing_original__")
    assert Authority.__init__ is before
    assert not is_known(AUTHORITY)


def test_nested_authorities_stay_known_until_their_own_end() -> None:
    original = Authority.__init__
    with known_to_msal(LOCAL):
        with known_to_msal("https://127.0.0.1:5443"):
            assert is_known(AUTHORITY) and is_known("https://127.0.0.1:5443/t")
        assert is_known(AUTHORITY) and not is_known("https://127.0.0.1:5443/t")
        recorder = Recorder()
        build(AUTHORITY, recorder)
        assert recorder.hosts() == ["127.0.0.1:4443"]
    assert Authority.__init__ is original
