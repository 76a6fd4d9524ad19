"""``credo init`` and ``credo serve``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from credo.config import Settings, load_settings

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="default ~/.credo",
                                              envvar="CREDO_DATA_DIR")]
Host = Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1)")]
Port = Annotated[int | None, typer.Option(help="port (default 8443)")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _summary(settings: Settings, domain: str) -> dict[str, str]:
    return {"tenantId": settings.bootstrap_tenant, "domain": domain,
            "serverUrl": settings.base_url, "caPath": str(settings.ca_path),
            "operatorAppId": settings.operator_app_id, "dataDir": str(settings.data_dir)}


def init(
    data_dir: DataDir = None,
    domain: Annotated[str, typer.Option(help="the bootstrap tenant's domain")] = "credo.local",
    host: Host = None,
    port: Port = None,
    base_url: Annotated[str | None, typer.Option(help="issuer base URL (default "
                                                  "https://<host>:<port>)")] = None,
    if_needed: Annotated[bool, typer.Option("--if-needed", help="succeed quietly when the "
                                            "data dir is already initialized")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create the data dir: keys, local CA, database, bootstrap tenant and operator app."""
    from credo.service.setup import initialize, is_initialized  # alembic is slow to import
    settings = load_settings(data_dir, host=host, port=port, base_url=base_url)
    if is_initialized(settings):
        if not if_needed:
            _fail(f"{settings.data_dir} is already initialized (use --if-needed to ignore)")
        if as_json:
            typer.echo(json.dumps(_summary(settings, ""), indent=2))
        return
    result = initialize(settings, domain)
    settings = load_settings(data_dir)
    summary = _summary(settings, result.domain)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    for key, value in summary.items():
        typer.echo(f"{key:>14}: {value}")
    typer.echo("Clients must trust the CA above; start the server with `credo serve`.")


def serve(
    data_dir: DataDir = None,
    host: Host = None,
    port: Port = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default 1)")] = None,
    insecure_http: Annotated[bool, typer.Option(
        "--insecure-http", help="plain HTTP, only behind a TLS-terminating proxy")] = False,
) -> None:
    """Run the server over HTTPS with the data dir's local CA."""
    import uvicorn

    from credo.service.setup import is_initialized
    from credo.store.migrate import upgrade

    settings = load_settings(data_dir, host=host, port=port, workers=workers)
    if not is_initialized(settings):
        _fail(f"{settings.data_dir} is not initialized: run `credo init` first")
    upgrade(settings.database_url)
    os.environ["CREDO_DATA_DIR"] = str(settings.data_dir)
    for name in ("host", "port", "workers"):
        os.environ[f"CREDO_{name.upper()}"] = str(getattr(settings, name))
    tls: dict[str, str] = {}
    if not insecure_http:
        tls = {"ssl_certfile": str(settings.tls_dir / "server.pem"),
               "ssl_keyfile": str(settings.tls_dir / "server.key.pem")}
        typer.echo(f"Credo on {settings.base_url} — clients must trust {settings.ca_path}",
                   err=True)
    else:
        typer.echo(f"Credo serving plain HTTP on {settings.host}:{settings.port} for a TLS "
                   f"proxy; issuer base {settings.base_url}", err=True)
    sys.stderr.flush()
    uvicorn.run("credo.web.app:create_app", factory=True, host=settings.host,
                port=settings.port, workers=settings.workers, log_level=settings.log_level,
                access_log=False, proxy_headers=False, server_header=False,
                timeout_graceful_shutdown=5, timeout_worker_healthcheck=30, **tls)  # type: ignore[arg-type]
