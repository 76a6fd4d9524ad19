"""``credo.testing.environment``: every change to ``os.environ`` is undone; the CA bundle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from credo.testing.environment import (
    AZURE_CREDENTIAL_VARIABLES,
    CA_VARIABLES,
    patched_environ,
    trusted_ca,
)

CA = "-----BEGIN CERTIFICATE-----\nQ1JFRE8=\n-----END CERTIFICATE-----\n"
OTHER = "-----BEGIN CERTIFICATE-----\nT1RIRVI=\n-----END CERTIFICATE-----\n"


def test_patched_environ_sets_unsets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_T_KEEP", "before")
    monkeypatch.setenv("CREDO_T_GONE", "present")
    monkeypatch.delenv("CREDO_T_NEW", raising=False)
    before = dict(os.environ)
    with patched_environ({"CREDO_T_KEEP": "during", "CREDO_T_NEW": "new"},
                         unset=("CREDO_T_GONE",)):
        assert (os.environ["CREDO_T_KEEP"], os.environ["CREDO_T_NEW"]) == ("during", "new")
        assert "CREDO_T_GONE" not in os.environ
    assert dict(os.environ) == before


def test_patched_environ_restores_after_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_T_KEEP", "before")
    before = dict(os.environ)
    with pytest.raises(RuntimeError), patched_environ({"CREDO_T_KEEP": "x", "CREDO_T_NEW": "y"}):
        raise RuntimeError("the test failed")
    assert dict(os.environ) == before


def test_trusted_ca_adds_credo_before_what_was_trusted(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ca, other = tmp_path / "ca.pem", tmp_path / "corporate.pem"
    ca.write_text(CA)
    other.write_text(OTHER)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    before = {name: os.environ.get(name) for name in CA_VARIABLES}
    with trusted_ca(ca, tmp_path / "bundle.pem") as bundle:
        assert {os.environ[name] for name in CA_VARIABLES} == {str(bundle)}
        text = bundle.read_text()
        assert text.startswith(CA) and OTHER.strip() in text
    assert {name: os.environ.get(name) for name in CA_VARIABLES} == before


def test_azure_variables_cover_every_credential_environment_credential_reads() -> None:
    from azure.identity._constants import EnvironmentVariables

    read = {*EnvironmentVariables.CLIENT_SECRET_VARS, *EnvironmentVariables.CERT_VARS,
            *EnvironmentVariables.USERNAME_PASSWORD_VARS,
            *EnvironmentVariables.WORKLOAD_IDENTITY_VARS, "AZURE_CLIENT_CERTIFICATE_PASSWORD"}
    assert read <= set(AZURE_CREDENTIAL_VARIABLES)
