"""``credo.testing`` drives Credo from outside, like any client: over HTTP and the CLI
process, never through the server's packages (whose Python API may change under it)."""

from __future__ import annotations

from test_boundaries import file_imports, files, within

SERVER_SIDE = ("credo.service", "credo.store", "credo.web", "credo.cli", "credo.config")


def test_testing_uses_only_the_wire_and_the_client_library() -> None:
    violations = [f"{path.name}:{line} imports {name}" for path in files("testing")
                  for line, name in file_imports(path) if within(name, SERVER_SIDE)]
    assert files("testing") and violations == []
