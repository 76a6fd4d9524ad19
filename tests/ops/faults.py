"""What the fault tests send: a directory to ask for tokens, and bounded load.

The processes they run (their own PostgreSQL and Redis, Credo nodes) are ``processes.py``.

* ``directory(...)``: an entra and a strict tenant, each with an API (app role ``Load.Read``)
  and daemons holding it (secret, certificate), made through the management API.
* ``Load``: ``threads`` clients sending token requests until stopped (at most ``limit``
  each), every answer recorded with its time: the figures the tests report.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from credo import certs, jose
from credo.testing.authority import Authority
from credo.testing.graph import Graph
from credo.testing.registrations import Api, App
from credo.testing.server import ServerInfo
from credo.testing.tenant import Tenant
from live import credo, free_port

from .processes import Node, wait_ready

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ROLE = "Load.Read"


@dataclass
class _Directory:
    """What ``credo.testing.Tenant`` needs of an authority: the operator's session, a folder."""

    graph: Graph
    directory: Path
    url: str


@dataclass(frozen=True)
class World:
    entra: Tenant
    strict: Tenant
    entra_api: Api
    strict_api: Api
    secret_daemon: App
    spare_daemon: App
    cert_daemon: App
    spare_grant: str
    graph: Graph


@contextlib.contextmanager
def one_node(folder: Path, domain: str, env: dict[str, str]
             ) -> Iterator[tuple[Node, str, ssl.SSLContext, World]]:
    """``credo init`` and one ``credo serve`` with ``env`` on a free port, ready, with the
    ``directory`` world made; the node is stopped at the end."""
    port = free_port()
    url, data_dir = f"https://127.0.0.1:{port}", folder / "credo"
    credo("init", "--port", str(port), "--domain", domain, data_dir=data_dir, env=env)
    node = Node(data_dir, url, env)
    node.start()
    try:
        context = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.pem"))
        wait_ready(url, context, process=node.process)
        yield node, url, context, directory(url, data_dir, context, folder / "apps")
    finally:
        node.stop()


def directory(url: str, data_dir: Path, context: ssl.SSLContext, folder: Path) -> World:
    """Two tenants (entra, strict), an API in each, daemons granted ``Load.Read``."""
    from credo.config import load_settings

    settings = load_settings(data_dir)
    graph = Graph(ServerInfo(url, data_dir, settings.ca_path, settings.bootstrap_tenant,
                             settings.operator_app_id), context)
    stand_in = cast(Authority, _Directory(graph, folder, url))

    def tenant(profile: str) -> Tenant:
        domain = f"{profile}-{uuid.uuid4().hex[:8]}.test"
        made = graph.call("POST", graph.bootstrap_tenant, "/tenants",
                          {"domain": domain, "profile": profile})
        return Tenant(stand_in, str(made["id"]), domain)

    entra, strict = tenant("entra"), tenant("strict")
    entra_api = entra.api(f"api://load-{uuid.uuid4().hex[:6]}", app_roles=[ROLE])
    strict_api = strict.api(f"api://strict-{uuid.uuid4().hex[:6]}", app_roles=[ROLE])
    secret_daemon = entra.daemon("secret daemon", secret=True)
    spare_daemon = entra.daemon("spare daemon", secret=True)
    cert_daemon = strict.daemon("certificate daemon", certificate=True)
    entra.grant(secret_daemon, entra_api, ROLE)
    [spare_grant] = entra.grant(spare_daemon, entra_api, ROLE)
    strict.grant(cert_daemon, strict_api, ROLE)
    return World(entra, strict, entra_api, strict_api, secret_daemon, spare_daemon,
                 cert_daemon, spare_grant, graph)


def secret_form(app: App, api: Api) -> Callable[[], dict[str, str]]:
    assert app.secret is not None
    form = {"grant_type": "client_credentials", "client_id": app.client_id,
            "client_secret": app.secret, "scope": api.default_scope}
    return lambda: form


def assertion_form(app: App, api: Api, issuer: str) -> Callable[[], dict[str, str]]:
    """A fresh PS256 assertion (new ``jti``) per request, ``aud`` = the issuer: strict's."""
    assert app.certificate is not None
    key = certs.load_private_key(app.certificate.key_path.read_bytes())
    cert = certs.load_certificate(app.certificate.cert_path.read_bytes())
    header = {"typ": "JWT", "x5t#S256": certs.thumbprints(cert).x5t_s256}

    def form() -> dict[str, str]:
        now = int(time.time())
        claims = {"aud": issuer, "iss": app.client_id, "sub": app.client_id,
                  "jti": str(uuid.uuid4()), "iat": now, "nbf": now, "exp": now + 300}
        return {"grant_type": "client_credentials", "client_id": app.client_id,
                "scope": api.default_scope, "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": jose.sign("PS256", key, header, claims)}
    return form


@dataclass(frozen=True)
class Answer:
    sent: float
    done: float
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    code: int  # the AADSTS code of a refusal, 0 otherwise
    retry_after: str = ""
    error: str = ""
    kid: str = ""


@dataclass
class Load:
    """``threads`` clients posting to ``token_url`` until ``stop()`` (or ``limit`` each)."""

    token_url: str
    form: Callable[[], dict[str, str]]
    context: ssl.SSLContext | bool
    threads: int = 4
    limit: int = 5000
    pause: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    """The first token signed by each key (``kid``)."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        self._workers = [threading.Thread(target=self._run, daemon=True)
                         for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)
        return sorted(self.answers, key=lambda a: a.sent)

    def _run(self) -> None:
        with httpx.Client(verify=self.context, timeout=15) as http:
            for _ in range(self.limit):
                if self._stop.is_set():
                    return
                self.answers.append(self._one(http))
                if self.pause:
                    time.sleep(self.pause)

    def _one(self, http: httpx.Client) -> Answer:
        sent = time.monotonic()
        try:
            response = http.post(self.token_url, data=self.form())
        except httpx.HTTPError as exc:
            return Answer(sent, time.monotonic(), 0, 0, error=type(exc).__name__)
        code, kid = 0, ""
        with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
            body = response.json()
            if response.status_code == 200:
                token = body["access_token"]
                kid = jose.parse_compact(token).header["kid"]
                self.tokens.setdefault(kid, token)
            else:
                code = int(body["error_codes"][0])
        return Answer(sent, time.monotonic(), response.status_code, code,
                      response.headers.get("retry-after", ""), kid=kid)


def outcomes(answers: list[Answer]) -> Counter[str]:
    """``200``, ``503/90033``, ``0/ConnectError``… counted."""
    return Counter(f"{a.status}/{a.code or a.error}" if a.status != 200 else "200"
                   for a in answers)


def summary(name: str, answers: list[Answer], **figures: Any) -> str:
    """One line for the report: requests sent, failed, and the test's own figures."""
    failed = sum(1 for a in answers if a.status != 200)
    extra = " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in figures.items())
    return f"FAULT {name}: sent={len(answers)} failed={failed} {dict(outcomes(answers))} {extra}"


def workers(supervisor: int) -> set[int]:
    """The ``credo serve`` supervisor's worker processes (multiprocessing's spawned ones)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    found = set()
    for pid in map(int, children):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.add(pid)
    return found
