"""One grammar for every command (docs/cli.md): ``credo NOUN VERB [ID] [--tenant T] [--json]``.

Walks the whole command tree, so a new command that breaks the grammar fails here: the same
option names everywhere, the ID first, ``--json`` on every command, every command in the
docs; and the shell completion that Typer provides answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from credo.cli.main import app

from .conftest import ok, run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
VOCABULARY = {  # every visible option name, each with one meaning everywhere
    "--tenant", "--json", "--data-dir", "--server", "--ca", "--yes", "--display-name",
    "--resource", "--role", "--password-file", "--all", "--app-role", "--identifier-uri",
    "--multi-tenant", "--token-version", "--profile", "--scope", "--cert", "--key",
    "--secret-file", "--secret", "--v1", "--decode", "--subject", "--out", "--not-before",
    "--not-after", "--days", "--key-size", "--force", "--domain", "--host", "--port",
    "--base-url", "--if-needed", "--workers", "--insecure-http", "--disabled", "--app",
    "--since", "--failed", "--log-format", "--metrics-port", "--issuer", "--audience",
    "--description"}
IDS = {"APP", "USER", "[TENANT]", "[DOMAIN]", "NAME", "KEY", "FILE", "[APP]"}
SECOND = {"FILE", "KEY_ID", "VALUE", "NAME"}


def _commands() -> Iterator[tuple[str, Any]]:
    import typer._click as click  # Typer's own copy of click

    root = typer.main.get_command(app)
    context = click.Context(root)

    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                yield from walk(command.get_command(context, name), [*path, name])
        else:
            yield " ".join(path), command

    yield from walk(root, [])


COMMANDS = dict(_commands())


def _options(command: Any) -> dict[str, Any]:
    return {p.opts[0]: p for p in command.params
            if p.param_type_name == "option" and not p.hidden}


def _arguments(command: Any) -> list[str]:
    return [p.metavar for p in command.params if p.param_type_name == "argument"]


def test_the_tree_is_walked() -> None:
    assert {"init", "serve", "doctor", "app cert add", "user delete", "token get"} <= set(COMMANDS)
    assert len(COMMANDS) > 40


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_follows_the_grammar(path: str) -> None:
    command = COMMANDS[path]
    options = _options(command)
    assert set(options) <= VOCABULARY, f"{path}: {set(options) - VOCABULARY}"
    if path != "serve":
        assert "--json" in options, path
    if "--tenant" in options:
        assert options["--tenant"].opts == ["--tenant", "-t"], path
    if "--server" in options:
        assert {"--data-dir", "--ca", "--json"} <= set(options), path
    arguments = _arguments(command)
    assert not arguments or arguments[0] in IDS, f"{path}: {arguments}"
    assert set(arguments[1:]) <= SECOND, f"{path}: {arguments}"
    if arguments and arguments[0] in {"APP", "USER", "[APP]"}:
        assert "--tenant" in options, path
    assert f"credo {path}" in DOCS.read_text() or _listed_as_alternative(path), path


def _listed_as_alternative(path: str) -> bool:
    """``credo app cert add APP FILE | list APP`` lists ``app cert list`` too."""
    noun, verb = path.rsplit(" ", 1)
    return any(line.startswith(f"credo {noun} ") and f"| {verb}" in line
               for line in DOCS.read_text().splitlines())


def test_help_shows_flags_as_flags() -> None:
    for path in ("app list", "token get", "user delete", "init"):
        text = ok(*path.split(), "--help").stdout
        assert "<bool>" not in text and "--json" in text, path
    assert "credo NOUN VERB [ID] [--tenant T] [--json]" in ok("--help").stdout.replace("\n  ", " ")


def test_json_is_a_flag_and_says_so() -> None:
    result = run("app", "list", "-t", "contoso.example", "--json=true")
    assert result.exit_code == 2
    assert "Option '--json' does not take a value." in result.output


def _complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {"_CREDO_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(app, [], env=env, prog_name="credo")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_shell_completion_knows_nouns_verbs_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"app", "tenant", "consent", "doctor", "config"} <= set(_complete("credo "))
    assert set(_complete("credo app cert ")) == {"add", "list", "remove"}
    assert {"--tenant", "--yes", "--json"} <= set(_complete("credo app delete --"))
    # Not the shell pytest runs in (under make it is no shell at all): bash, named.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="credo").stdout
    assert "complete -o default -F _credo_completion credo" in script


def test_the_installed_script_completes() -> None:
    credo = Path(sys.executable).with_name("credo")
    env = {**os.environ, "_CREDO_COMPLETE": "complete_bash", "COMP_WORDS": "credo ap",
           "COMP_CWORD": "1"}
    done = subprocess.run([str(credo)], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "app\n")


def _as_credo(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="credo")


def _help(path: str) -> str:
    """``credo PATH --help`` with its lines joined, so that wrapping does not matter."""
    result = _as_credo(*path.split(), "--help")
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_help_marks_what_is_required() -> None:
    assert "Usage: credo user create [OPTIONS] {USER}" in _help("user create")
    assert ("USER <str> userPrincipalName, e.g. alice@contoso.example (a domain of the "
            "tenant). [required]") in _help("user create")
    missing = _as_credo("user", "create", "--password-file", "pw.txt")
    assert (missing.exit_code, missing.stderr) == (2, (
        "Usage: credo user create [OPTIONS] {USER}\n"
        "Try 'credo user create --help' for help.\n\n"
        "Error: Missing argument 'USER'.\n"))
    assert "--profile <entra|strict> entra or strict. [required]" in _help("tenant set-profile")
    no_profile = _as_credo("tenant", "set-profile", "contoso.example")
    assert no_profile.exit_code == 2
    assert no_profile.stderr.endswith("Error: Missing option '--profile'. Choose from:\n"
                                      "\tentra,\n\tstrict\n")


def test_help_texts_describe_the_command_they_are_on() -> None:
    for path in ("logs signins", "logs audit"):
        text = _help(path)
        assert ("-t, --tenant <str> The tenant: its id (GUID) or a domain name. [default: "
                "(--app's home tenant, else the bootstrap tenant)]") in text, path
        assert "the tenant the ID belongs to" not in text, path
    assert "KEY_ID <str> The secret's keyId (`credo app secret list` shows it). [required]" in \
        _help("app secret remove")
    assert "thumbprint" not in _help("app secret remove")
    assert "KEY_ID <str> The certificate's keyId, or its SHA-1 or SHA-256 thumbprint." in \
        _help("app cert remove")
    assert "NAME <str> The credential's name (unique per app). [required]" in \
        _help("app federated add")
    assert "NAME <str> The credential's name (unique per app), or its id. [required]" in \
        _help("app federated remove")


def test_docs_synopses_name_every_option() -> None:
    synopses = {line.split(" [", 1)[0].split(" --", 1)[0]: line
                for line in DOCS.read_text().splitlines() if line.startswith("credo ")}
    for path, options in (
            ("token get", ("--secret-file", "--secret S", "--password-file", "--cert F.pfx",
                           "--cert F --key F")),
            ("cert create", ("--not-before", "--password-file", "--force", "--json")),
            ("user create", ("--disabled",))):
        line = next(v for k, v in synopses.items() if k.startswith(f"credo {path}"))
        for option in options:
            assert option in line, (path, option)
