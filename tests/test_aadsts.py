"""The AADSTS catalogue is the only source of protocol errors, and docs/errors.md is its mirror."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from credo import errors
from credo.aadsts import Aadsts, entries, markdown
from credo.aadsts.client import CLIENT_NOT_FOUND
from credo.aadsts.service import TRANSIENT
from credo.errors import OAuthError, TemporarilyUnavailable, UnauthorizedClient

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "credo"
OAUTH_CLASSES = frozenset(
    name for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, OAuthError))
ALLOWED = ("errors.py", "aadsts/", "client/", "resource/")
"""Where an ``OAuthError`` may be built directly: its home, the catalogue, and the client
side, which rebuilds errors from responses and never emits one."""


def constructions(source: str) -> list[tuple[int, str]]:
    """Every call of an ``OAuthError`` class by name (``InvalidClient(…)``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in OAUTH_CLASSES:
                found.append((node.lineno, name))
    return found


def test_every_protocol_error_comes_from_the_catalogue() -> None:
    violations = [f"{path.relative_to(SRC)}:{line} builds {name}"
                  for path in sorted(SRC.rglob("*.py"))
                  if not str(path.relative_to(SRC)).startswith(ALLOWED)
                  for line, name in constructions(path.read_text(encoding="utf-8"))]
    assert violations == []


def test_the_checker_sees_a_direct_construction() -> None:
    assert constructions("raise InvalidClient(700016, 'x')") == [(1, "InvalidClient")]
    assert constructions("raise errors.InvalidGrant(1, 'x')") == [(1, "InvalidGrant")]
    assert constructions("raise CLIENT_NOT_FOUND(client_id='a', tenant='b')") == []


def test_docs_errors_md_is_the_catalogue() -> None:
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == markdown()


def test_entries_are_unique_and_explained() -> None:
    all_entries = list(entries())
    keys = [(e.code, e.error.error, e.template) for e in all_entries]
    assert len(keys) == len(set(keys))
    for entry in all_entries:
        assert entry.when.strip() and entry.fix.strip(), entry.code
        assert 400 <= entry.http_status < 600, entry.code
        assert f"AADSTS{entry.code}" in markdown()


def test_an_entry_builds_its_error_with_exactly_its_fields() -> None:
    err = CLIENT_NOT_FOUND(client_id="app", tenant="contoso.example", detail="why")
    assert isinstance(err, UnauthorizedClient)
    assert (err.code, err.error, err.http_status, err.detail) == (
        700016, "unauthorized_client", 400, "why")
    assert err.description.startswith("Application with identifier 'app' was not found in the "
                                      "directory 'contoso.example'.")
    with pytest.raises(TypeError):
        CLIENT_NOT_FOUND(client_id="app")
    with pytest.raises(TypeError):
        CLIENT_NOT_FOUND(client_id="app", tenant="t", extra="x")


def test_temporarily_unavailable_carries_retry_after() -> None:
    err = TRANSIENT(retry_after=7)
    assert isinstance(err, TemporarilyUnavailable)
    assert (err.http_status, err.headers) == (503, {"Retry-After": "7"})


def test_an_entry_registers_itself() -> None:
    before = len(list(entries()))
    probe = Aadsts(1, OAuthError, "probe {x}", when="w", fix="f")
    try:
        assert len(list(entries())) == before + 1
        assert probe.fields == frozenset({"x"})
    finally:
        from credo import aadsts

        aadsts._REGISTRY.remove(probe)
