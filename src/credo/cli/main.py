"""The ``credo`` command line: one Typer app with a sub-app per command group."""

from __future__ import annotations

import typer

from credo.cli import app as app_commands
from credo.cli import cert, consent, keys, server, tenant, token, user

app = typer.Typer(
    no_args_is_help=True,
    help="Credo: a self-hosted, Entra ID compatible OAuth 2.0 server.",
    pretty_exceptions_show_locals=False,  # locals may hold passwords and keys
)
app.command("init")(server.init)
app.command("serve")(server.serve)
app.add_typer(cert.app, name="cert")
app.add_typer(tenant.app, name="tenant")
app.add_typer(app_commands.app, name="app")
app.add_typer(consent.app, name="consent")
app.add_typer(keys.app, name="keys")
app.add_typer(token.app, name="token")
app.add_typer(user.app, name="user")


def main() -> None:
    """Console-script entry point (``credo``)."""
    app()


if __name__ == "__main__":
    main()
