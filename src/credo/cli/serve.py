"""``credo serve``: the server, on the address its data dir publishes.

Before it listens: every setting is checked (an unknown or bad one stops it, naming the
key); the data dir's modes are made 0700/0600 (with a warning for each fix); a ``--host`` or
``--port`` that would leave the issuer pointing where nothing listens is refused with what to
do; the port is probed. The banner is printed only once the server answers on it.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from credo.cli.common import EXIT_USAGE, CliError, DataDirOption, handle_errors, warn
from credo.config import Settings, base_url_is_derived, load_settings
from credo.web import reuseport

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 - names
_POLL_SECONDS = 0.2
APP = "credo.web.app:create_app"  # the uvicorn factory each worker imports


def _check_address(settings: Settings, host: str, port: int) -> None:
    """Refuse a listening address that the published issuer (``base_url``) does not name."""
    if not base_url_is_derived(settings):
        return  # the issuer has its own URL (a proxy or balancer in front)
    if port != settings.port:
        name, given, current = "port", str(port), str(settings.port)
    elif host != settings.host and host not in _WILDCARDS:
        name, given, current = "host", host, settings.host
    else:
        return
    raise CliError(
        f"--{name} {given} does not match this data dir: it publishes {settings.base_url} "
        f"({name} {current} from {settings.source(name)}), so discovery, tokens and the CLI "
        f"would point where nothing listens. Start it as set up (`credo serve` without "
        f"--{name}), or move it for good: `credo config set {name} {given}`, then "
        "`credo serve`", exit_code=EXIT_USAGE)


def _probe(host: str, port: int, setting: str = "port", *, option: bool = False) -> None:
    """Fail before any banner when the address cannot be listened on; a taken port says how
    to choose another: ``setting`` chose it, through its ``--option`` when ``option``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            how = (f"`credo serve --{setting.replace('_', '-')} N`" if option else
                   f"`credo config set {setting} N`")
            then = "" if option else ", then `credo serve`"
            move = (f"; to use another port: {how} with a free port N{then}"
                    if exc.errno == errno.EADDRINUSE else "")
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (another "
                           "`credo serve` or another program may have it; `credo doctor` "
                           f"shows what answers there){move}") from exc


def _banner(settings: Settings, host: str, port: int, insecure_http: bool) -> str:
    scheme = "http" if insecure_http else "https"
    listening = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    if insecure_http:
        return (f"Credo serving plain HTTP on {listening} for a TLS proxy; issuer base "
                f"{settings.base_url}")
    trust = f" — clients must trust {settings.ca_path}"
    if listening == settings.base_url:
        return f"Credo on {settings.base_url}{trust}{_identity_banner(settings)}"
    return (f"Credo listening on {listening}, issuer base {settings.base_url}{trust}"
            f"{_identity_banner(settings)}")


def _identity_banner(settings: Settings) -> str:
    """Where code written for Azure finds the managed identity (the App Service variables)."""
    from credo.service.managed_identity import SECRET_FILE

    if not settings.managed_identity_port:
        return ""
    host = settings.managed_identity_host
    endpoint = (f"http://{f'[{host}]' if ':' in host else host}:"
                f"{settings.managed_identity_port}/msi/token")
    secret = ("the managed_identity_secret setting" if settings.managed_identity_secret
              else f"$(cat {settings.data_dir / SECRET_FILE})")
    return f"\nManaged identity: IDENTITY_ENDPOINT={endpoint} IDENTITY_HEADER={secret}"


def _announce_when_ready(url: str, verify: ssl.SSLContext | bool, banner: str) -> None:
    """Print ``banner`` once ``url`` answers (from a daemon thread; never if it never does)."""

    def wait() -> None:
        while True:
            try:
                httpx.get(url, verify=verify, timeout=2)
            except httpx.HTTPError:
                time.sleep(_POLL_SECONDS)
                continue
            typer.echo(banner, err=True)
            sys.stderr.flush()
            return

    threading.Thread(target=wait, name="credo-banner", daemon=True).start()


