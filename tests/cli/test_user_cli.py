"""``credo user`` against a real ``credo serve``: create, list, roles, password, disable."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from live import LiveServer

from .conftest import ok, run

pytestmark = pytest.mark.slow


def test_user_commands(live_server: LiveServer, tmp_path: Path) -> None:
    dd = ("--data-dir", str(live_server.data_dir))
    domain = f"cli-users-{uuid.uuid4().hex[:8]}.test"
    ok("tenant", "create", "--domain", domain, *dd)
    t = ("--tenant", domain)
    password = tmp_path / "password"
    password.write_text("first long password\n")
    created = json.loads(ok("user", "create", *t, "--upn", f"Ada@{domain}", "--name", "Ada",
                            "--password-file", password, "--role", "global administrator",
                            "--json", *dd).stdout)
    assert (created["userPrincipalName"], created["roles"]) == (
        f"ada@{domain}", ["Global Administrator"])
    assert "first long password" not in json.dumps(created)
    ok("user", "create", *t, "--upn", f"bob@{domain}", "--name", "Bob", "--password-file",
       password, *dd)
    ok("user", "assign-role", f"bob@{domain}", *t, "--role", "Application Administrator", *dd)
    listed = json.loads(ok("user", "list", *t, "--json", *dd).stdout)
    assert [(u["userPrincipalName"], u["roles"]) for u in listed] == [
        (f"ada@{domain}", ["Global Administrator"]),
        (f"bob@{domain}", ["Application Administrator"])]
    assert "Application Administrator" in ok("user", "list", *t, *dd).stdout
    ok("user", "remove-role", f"bob@{domain}", *t, "--role", "Application Administrator", *dd)
    password.write_text("second long password")
    assert "changed" in ok("user", "set-password", f"bob@{domain}", *t, "--password-file",
                           password, *dd).stdout
    assert "disabled" in ok("user", "disable", f"bob@{domain}", *t, *dd).stdout
    listed = json.loads(ok("user", "list", *t, "--json", *dd).stdout)
    assert [u["accountEnabled"] for u in listed] == [True, False]
    ok("user", "enable", f"bob@{domain}", *t, *dd)
    ok("user", "delete", f"bob@{domain}", *t, *dd)

    unknown_role = run("user", "assign-role", f"ada@{domain}", *t, "--role", "Helpdesk", *dd)
    assert unknown_role.exit_code == 2 and "unknown role 'Helpdesk'" in unknown_role.stderr
    password.write_text("short")
    weak = run("user", "create", *t, "--upn", f"cy@{domain}", "--name", "Cy",
               "--password-file", password, *dd)
    assert weak.exit_code == 1
    assert "passwordProfile.password: must be 8 to 256 characters long" in weak.stderr
