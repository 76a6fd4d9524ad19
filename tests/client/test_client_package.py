"""The public surface of ``credo.client``, its import boundary and its doctests."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import credo.client

PACKAGE = Path(credo.client.__file__).parent
ALLOWED_CREDO = {"credo", "credo.errors", "credo.certs", "credo.jose", "credo.httpflow"}


def test_exported_names():
    assert sorted(credo.client.__all__) == [
        "ASSERTION_TYPE", "AccessToken", "CertificateCredential", "ClientSecret",
        "ConfidentialClient", "Credential", "TokenCache",
    ]
    for name in credo.client.__all__:
        assert getattr(credo.client, name) is not None


def _credo_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name.split(".")[0] == "credo"}


def test_client_imports_only_errors_certs_jose_httpflow_and_itself():
    for path in PACKAGE.glob("*.py"):
        for name in _credo_imports(path):
            top = ".".join(name.split(".")[:2])
            assert top in ALLOWED_CREDO or top == "credo.client", f"{path.name}: {name}"


def test_package_docstring_examples():
    result = doctest.testmod(credo.client, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