@handle_errors
def serve(
    data_dir: DataDirOption,
    host: Annotated[str | None, typer.Option(
        help="Address to listen on.", show_default="the host setting")] = None,
    port: Annotated[int | None, typer.Option(
        help="Port to listen on.", show_default="the port setting")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes.", show_default="the workers setting")] = None,
    insecure_http: Annotated[bool, typer.Option(
        "--insecure-http", help="Plain HTTP, only behind a TLS-terminating proxy.")] = False,
    log_format: Annotated[str | None, typer.Option(
        help="Log lines: json or text.", show_default="the log_format setting")] = None,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus /metrics on this port (metrics_host, loopback by default).",
        show_default="the metrics_port setting (0: none)")] = None,
) -> None:
    """Run the server (HTTPS with the data dir's local CA) until Ctrl-C."""
    from credo.service.setup import is_initialized, secure_data_dir
    from credo.store.migrate import upgrade

    settings = load_settings(data_dir, workers=workers, insecure_http=insecure_http or None,
                             log_format=log_format, metrics_port=metrics_port)
    if not is_initialized(settings):
        raise CliError(f"{settings.data_dir} is not initialized: run `credo init` first",
                       exit_code=EXIT_USAGE)
    listen_host, listen_port = host or settings.host, port or settings.port
    _check_address(settings, listen_host, listen_port)
    for loose in secure_data_dir(settings.data_dir, fix=True):
        warn(f"{loose.describe()} (the data dir holds keys and password hashes)")
    upgrade(settings.database_url)
    _probe(listen_host, listen_port, option=port is not None)
    if settings.metrics_port:
        _probe(settings.metrics_host, settings.metrics_port, "metrics_port",
               option=metrics_port is not None)
    if settings.managed_identity_port:
        _probe(settings.managed_identity_host, settings.managed_identity_port,
               "managed_identity_port")
    _run(settings, listen_host, listen_port)


def _run(settings: Settings, host: str, port: int) -> None:
    """uvicorn on ``host:port``; several workers serving ``/metrics`` share a metrics
    directory, made for them (set before they start: prometheus-client's multiprocess mode)."""
    from credo.metrics import exposition

    os.environ["CREDO_DATA_DIR"] = str(settings.data_dir)  # what the workers load
    os.environ["CREDO_BASE_URL"] = settings.base_url
    os.environ["CREDO_LOG_FORMAT"] = settings.log_format
    if settings.workers == 1 or not settings.metrics_port:
        _serve(settings, host, port, None)  # one process: its own registry is the whole truth
        return
    metrics_dir, ours = exposition.prepare_directory(os.environ)
    try:
        _serve(settings, host, port, metrics_dir)
    finally:
        exposition.forget_dead_workers(metrics_dir)  # a worker stopped before its shutdown ran
        if ours:
            exposition.remove_directory(metrics_dir)


def _serve(settings: Settings, host: str, port: int, metrics_dir: Path | None) -> None:
    """``/metrics`` when asked, the banner once the bootstrap tenant's discovery answers."""
    import uvicorn

    from credo import logs
    from credo.metrics import exposition
    from credo.web.connection_limits import LimitedHttpProtocol

    if settings.metrics_port:
        exposition.start_server(settings.metrics_host, settings.metrics_port, metrics_dir)
    tls: dict[str, str] = {}
    if not settings.insecure_http:
        tls = {"ssl_certfile": str(settings.tls_dir / "server.pem"),
               "ssl_keyfile": str(settings.tls_dir / "server.key.pem")}
    local = _WILDCARDS.get(host, host)
    scheme = "http" if settings.insecure_http else "https"
    probe_url = (f"{scheme}://{f'[{local}]' if ':' in local else local}:{port}"
                 f"/{settings.bootstrap_tenant}/v2.0/.well-known/openid-configuration")
    verify = ssl.create_default_context(cafile=str(settings.ca_path))
    _announce_when_ready(probe_url, verify, _banner(settings, host, port, settings.insecure_http))
    hsts = ([("strict-transport-security", f"max-age={settings.hsts_seconds}")]
            if settings.hsts_seconds else [])
    options: dict[str, Any] = dict(
        factory=True, host=host, port=port, workers=settings.workers,
        log_level=settings.log_level, access_log=False,
        log_config=logs.uvicorn_config(settings.log_level, settings.log_format),
        proxy_headers=False, server_header=False, timeout_graceful_shutdown=5,
        timeout_worker_healthcheck=30, http=LimitedHttpProtocol, headers=hsts, **tls)
    if settings.workers > 1 and reuseport.SUPPORTED:
        _supervise(uvicorn.Config(APP, **options), host, port)
    else:  # one process, or no SO_REUSEPORT: uvicorn's own socket
        uvicorn.run(APP, **options)


def _supervise(config: Any, host: str, port: int) -> None:
    """uvicorn's supervisor over workers that each listen on a socket of their own
    (``web/reuseport.py``)."""
    from uvicorn.supervisors import Multiprocess

    listeners = reuseport.WorkerListeners(host, port)
    try:
        Multiprocess(config, sockets=[listeners]).run()  # type: ignore[list-item]
    except KeyboardInterrupt:
        pass
    finally:
        listeners.close()
