"""docs/deploy.md cannot drift: every command block names the test that runs it and that test
runs it (through ``deploy_doc.run``); the HAProxy configuration and the systemd unit it shows
are the files of deploy/; every variable a block uses is in its table; the unit's
``ExecStart`` is a command line ``credo serve`` accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from credo.cli.main import app
from deploy_doc import DOC, ROOT, Block, blocks, file_body

COMMANDS = [b for b in blocks() if b.language == "bash"]


def test_every_command_block_is_run_by_the_test_it_names() -> None:
    assert {b.name for b in COMMANDS} >= {"first-node", "new-node", "rolling-restart", "rotate",
                                          "backup", "restore", "pg-dump", "pg-restore"}
    assert len({b.name for b in COMMANDS}) == len(COMMANDS), "block names are unique"
    for found in COMMANDS:
        assert found.name and found.runner, f"a bash block without a runner:\n{found.code}"
        source = (ROOT / found.runner).read_text()
        assert re.search(rf'deploy_doc\.run\(\s*"{found.name}"', source), \
            f"{found.runner} does not run block {found.name}"
        assert "pytest.mark.slow" in source


def test_only_commands_configuration_and_units_are_shown() -> None:
    assert {b.language for b in blocks()} == {"bash", "ini", "haproxy"}


def test_the_blocks_use_only_the_variables_of_the_table() -> None:
    text = DOC.read_text()
    table = set(re.findall(r"^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)?", text, re.MULTILINE))
    known = {name for pair in table for name in pair if name}
    used = {v for b in COMMANDS for v in re.findall(r"\$\{?([A-Z_]+)", b.code)}
    assert used <= known, used - known


def _shown(language: str) -> Block:
    [found] = [b for b in blocks() if b.language == language]
    return found


def test_the_doc_shows_the_files_of_deploy() -> None:
    assert _shown("haproxy").code == file_body(ROOT / "deploy" / "haproxy.cfg")
    assert _shown("ini").code == file_body(ROOT / "deploy" / "credo.service")


def test_the_unit_starts_credo_serve_with_options_it_accepts() -> None:
    unit = file_body(ROOT / "deploy" / "credo.service")
    [line] = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    program, verb, *options = shlex.split(line.removeprefix("ExecStart="))
    assert Path(program).name == "credo" and verb == "serve"
    root = typer.main.get_command(app)
    serve = root.get_command(root.make_context("credo", ["serve"]), "serve")  # type: ignore[attr-defined]
    parsed = serve.make_context("serve", options).params
    assert (parsed["insecure_http"], parsed["workers"], parsed["log_format"]) == (True, 2, "json")
    assert "Environment=CREDO_DATA_DIR=/var/lib/credo" in unit
    assert "ReadWritePaths=/var/lib/credo" in unit and "UMask=0077" in unit


def test_a_block_reads_as_the_runner_sees_it() -> None:
    found = blocks("<!-- block x: run by tests/a.py -->\n```bash\necho hi\n```\n"
                   "```bash\necho unnamed\n```\n")
    assert found == [Block("bash", "echo hi\n", "x", "tests/a.py"),
                     Block("bash", "echo unnamed\n", "", "")]
