"""Shared CLI plumbing: the options every command spells the same way, one-line errors.

docs/cli.md describes the grammar (``credo NOUN VERB [ID] [--tenant T] [--json]``); the
options below are its vocabulary. Every command is wrapped in ``handle_errors``: a failure is
``error: <one line>`` on stderr (Graph field errors follow, indented; ``hint: <command>`` lines
say what to run next) and exit 1, a usage error exit 2, never a traceback. A file that cannot
be read or used is a failure (exit 1), not a usage error.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from credo.config import ConfigError
from credo.errors import CredoError, GraphError, OAuthError

EXIT_FAILURE = 1
EXIT_USAGE = 2

_P = ParamSpec("_P")
_R = TypeVar("_R")
_TRACE = re.compile(r"\s*Trace ID: .*$")  # Entra appends trace, correlation id and time


def default_data_dir() -> Path:
    """``~/.credo``, the data directory when neither ``--data-dir`` nor the env var is set."""
    return Path.home() / ".credo"


DataDirOption = Annotated[Path, typer.Option(
    "--data-dir", envvar="CREDO_DATA_DIR", default_factory=default_data_dir,
    show_default="~/.credo", help="Credo's data directory.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
TenantOption = Annotated[str | None, typer.Option(
    "--tenant", "-t", show_default="the tenant the ID belongs to",
    help="The tenant: its id (GUID) or a domain name.")]
RequiredTenantOption = Annotated[str, typer.Option(
    "--tenant", "-t", show_default=False, help="The tenant: its id (GUID) or a domain name.")]
ServerOption = Annotated[str | None, typer.Option(
    "--server", show_default="the server setting, else base_url",
    help="Credo's URL, e.g. https://127.0.0.1:8443.")]
CaOption = Annotated[Path | None, typer.Option(
    "--ca", show_default="the data dir's tls/ca.pem and the system's CAs",
    help="CA certificates (PEM) to trust for the server's TLS certificate.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
PasswordFileOption = Annotated[Path | None, typer.Option(
    "--password-file", help="File holding the password (a trailing newline is ignored).")]


def command_group(help_text: str) -> typer.Typer:
    """A noun: a group of verbs, plain help text (flags without type labels)."""
    return typer.Typer(no_args_is_help=True, help=help_text, rich_markup_mode=None,
                       add_completion=False)


class CliError(Exception):
    """A user error found by the CLI itself (bad option value, unreadable file); ``hints`` are
    the commands to run next, printed after the error line."""

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILURE,
                 hints: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.hints = tuple(hints)


def fail(message: str, exit_code: int = EXIT_FAILURE, hints: Sequence[str] = ()) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr, then one ``hint: …`` line per hint,
    and exit with ``exit_code``."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    for hint in hints:
        typer.echo(f"hint: {' '.join(hint.split())}", err=True)
    raise typer.Exit(exit_code)


def warn(message: str) -> None:
    typer.echo(f"warning: {' '.join(message.split())}", err=True)


def oauth_message(exc: OAuthError) -> str:
    """``AADSTSnnnn: description`` without the trace, correlation id and time Entra appends."""
    return f"{exc.aadsts}: {_TRACE.sub('', exc.description)}"


def _graph_failure(exc: GraphError) -> NoReturn:
    if not exc.details:
        fail(exc.description)
    typer.echo(f"error: {' '.join(exc.description.split())}", err=True)
    for detail in exc.details:
        line = f"{detail.target}: {detail.message}" if detail.target else detail.message
        typer.echo(f"  {line}", err=True)
    raise typer.Exit(EXIT_FAILURE)


def handle_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn every expected failure into ``error: …`` on stderr and an exit code."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except CliError as exc:
            fail(str(exc), exc.exit_code, exc.hints)
        except ConfigError as exc:
            fail(str(exc), EXIT_USAGE)
        except GraphError as exc:
            _graph_failure(exc)
        except OAuthError as exc:
            fail(oauth_message(exc))
        except CredoError as exc:
            fail(exc.description)

    return run


def confirm(question: str, yes: bool) -> None:
    """Ask ``question``; without a yes (or ``--yes``) nothing happens and the command fails."""
    if yes:
        return
    try:
        answer = typer.confirm(question, default=False, err=True)
    except typer.Abort:  # no terminal and no answer on stdin
        answer = None
    if not sys.stdin.isatty():
        typer.echo(err=True)  # the answer was not echoed: end the question's line
    if answer is None:
        raise CliError("not confirmed: add --yes to go ahead without a question",
                       exit_code=EXIT_USAGE)
    if not answer:
        raise CliError("cancelled; nothing was changed")


def read_file(path: Path) -> bytes:
    """The file's bytes, or a ``CliError`` naming the file and the reason."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from exc


def check_readable(path: Path) -> None:
    """A ``CliError`` naming the file and the reason, as ``read_file``, when ``path`` cannot
    be opened (for files too large to read twice)."""
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from exc


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
        raise CliError(f"{option}: invalid date {value!r}, expected YYYY-MM-DD",
                       exit_code=EXIT_USAGE) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
