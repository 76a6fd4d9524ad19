"""The public surface of ``credo.resource``, its import boundary, size budget and doctests."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import credo.resource

PACKAGE = Path(credo.resource.__file__).parent
ALLOWED_CREDO = {"credo.errors", "credo.jose", "credo.model", "credo.resource",
                 "credo.httpflow", "credo.numericdate"}


def test_exported_names() -> None:
    assert sorted(credo.resource.__all__) == [
        "InsufficientScope", "MetadataUnavailable", "Principal", "TokenValidationError",
        "TokenValidator",
    ]
    for name in credo.resource.__all__:
        assert getattr(credo.resource, name) is not None


def _credo_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.split(".")[0] == "credo"}


def test_resource_imports_only_errors_jose_model_shared_modules_and_itself() -> None:
    for path in PACKAGE.glob("*.py"):
        for name in _credo_imports(path):
            assert ".".join(name.split(".")[:2]) in ALLOWED_CREDO, f"{path.name}: {name}"


def test_modules_stay_within_the_size_budget() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name


def test_doctests() -> None:
    results = doctest.testmod(credo.resource, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0 and results.failed == 0
