"""The ``credo`` command line: ``credo NOUN VERB [ID] [--tenant T] [--json]`` (docs/cli.md)."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from credo.cli import app as app_commands
from credo.cli import cert, configure, consent, keys, logs, tenant, token, user
from credo.cli.backup import backup, restore
from credo.cli.doctor import doctor
from credo.cli.init import init
from credo.cli.serve import serve

app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None,
    help="Credo: a self-hosted, Entra ID compatible OAuth 2.0 server. "
         "Grammar: credo NOUN VERB [ID] [--tenant T] [--json]; see docs/cli.md.",
    pretty_exceptions_show_locals=False,  # locals may hold passwords and keys
)


def version() -> str:
    try:
        return metadata.version("credo")
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"credo {version()}")
        raise typer.Exit()


@app.callback()
def root(_version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print Credo's version and exit.")] = False) -> None:
    """Credo: a self-hosted, Entra ID compatible OAuth 2.0 server."""


app.command("init")(init)
app.command("serve")(serve)
app.command("doctor")(doctor)
app.command("backup")(backup)
app.command("restore")(restore)
app.add_typer(configure.app, name="config")
app.add_typer(cert.app, name="cert")
app.add_typer(tenant.app, name="tenant")
app.add_typer(app_commands.app, name="app")
app.add_typer(consent.app, name="consent")
app.add_typer(user.app, name="user")
app.add_typer(token.app, name="token")
app.add_typer(keys.app, name="keys")
app.add_typer(logs.app, name="logs")


def main() -> None:
    """Console-script entry point (``credo``)."""
    app()


if __name__ == "__main__":
    main()
