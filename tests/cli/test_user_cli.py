"""``credo user`` against a real ``credo serve``: the user is the ID, its tenant comes from
its domain, every verb has ``--json``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from live import LiveServer

from .conftest import failed, ok, ok_json, run

pytestmark = pytest.mark.slow


def test_user_commands(live_server: LiveServer, tmp_path: Path) -> None:
    dd = ("--data-dir", str(live_server.data_dir))
    domain = f"cli-users-{uuid.uuid4().hex[:8]}.test"
    ok("tenant", "create", domain, *dd)
    ada, bob = f"ada@{domain}", f"bob@{domain}"
    password = tmp_path / "password"
    password.write_text("first long password\n")
    created = ok_json("user", "create", f"Ada@{domain}", "--display-name", "Ada",
                      "--password-file", password, "--role", "global administrator", *dd)
    assert (created["userPrincipalName"], created["displayName"], created["roles"]) == (
        ada, "Ada", ["Global Administrator"])
    assert "first long password" not in json.dumps(created)
    bob_made = ok_json("user", "create", bob, "--password-file", password, "-t", domain, *dd)
    assert bob_made["displayName"] == "bob"
    assigned = ok("user", "assign-role", bob, "--role", "Application Administrator", *dd)
    assert assigned.stdout == f"{bob} is now Application Administrator\n"
    twice = ok_json("user", "assign-role", bob, "--role", "Application Administrator", *dd)
    assert twice["roles"] == ["Application Administrator"]
    listed = ok_json("user", "list", "--tenant", domain, *dd)
    assert [(u["userPrincipalName"], u["roles"]) for u in listed] == [
        (ada, ["Global Administrator"]), (bob, ["Application Administrator"])]
    assert "Application Administrator" in ok("user", "list", "-t", domain, *dd).stdout
    assert ok_json("user", "show", bob, *dd)["roles"] == ["Application Administrator"]
    removed = ok_json("user", "remove-role", bob, "--role", "Application Administrator", *dd)
    assert removed["roles"] == []
    ok("user", "remove-role", bob, "--role", "Application Administrator", *dd)  # not held: fine
    password.write_text("second long password")
    changed = ok("user", "set-password", bob, "--password-file", password, *dd)
    assert changed.stdout == f"password of {bob} changed\n"
    assert ok_json("user", "disable", bob, *dd)["accountEnabled"] is False
    listed = ok_json("user", "list", "-t", domain, *dd)
    assert [u["accountEnabled"] for u in listed] == [True, False]
    assert ok_json("user", "enable", bob, *dd)["accountEnabled"] is True
    assert failed("user", "delete", bob, *dd).exit_code == 2  # not confirmed
    assert ok_json("user", "delete", bob, "--yes", *dd)["userPrincipalName"] == bob
    assert [u["userPrincipalName"] for u in ok_json("user", "list", "-t", domain, *dd)] == [ada]

    unknown_role = run("user", "assign-role", ada, "--role", "Helpdesk", *dd)
    assert unknown_role.exit_code == 2 and "unknown role 'Helpdesk'" in unknown_role.stderr
    by_id = failed("user", "show", created["id"], *dd)
    assert (by_id.exit_code, by_id.stderr) == (
        2, f"error: '{created['id']}' is not a userPrincipalName: give --tenant\n")
    assert ok_json("user", "show", created["id"], "-t", domain, *dd)["userPrincipalName"] == ada
    password.write_text("short")
    weak = run("user", "create", f"cy@{domain}", "--password-file", password, *dd)
    assert weak.exit_code == 1
    assert "passwordProfile.password: must be 8 to 256 characters long" in weak.stderr


def test_an_unknown_user_is_named_with_its_tenant(live_server: LiveServer,
                                                  tmp_path: Path) -> None:
    dd = ("--data-dir", str(live_server.data_dir))
    domain = f"cli-nobody-{uuid.uuid4().hex[:8]}.test"
    ok("tenant", "create", domain, *dd)
    password = tmp_path / "password"
    password.write_text("a long enough password\n")
    bob = f"bob@{domain}"
    for command in (("show", bob), ("disable", bob), ("enable", bob), ("delete", bob, "--yes"),
                    ("set-password", bob, "--password-file", str(password)),
                    ("assign-role", bob, "--role", "Global Administrator")):
        result = failed("user", *command, *dd)
        assert (result.exit_code, result.stderr) == (1, (
            f"error: no user '{bob}' in tenant {domain}\n"
            f"hint: `credo user list --tenant {domain}` shows its users\n")), command
