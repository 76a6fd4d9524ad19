"""The plugin's registration and the helpers' argument checks (no server needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import credo.testing
from credo.testing.credentials import CertificateFiles
from credo.testing.registrations import Api, App
from credo.testing.server import child_environment
from credo.testing.tenant import Tenant, unique_domain


class NoServer:
    """An authority that fails the test if a helper calls the management API."""

    url = "https://127.0.0.1:4443"

    @property
    def graph(self) -> Any:
        raise AssertionError("no management call expected")


def offline_tenant() -> Tenant:
    return Tenant(NoServer(), "8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "contoso.test")  # type: ignore[arg-type]


def test_installing_credo_registers_the_pytest_plugin() -> None:
    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "credo"]
    assert plugin.value == "credo.testing.plugin"


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = ("import sys, credo.testing.plugin; "
             "print(sorted(m for m in ('httpx', 'msal', 'credo.client', 'credo.testing.authority')"
             " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"


def test_pytest_lists_the_fixtures_of_an_installed_credo(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"credo_authority \[session scope\] -- .*credo/testing/plugin\.py",
                     done.stdout), done.stdout
    assert "credo_tenant -- " in done.stdout and "A new tenant" in done.stdout


def test_the_package_exports_resolve_lazily() -> None:
    assert credo.testing.Tenant is Tenant and credo.testing.App is App
    assert all(getattr(credo.testing, name) for name in credo.testing.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        credo.testing.Nope


def _app(tenant: Tenant, *, certificate: bool, secret: str | None) -> App:
    files = None
    if certificate:
        files = CertificateFiles(Path("c.pem"), Path("k.pem"), Path("ck.pem"), "AB")
    return App("d", "f0b0c0d0-0000-4000-8000-000000000001", "o", "s", tenant,
               certificate=files, secret=secret)


def test_azure_variables_choose_one_credential() -> None:
    tenant = offline_tenant()
    both = _app(tenant, certificate=True, secret="s3cret")
    base = {"AZURE_AUTHORITY_HOST": "https://127.0.0.1:4443", "AZURE_TENANT_ID": tenant.id,
            "AZURE_CLIENT_ID": both.client_id}
    assert tenant.azure_variables(both) == {**base, "AZURE_CLIENT_CERTIFICATE_PATH": "ck.pem"}
    assert tenant.azure_variables(both, use_secret=True) == {**base,
                                                             "AZURE_CLIENT_SECRET": "s3cret"}
    with pytest.raises(ValueError, match="has no secret"):
        tenant.azure_variables(_app(tenant, certificate=True, secret=None), use_secret=True)


def test_api_names_its_scopes_and_roles_or_says_what_it_offers() -> None:
    api = Api("Mail", "a", "o", "s", offline_tenant(), identifier_uri="api://mail",
              role_ids={"Mail.Read": "r1"}, scope_ids={"Mail.Send": "s1"})
    assert (api.default_scope, api.scope("Mail.Send"), api.role_id("Mail.Read")) == (
        "api://mail/.default", "api://mail/Mail.Send", "r1")
    with pytest.raises(ValueError, match=r"no scope 'Mail.Read' \(it offers: Mail.Send\)"):
        api.scope("Mail.Read")
    with pytest.raises(ValueError, match=r"no app role 'Mail.Send' \(it offers: Mail.Read\)"):
        api.role_id("Mail.Send")


def test_unique_domains() -> None:
    first, second = unique_domain(), unique_domain("My Test!")
    assert re.fullmatch(r"test-[0-9a-f]{8}\.test", first)
    assert re.fullmatch(r"my-test-[0-9a-f]{8}\.test", second)


def test_the_server_never_inherits_credo_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_DATABASE_URL", "postgresql+asyncpg://prod/credo")
    monkeypatch.setenv("CREDO_REDIS_URL", "redis://prod")
    environment = child_environment()
    assert not [name for name in environment if name.startswith("CREDO_")]
    assert environment["PATH"] == os.environ["PATH"]
