"""``make demo``: the whole app-only story against real processes, in about a minute.

certificate → app registration → admin consent → token (credo.client and MSAL) → the mail
API → revoke ``Mail.Read`` → the API refuses (403 ``insufficient_scope``) → revoke the rest
→ Credo refuses the token (``AADSTS501051``).

Everything runs as it would on a laptop: ``credo init`` in a temporary data directory,
``credo serve`` and the mail API as subprocesses on free ports over HTTPS (the mail API
reuses the server certificate of Credo's local CA), every change through the ``credo`` CLI,
and the daemon (``examples/daemon.py``) as its own process. Each step is one line on the
screen; the servers' logs go to files in the temporary directory and are shown only when
something fails. Whatever happens (an error, Ctrl-C or SIGINT, SIGTERM; also when started in
the background, where a shell starts it with SIGINT ignored) the processes are stopped and
the directory is removed (``--keep`` keeps it, to look at the logs and certificates).

Exit status 0 when the story went as told; 1 when a step failed; 130 on Ctrl-C, SIGINT or
SIGTERM.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from credo.client import CertificateCredential, ConfidentialClient
from credo.config import load_settings
from credo.errors import OAuthError, TemporarilyUnavailable

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "contoso.example"
RESOURCE = "api://mail"
ROLES = ("Mail.Read", "Calendars.Read", "Contacts.Read")
GRANTED = ("Mail.Read", "Calendars.Read")
NOT_ASSIGNED = 501051
COMMAND_TIMEOUT = 60.0
"""Seconds one CLI command or daemon run may take."""
READY_TIMEOUT = 60.0
"""Seconds a server may take to answer after it was started."""
STOP_TIMEOUT = 10.0
LOG_TAIL = 40
STEPS = 15


class DemoError(Exception):
    """A step did not go as the story says; ``output`` is what explains it."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A server process the demo started, and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Step:
    """What a finished step prints under its title."""

    details: list[str] = field(default_factory=list)
    output: Text | None = None

    def note(self, text: str) -> None:
        self.details.append(text)


