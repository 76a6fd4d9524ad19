"""``credo init``: a data dir with its keys, local CA, database, bootstrap tenant and operator.

The address is kept in one place: ``host`` and ``port`` in ``credo.toml``; the issuer
(``base_url``) follows them unless ``--base-url`` gives it its own value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from credo.cli.common import (
    EXIT_USAGE,
    CliError,
    DataDirOption,
    JsonOption,
    handle_errors,
    warn,
)
from credo.cli.output import emit, print_fields
from credo.config import Settings, load_settings

HostOption = Annotated[str | None, typer.Option(
    help="Address to listen on, put in the TLS certificate.", show_default="127.0.0.1")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on.", show_default="8443")]


def _summary(settings: Settings, domain: str) -> dict[str, str]:
    return {"tenantId": settings.bootstrap_tenant, "domain": domain,
            "serverUrl": settings.base_url, "caPath": str(settings.ca_path),
            "operatorAppId": settings.operator_app_id, "dataDir": str(settings.data_dir)}


def _print_summary(summary: dict[str, str], headline: str) -> None:
    typer.echo(headline)
    print_fields({"Tenant": f"{summary['domain']} ({summary['tenantId']})",
                  "Server URL": summary["serverUrl"], "Local CA": summary["caPath"],
                  "Operator appId": summary["operatorAppId"], "Data dir": summary["dataDir"]})
    typer.echo(f"Clients must trust the CA above (export REQUESTS_CA_BUNDLE="
               f"{summary['caPath']} for MSAL); start the server with `credo serve`.")


def _moves(settings: Settings, asked: Settings) -> dict[str, str]:
    """Each ``--host``/``--port``/``--base-url`` given that differs from the initialised data
    dir's, with the command that moves the data dir there."""
    return {name: f"`credo config set {name} {getattr(asked, name)}`"
            for name in ("host", "port", "base_url")
            if asked.source(name).startswith("--") and getattr(asked, name) != getattr(
                settings, name)}


def _already(settings: Settings, asked: Settings, as_json: bool) -> None:
    """``--if-needed`` on an initialised data dir: say so, and what it is set up for."""
    from credo.service.setup import bootstrap_domain

    for name, command in _moves(settings, asked).items():
        warn(f"--{name.replace('_', '-')} {getattr(asked, name)} is ignored: "
             f"{settings.data_dir} is set up for {settings.base_url} ({command} moves it)")
    summary = _summary(settings, bootstrap_domain(settings))
    emit(summary, as_json, lambda: _print_summary(
        summary, f"{settings.data_dir} is already initialized; nothing changed."))


@handle_errors
def init(
    data_dir: DataDirOption,
    domain: Annotated[str, typer.Option(help="The bootstrap tenant's domain.")] = "credo.local",
    host: HostOption = None,
    port: PortOption = None,
    base_url: Annotated[str | None, typer.Option(
        help="Issuer base URL when it is not https://<host>:<port> (a proxy in front).")] = None,
    if_needed: Annotated[bool, typer.Option(
        "--if-needed", help="Succeed without change when the data dir is initialized.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create the data dir: keys, local CA, database, bootstrap tenant and operator app."""
    from credo.service.setup import initialize, is_initialized  # alembic is slow to import

    settings = load_settings(data_dir, host=host, port=port, base_url=base_url)
    if is_initialized(settings):
        if not if_needed:
            moves = " and ".join(_moves(load_settings(data_dir), settings).values())
            then = (f"; to change its address: {moves}, then restart `credo serve`" if moves
                    else "")
            raise CliError(f"{settings.data_dir} is already initialized (--if-needed accepts "
                           f"that){then}", exit_code=EXIT_USAGE)
        _already(load_settings(data_dir), settings, as_json)
        return
    result = initialize(settings, domain)
    summary = _summary(load_settings(Path(result.data_dir)), result.domain)
    emit(summary, as_json, lambda: _print_summary(summary, f"Initialized {result.data_dir}."))
