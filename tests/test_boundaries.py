"""The import boundaries of docs/architecture.md, checked by parsing every module with ``ast``.

* ``protocol/`` imports only ``credo.errors``, ``credo.model``, ``credo.certs``,
  ``credo.jose``, itself, ``cryptography`` and the standard library, minus the parts that
  read the clock or randomness or do I/O (``src/credo/protocol/README.md``).
* ``client/`` and ``resource/`` never import ``credo.service``, ``credo.store`` or ``credo.web``.
* ``web/`` never imports ``credo.store``.

A package that does not exist yet simply has no files to check.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "credo"
STDLIB = frozenset(sys.stdlib_module_names)
PROTOCOL_ALLOWED = ("credo.errors", "credo.model", "credo.certs", "credo.jose", "credo.aadsts",
                    "credo.numericdate", "credo.protocol", "cryptography", "__future__")
IMPURE_STDLIB = (
    "time", "random", "secrets", "os", "io", "socket", "ssl", "subprocess", "shutil",
    "pathlib", "tempfile", "threading", "asyncio", "logging", "sqlite3", "urllib.request",
    "http", "select", "signal", "multiprocessing", "concurrent", "uuid.uuid1", "uuid.uuid4",
    "datetime.datetime.now", "builtins.open",
)
"""Standard-library names that read the clock or randomness, or do I/O."""
FORBIDDEN = {
    "client": ("credo.service", "credo.store", "credo.web"),
    "resource": ("credo.service", "credo.store", "credo.web"),
    "web": ("credo.store",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Every name ``module`` imports (``from a import b`` gives ``a.b``), made absolute."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield from ((node.lineno, f"{base}.{alias.name}".rstrip(".*"))
                        for alias in node.names)


def file_imports(path: Path) -> Iterator[tuple[int, str]]:
    return imports(path.read_text(encoding="utf-8"), module_name(path),
                   is_package=path.name == "__init__.py")


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def protocol_allows(name: str) -> bool:
    if within(name, PROTOCOL_ALLOWED):
        return True
    return name.split(".")[0] in STDLIB and not within(name, IMPURE_STDLIB)


def files(package: str) -> list[Path]:
    root = SRC / package
    return sorted(root.rglob("*.py")) if root.is_dir() else []


def test_protocol_is_pure() -> None:
    violations = [f"{path.relative_to(SRC)}:{line} imports {name}"
                  for path in files("protocol") for line, name in file_imports(path)
                  if not protocol_allows(name)]
    assert violations == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers(package: str) -> None:
    violations = [f"{path.relative_to(SRC)}:{line} imports {name}"
                  for path in files(package) for line, name in file_imports(path)
                  if within(name, FORBIDDEN[package])]
    assert violations == []


PROBES = [
    ("import time", False), ("from time import monotonic", False),
    ("from credo.store import api", False), ("from credo import service", False),
    ("import httpx", False), ("from os import urandom", False), ("import secrets", False),
    ("from uuid import uuid4", False), ("from ..store import api", False),
    ("from credo.jose import sign", True), ("from credo import errors", True),
    ("from . import forms", True), ("from .client_auth.detect import detect", True),
    ("import hmac", True), ("from cryptography import x509", True),
    ("from datetime import UTC, datetime", True), ("import uuid", True),
]


@pytest.mark.parametrize(("line", "allowed"), PROBES, ids=[p[0] for p in PROBES])
def test_protocol_checker(line: str, allowed: bool) -> None:
    names = [name for _, name in imports(line, "credo.protocol.scopes")]
    assert names and all(protocol_allows(n) for n in names) is allowed


IMPURE_CALLS = frozenset({"now", "utcnow", "today", "uuid1", "uuid4", "urandom", "time",
                          "monotonic", "perf_counter", "token_bytes", "token_hex",
                          "token_urlsafe", "getrandbits", "open", "input", "print"})
"""Calls that read the clock or randomness, or do I/O, whatever the import looked like."""


def impure_calls(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in IMPURE_CALLS:
                yield node.lineno, name


def test_protocol_never_reads_clock_or_randomness() -> None:
    violations = [f"{path.relative_to(SRC)}:{line} calls {name}()"
                  for path in files("protocol")
                  for line, name in impure_calls(path.read_text(encoding="utf-8"))]
    assert violations == []


@pytest.mark.parametrize("source", ["datetime.now(UTC)", "uuid.uuid4()", "time.time()",
                                    "open('x')", "secrets.token_hex(8)"])
def test_call_checker(source: str) -> None:
    assert list(impure_calls(source))


REACH_THROUGH = frozenset({"store", "_store", "_db", "db"})
"""Attributes through which a handler would reach storage past the services."""


def reach_through(source: str) -> Iterator[tuple[int, str]]:
    """``x.store``, ``x._db`` and any private attribute of an object other than ``self``."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else ""
        private = node.attr.startswith("_") and not node.attr.startswith("__")
        if node.attr in REACH_THROUGH or (private and owner not in ("self", "cls")):
            yield node.lineno, node.attr


def test_web_reaches_storage_only_through_services() -> None:
    violations = [f"{path.relative_to(SRC)}:{line} reaches .{attr}"
                  for path in files("web")
                  for line, attr in reach_through(path.read_text(encoding="utf-8"))]
    assert violations == []


@pytest.mark.parametrize(("source", "found"), [
    ("await services.store.tenants()", ["store"]),
    ("services.directory.store.applications(t)", ["store"]),
    ("runtime.store._db", ["_db", "store"]),
    ("services.keys._ring.signing_keys()", ["_ring"]),
    ("self._cache.tenant(x)", []),
    ("services.directory.tenant(x)", []),
])
def test_reach_through_checker(source: str, found: list[str]) -> None:
    assert sorted(attr for _, attr in reach_through(source)) == sorted(found)