class Demo:
    """Runs the story step by step; ``close()`` stops what it started."""

    def __init__(self, console: Console, work: Path, *, timeout: float) -> None:
        self.console = console
        self.work = work
        self.data_dir = work / "credo"
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.services: list[Service] = []
        # The demo's own deployment only: CREDO_* settings of the caller's shell (a server
        # URL, a database, a port) must not leak into it.
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CREDO_")},
                    "CREDO_DATA_DIR": str(self.data_dir)}
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
            MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)
        self.task = self.progress.add_task("starting", total=STEPS)
        # Filled in as the story goes.
        self.server_url = self.ca = self.tenant_id = ""
        self.api_app_id = self.daemon_app_id = self.api_url = ""
        self.cert = self.key = Path()
        self.cache_seconds = 2.0

    # -- plumbing --------------------------------------------------------------------------

    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DemoError(f"the demo took longer than its {self.timeout:g} s budget")
        return min(cap, left)

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        """One line per step: a spinner while it runs, then ✓ (or ✗) with its duration."""
        self.progress.update(self.task, description=title)
        started = time.monotonic()
        record = Step()
        try:
            yield record
        except BaseException:
            self.console.print(f"[bold red]✗[/bold red] {title}")
            raise
        elapsed = time.monotonic() - started
        self.console.print(f"[bold green]✓[/bold green] {title} [dim]({elapsed:.1f} s)[/dim]")
        for line in record.details:
            self.console.print(Padding(Text.from_markup(f"[dim]{line}[/dim]"), (0, 0, 0, 4)))
        if record.output is not None:
            self.console.print(Padding(record.output, (0, 0, 0, 4)))
        self.progress.advance(self.task)

    def credo(self, *args: str, step: Step | None = None, as_json: bool = True) -> Any:
        """``credo ARGS [--json]`` in a subprocess; returns the parsed JSON (or the text)."""
        shown = "credo " + shlex.join(args)
        if step is not None:
            step.note(f"$ {shown}")
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "credo.cli.main", *args,
                 *(["--json"] if as_json else [])], cwd=self.work,
                env=self.env, capture_output=True, text=True,
                timeout=self.remaining(COMMAND_TIMEOUT))
        except subprocess.TimeoutExpired as exc:
            raise DemoError(f"`{shown}` did not finish in time (a command may take "
                            f"{COMMAND_TIMEOUT:g} s, the whole demo {self.timeout:g} s)") from exc
        if done.returncode != 0:
            raise DemoError(f"`{shown}` failed (exit {done.returncode})",
                            done.stderr + done.stdout)
        if not as_json:
            return done.stdout
        try:
            return json.loads(done.stdout)
        except ValueError as exc:
            raise DemoError(f"`{shown}` printed no JSON", done.stdout) from exc

    def start(self, name: str, argv: Sequence[str], ready: Callable[[], bool],
              env: dict[str, str] | None = None) -> Service:
        """Start a server (its own session: a Ctrl-C reaches the demo, which stops it)."""
        log = self.work / f"{name.replace(' ', '-').lower()}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                list(argv), cwd=ROOT, env=env or self.env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        service = Service(name, process, log)
        self.services.append(service)
        deadline = time.monotonic() + self.remaining(READY_TIMEOUT)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DemoError(f"{name} exited with status {process.returncode}",
                                log.read_text(errors="replace"))
            if ready():
                return service
            time.sleep(0.2)
        raise DemoError(f"{name} did not answer within {READY_TIMEOUT:g} s",
                        log.read_text(errors="replace"))

    def answers(self, url: str) -> bool:
        try:
            return httpx.get(url, verify=self.ssl(), timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def daemon(self, *, use_msal: bool, expect: int) -> str:
        """Run ``examples/daemon.py`` as its own process; check its exit status."""
        argv = [sys.executable, "-m", "examples.daemon",
                "--authority", f"{self.server_url}/{DOMAIN}", "--client-id", self.daemon_app_id,
                "--cert", str(self.cert), "--key", str(self.key), "--api", self.api_url,
                "--ca", self.ca] + (["--msal"] if use_msal else [])
        env = {**self.env, "COLUMNS": str(max(72, self.console.width - 4))}
        if self.console.is_terminal:
            env["FORCE_COLOR"] = "1"
        if use_msal:
            # requests (MSAL's HTTP client) prefers this variable over its verify= option.
            env["REQUESTS_CA_BUNDLE"] = env["CURL_CA_BUNDLE"] = self.ca
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                argv, cwd=ROOT, env=env, capture_output=True, text=True,
                timeout=self.remaining(COMMAND_TIMEOUT))
        except subprocess.TimeoutExpired as exc:
            raise DemoError(f"the daemon did not finish in time (a run may take "
                            f"{COMMAND_TIMEOUT:g} s, the whole demo {self.timeout:g} s)") from exc
        if done.returncode != expect:
            raise DemoError(f"the daemon exited with {done.returncode}, expected {expect}",
                            done.stdout + done.stderr)
        return done.stdout.rstrip()

    def token_client(self) -> ConfidentialClient:
        return ConfidentialClient(f"{self.server_url}/{DOMAIN}", self.daemon_app_id,
                                  credential=CertificateCredential.from_files(self.cert,
                                                                              self.key),
                                  verify=self.ca)

    def wait_for(self, what: str, done: Callable[[ConfidentialClient], bool]) -> float:
        """Poll the token endpoint until ``done``; bounded by the propagation bound + 15 s."""
        started = time.monotonic()
        limit = started + self.remaining(self.cache_seconds + 15)
        with self.token_client() as client:
            while True:
                if done(client):
                    return time.monotonic() - started
                if time.monotonic() > limit:
                    raise DemoError(f"new tokens still do not show that {what} after "
                                    f"{time.monotonic() - started:.1f} s")
                time.sleep(0.25)

    def close(self) -> None:
        """Stop every server this demo started: SIGTERM, then SIGKILL after a grace."""
        for service in reversed(self.services):
            if service.process.poll() is None:
                service.process.terminate()
        for service in reversed(self.services):
            try:
                service.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()

    def show_logs(self) -> None:
        for service in self.services:
            if service.log.exists():
                lines = service.log.read_text(errors="replace").splitlines()[-LOG_TAIL:]
                self.console.print(Panel(Text("\n".join(lines)), title=f"{service.name} log "
                                         f"(last {LOG_TAIL} lines)", title_align="left",
                                         border_style="dim"))

    # -- the story ---------------------------------------------------------------------------

    def run(self) -> None:
        with self.progress:
            self.set_up_credo()
            self.register_apps()
            self.start_mail_api()
            self.read_mail()
            self.revoke()

    def set_up_credo(self) -> None:
        with self.step("Initialise Credo in a fresh data directory") as s:
            port = free_port()
            info = self.credo("init", "--port", str(port), "--domain", "credo.local", step=s)
            self.server_url, self.ca = info["serverUrl"], info["caPath"]
            s.note(f"local CA for clients to trust: {self.ca}")
        with self.step("Start the server (credo serve)") as s:
            discovery = f"{self.server_url}/{info['tenantId']}/v2.0/.well-known/" \
                        "openid-configuration"
            service = self.start("credo serve", [sys.executable, "-m", "credo.cli.main",
                                                 "serve"], lambda: self.answers(discovery))
            s.note(f"{self.server_url}  (pid {service.process.pid}, log {service.log.name})")
            self.cache_seconds = load_settings(self.data_dir).cache_seconds
        with self.step(f"Create the tenant {DOMAIN}") as s:
            self.tenant_id = self.credo("tenant", "create", DOMAIN, step=s)["id"]
            s.note(f"tenant id {self.tenant_id}")

    def register_apps(self) -> None:
        with self.step("Register the Mail API with its application permissions") as s:
            roles = [arg for role in ROLES for arg in ("--app-role", role)]
            api = self.credo("app", "create", "Mail API", "--tenant", DOMAIN,
                             "--identifier-uri", RESOURCE, *roles, step=s)
            self.api_app_id = api["appId"]
            s.note(f"appId {self.api_app_id}, roles {', '.join(ROLES)}")
        with self.step("Register the daemon app") as s:
            daemon = self.credo("app", "create", "Mail daemon", "--tenant", DOMAIN,
                                step=s)
            self.daemon_app_id = daemon["appId"]
            s.note(f"appId {self.daemon_app_id}")
        with self.step("Create the daemon's certificate") as s:
            made = self.credo("cert", "create", "--subject", "CN=Mail daemon", "--out",
                              "daemon", step=s)
            self.cert = self.work / made["files"]["pem"]
            self.key = self.work / made["files"]["key"]
            s.note(f"thumbprint (x5t#S256) {made['x5tS256']}")
        with self.step("Upload the certificate to the daemon app") as s:
            self.credo("app", "cert", "add", self.daemon_app_id,
                       str(self.cert), step=s)
        with self.step(f"Admin consent: grant {' and '.join(GRANTED)} to the daemon") as s:
            roles = [arg for role in GRANTED for arg in ("--role", role)]
            self.credo("consent", "grant", self.daemon_app_id, "--tenant", DOMAIN,
                       "--resource", RESOURCE, *roles, step=s)

    def start_mail_api(self) -> None:
        with self.step("Start the Mail API (seeded with five mailboxes)") as s:
            port = free_port()
            self.api_url = f"https://127.0.0.1:{port}"
            tls = self.data_dir / "tls"
            argv = [sys.executable, "-m", "examples.mail_api",
                    "--authority", f"{self.server_url}/{self.tenant_id}",
                    "--audience", RESOURCE, "--audience", self.api_app_id,
                    "--tenant", self.tenant_id, "--ca", self.ca,
                    "--seed-tenant", self.tenant_id, "--seed-domain", DOMAIN,
                    "--port", str(port), "--tls-cert", str(tls / "server.pem"),
                    "--tls-key", str(tls / "server.key.pem")]
            service = self.start("Mail API", argv, lambda: self.answers(
                f"{self.api_url}/health"))
            s.note(f"{self.api_url}  (pid {service.process.pid}, log {service.log.name})")

    def read_mail(self) -> None:
        with self.step("The daemon reads every mailbox's unread mail (credo.client)") as s:
            s.output = Text.from_ansi(self.daemon(use_msal=False, expect=0))
        with self.step("The same daemon with MSAL Python") as s:
            lines = Text.from_ansi(self.daemon(use_msal=True, expect=0)).split()
            header = list(itertools.takewhile(
                lambda line: not line.plain.startswith(("┏", "┃", "╭")), lines))
            s.output = Text("\n").join([*header, Text("(the same table)", style="dim")])

    def revoke(self) -> None:
        revoke = ["consent", "revoke", self.daemon_app_id, "--tenant", DOMAIN,
                  "--resource", RESOURCE]
        with self.step("Revoke Mail.Read (Calendars.Read stays granted)") as s:
            self.credo(*revoke, "--role", "Mail.Read", step=s, as_json=False)

            def lost_mail(client: ConfidentialClient) -> bool:
                try:
                    token = client.acquire_token_for_client([f"{RESOURCE}/.default"],
                                                            force_refresh=True)
                except TemporarilyUnavailable:
                    return False
                return "Mail.Read" not in (token.claims().get("roles") or [])

            took = self.wait_for("Mail.Read is revoked", lost_mail)
            s.note(f"new tokens lack Mail.Read after {took:.1f} s "
                   f"(propagation bound {self.cache_seconds:g} s)")
        with self.step("The daemon again: the API refuses the token without Mail.Read") as s:
            s.output = Text.from_ansi(self.daemon(use_msal=False, expect=4))
        with self.step("Revoke every permission the daemon holds on the Mail API") as s:
            self.credo(*revoke, "--all", step=s, as_json=False)

            def refused(client: ConfidentialClient) -> bool:
                try:
                    client.acquire_token_for_client([f"{RESOURCE}/.default"],
                                                    force_refresh=True)
                except TemporarilyUnavailable:
                    return False
                except OAuthError as error:
                    return error.code == NOT_ASSIGNED
                return False

            took = self.wait_for("every permission is revoked", refused)
            s.note(f"token requests are refused after {took:.1f} s: the Mail API requires an "
                   "app-role assignment")
        with self.step("The daemon again: Credo refuses to issue the token") as s:
            s.output = Text.from_ansi(self.daemon(use_msal=False, expect=3))


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Handled by the demo itself: a shell starts a background job (``make demo &``, nohup,
setsid) with SIGINT ignored, and Python then installs no KeyboardInterrupt handler."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (data dir, certificate, logs)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="the whole demo's time budget in seconds (default: 120)")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=110)  # logs: room for the daemon's table
    work = Path(tempfile.mkdtemp(prefix="credo-demo-"))
    previous = {signum: signal.signal(signum, _interrupt) for signum in _STOP_SIGNALS}
    demo = Demo(console, work, timeout=args.timeout)
    console.print(Panel(
        "certificate → app registration → admin consent → token → mail API → revoke → "
        "refused\n[dim]working directory: " + escape(str(work)) + "[/dim]",
        title="Credo: a daemon reads a tenant's mail", title_align="left"))
    started = time.monotonic()
    status = 1
    try:
        demo.run()
        status = 0
    except DemoError as error:
        console.print(Panel(Text(error.output.strip() or "(no output)"),
                            title=f"[red]{escape(str(error))}[/red]", title_align="left",
                            border_style="red"))
        demo.show_logs()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        status = 130
    finally:
        demo.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    stopped = ", ".join(f"{s.name} (pid {s.process.pid})" for s in demo.services) or "nothing"
    console.print(f"[dim]stopped {escape(stopped)}; "
                  f"{'kept' if args.keep else 'removed'} {escape(str(work))}[/dim]")
    if status == 0:
        console.print(Panel(
            "The daemon read the tenant's mail with a certificate and admin consent; after "
            "the consent was revoked the API refused it, then Credo refused to issue it a "
            f"token at all. [dim]({time.monotonic() - started:.0f} s)[/dim]",
            title="[green]Demo complete[/green]", title_align="left", border_style="green"))
    return status


if __name__ == "__main__":
    sys.exit(main())
