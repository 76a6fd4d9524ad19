"""The ``credo`` command through Typer's CliRunner: ``run`` it, or assert it succeeds (``ok``,
``ok_json``) or fails cleanly (``failed``: an exit code, never a traceback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from credo.cli.main import app as credo_app


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(credo_app, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, f"{args}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def ok_json(*args: str | Path) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def failed(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code != 0, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="session")
def initialized_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One ``credo init`` per session (port 18443, never listened on); copy it to use it."""
    data_dir = tmp_path_factory.mktemp("template") / "credo"
    return data_dir, ok_json("init", "--data-dir", data_dir, "--port", "18443", "--domain",
                             "template.test")


@pytest.fixture
def initialized(initialized_template: tuple[Path, Any], tmp_path: Path) -> Path:
    """A private copy of an initialised data dir (modes kept)."""
    copy = tmp_path / "credo"
    shutil.copytree(initialized_template[0], copy)
    return copy
