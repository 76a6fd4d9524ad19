"""Shared CLI plumbing: common options, JSON or Rich output, one-line errors on stderr."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from credo.errors import CredoError

DATA_DIR_ENV = "CREDO_DATA_DIR"
EXIT_FAILURE = 1
EXIT_USAGE = 2

_P = ParamSpec("_P")
_R = TypeVar("_R")


def default_data_dir() -> Path:
    """``~/.credo``, the data directory when neither ``--data-dir`` nor the env var is set."""
    return Path.home() / ".credo"


DataDirOption = Annotated[Path, typer.Option(
    "--data-dir", envvar=DATA_DIR_ENV, default_factory=default_data_dir,
    show_default="~/.credo", help="Credo's data directory.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
PasswordFileOption = Annotated[Path | None, typer.Option(
    "--password-file", help="File holding the password (a trailing newline is ignored).")]


class CliError(Exception):
    """A user error found by the CLI itself (bad option value, unreadable file)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr and exit with ``exit_code``."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(exit_code)


def handle_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn ``CliError`` and ``CredoError`` into a one-line message and an exit code."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except CliError as exc:
            fail(str(exc), exc.exit_code)
        except CredoError as exc:
            fail(exc.description, EXIT_FAILURE)

    return run


def read_file(path: Path) -> bytes:
    """The file's bytes, or a ``CliError`` naming the file and the reason."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}",
                       exit_code=EXIT_FAILURE) from exc


def read_password_file(path: Path | None) -> bytes | None:
    """The password in ``path`` without its trailing newline; ``None`` when no file is given."""
    if path is None:
        return None
    password = read_file(path).removesuffix(b"\n").removesuffix(b"\r")
    if not password:
        raise CliError(f"the password file {path} is empty")
    return password


def parse_datetime(value: str, option: str) -> datetime:
    """An ISO 8601 date or date-time (``2026-01-01``, ``2026-01-01T08:00:00Z``) as aware UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: invalid date {value!r}, expected YYYY-MM-DD") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def print_json(data: Mapping[str, Any]) -> None:
    """Pretty JSON via Rich on a terminal, plain indented JSON when piped."""
    if sys.stdout.isatty():
        Console().print_json(data=data)
    else:
        typer.echo(json.dumps(data, indent=2))


def print_fields(fields: Mapping[str, object]) -> None:
    """Print ``label  value`` lines, labels in bold, values never wrapped or marked up."""
    console = Console(soft_wrap=True, highlight=False)
    width = max((len(label) for label in fields), default=0)
    for label, value in fields.items():
        console.print(Text.assemble((label.ljust(width), "bold"), "  ", str(value)))
