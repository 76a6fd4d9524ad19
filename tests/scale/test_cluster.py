"""Two and three nodes on one PostgreSQL and one Redis behind HAProxy, as docs/deploy.md sets
them up (its blocks ``first-node``, ``node-archive``, ``new-node``, ``haproxy-check``,
``rolling-restart`` and ``rotate`` run here, with deploy/haproxy.cfg as it is).

Under load through the balancer: a rolling restart of every node and a key rotation fail no
token request, and every token validates against the JWKS; then a grant revoked through one
node stops working on every node within the bound (``cache_seconds``). The test's own
PostgreSQL and Redis (``tests/ops/processes.py``) are used; the figures are printed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import deploy_doc
from availability import require_or_skip
from credo.resource import TokenValidator
from live import free_port
from ops.faults import (
    Answer,
    Load,
    World,
    directory,
    outcomes,
    secret_form,
    summary,
)
from ops.processes import Node, OwnPostgres, OwnRedis, wait_ready

pytestmark = pytest.mark.slow
CACHE_SECONDS = 1.0


@pytest.fixture(scope="module")
def backing() -> Iterator[tuple[OwnPostgres, OwnRedis]]:
    if not (shutil.which("haproxy") and shutil.which("socat") and shutil.which("curl")):
        require_or_skip("haproxy, socat and curl are needed")
    postgres, redis = OwnPostgres(), OwnRedis()
    yield postgres, redis
    redis.stop()
    postgres.close()


class Cluster:
    """The nodes as docs/deploy.md makes them, and HAProxy in front."""

    def __init__(self, root: Path, count: int, postgres: OwnPostgres, redis: OwnRedis) -> None:
        self.root, self.work = root, root / "work"
        self.work.mkdir()
        self.lb_port = free_port()
        self.url = f"https://127.0.0.1:{self.lb_port}"
        self.ports = [free_port() for _ in range(count)]
        self.dirs = [root / f"node{i + 1}" for i in range(count)]
        self.variables = {
            "DOMAIN": f"cluster{count}.test", "ISSUER": self.url, "BALANCER": "127.0.0.1",
            "DATABASE_URL": postgres.create_database(f"cluster{count}"),
            "REDIS_URL": redis.url.replace("/0", f"/{count}"), "NODE_ADDRESS": "127.0.0.1"}
        self.nodes: list[Node] = []
        self.haproxy: subprocess.Popen[bytes] | None = None
        self.restarts = root / "restarts"
        self.restarts.mkdir()

    def node_env(self, index: int) -> dict[str, str]:
        return {**self.variables, "CREDO_DATA_DIR": str(self.dirs[index]),
                "NODE_PORT": str(self.ports[index])}

    def set_up(self) -> None:
        """The first node, its archive, the others restored from it (docs/deploy.md)."""
        deploy_doc.run("first-node", self.node_env(0), self.work)
        deploy_doc.run("node-archive", self.node_env(0), self.work)
        for index in range(1, len(self.dirs)):
            deploy_doc.run("new-node", self.node_env(index), self.work)
        for index, data_dir in enumerate(self.dirs):
            node = Node(data_dir, f"http://127.0.0.1:{self.ports[index]}",
                        {"CREDO_CACHE_SECONDS": str(CACHE_SECONDS)}, args=("--insecure-http",))
            node.start()
            self.nodes.append(node)
        for node in self.nodes:
            wait_ready(node.url, False, process=node.process)

    @property
    def lb_env(self) -> dict[str, str]:
        env = {"LB_LISTEN": f"127.0.0.1:{self.lb_port}",
               "LB_CERTIFICATE": str(self.root / "lb.pem"),
               "LB_ADMIN_SOCKET": str(self.root / "admin.sock")}
        env |= {f"LB_NODE{i + 1}": f"127.0.0.1:{port}" for i, port in enumerate(self.ports)}
        return env

    def balance(self) -> None:
        """HAProxy with deploy/haproxy.cfg, TLS with the first node's certificate."""
        tls = self.dirs[0] / "tls"
        (self.root / "lb.pem").write_bytes((tls / "server.pem").read_bytes()
                                           + (tls / "server.key.pem").read_bytes())
        deploy_doc.run("haproxy-check", self.lb_env, deploy_doc.ROOT)
        with (self.root / "haproxy.log").open("ab") as log:
            self.haproxy = subprocess.Popen(
                ["haproxy", "-db", "-f", str(deploy_doc.ROOT / "deploy" / "haproxy.cfg")],
                env={**os.environ, **self.lb_env}, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(self.url, self.context(), process=self.haproxy)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.dirs[0] / "tls" / "ca.pem"))

    @contextlib.contextmanager
    def restarter(self) -> Iterator[list[float]]:
        """What ``RESTART`` asks for (a file named after the node): stop and start it."""
        done: list[float] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                for request in self.restarts.iterdir():
                    began = time.monotonic()
                    node = self.nodes[int(request.name.removeprefix("node")) - 1]
                    node.stop()
                    node.start()
                    done.append(time.monotonic() - began)
                    request.unlink()
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            yield done
        finally:
            stop.set()
            watcher.join()

    def retried(self) -> tuple[int, int]:
        """HAProxy's count of retried and redispatched requests (``show stat``)."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.root / "admin.sock"))
            admin.sendall(b"show stat\n")
            text = b"".join(iter(lambda: admin.recv(65536), b"")).decode()
        rows = [line.split(",") for line in text.splitlines() if line.startswith("credo,")]
        [backend] = [r for r in rows if r[1] == "BACKEND"]
        return int(backend[15] or 0), int(backend[16] or 0)

    def close(self) -> None:
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=10)
        for node in self.nodes:
            node.stop()


@pytest.mark.parametrize("count", [3])  # two nodes: tests/scale/test_two_nodes.py
def test_rolling_restart_rotation_and_revocation(count: int, tmp_path: Path,
                                                 backing: tuple[OwnPostgres, OwnRedis]) -> None:
    cluster = Cluster(tmp_path, count, *backing)
    try:
        cluster.set_up()
        cluster.balance()
        world = directory(cluster.url, cluster.dirs[0], cluster.context(), tmp_path / "apps")
        answers, figures = _under_load(cluster, world)
        figures["haproxy_retries"], figures["haproxy_redispatches"] = cluster.retried()
        revoked = _revocation(cluster, world)
    finally:
        cluster.close()
    assert set(outcomes(answers)) == {"200"}, outcomes(answers)
    print(summary(f"cluster-{count}-nodes", answers, **figures,
                  revoked_everywhere_s=max(revoked)))
    assert max(revoked) <= CACHE_SECONDS + 1.0, revoked


def _under_load(cluster: Cluster, world: World) -> tuple[list[Answer], dict[str, float | int]]:
    """Rolling restart, then key rotation, while clients ask the balancer for tokens."""
    context = cluster.context()
    load = Load(f"{cluster.url}/{world.entra.id}/oauth2/v2.0/token",
                secret_form(world.secret_daemon, world.entra_api), context,
                threads=4, pause=0.01).start()
    try:
        time.sleep(1)
        nodes = " ".join(f"node{i + 1}=127.0.0.1:{p}" for i, p in enumerate(cluster.ports))
        restart = 'touch "$RESTARTS/{name}"; while [ -e "$RESTARTS/{name}" ]; do sleep 0.1; done'
        began = time.monotonic()
        with cluster.restarter() as restarts:
            deploy_doc.run("rolling-restart", {
                **cluster.lb_env, "NODES": nodes, "RESTART": restart,
                "RESTARTS": str(cluster.restarts)}, deploy_doc.ROOT)
        rolled = time.monotonic() - began
        assert len(restarts) == len(cluster.nodes)
        out = deploy_doc.run("rotate", cluster.node_env(0), cluster.work)
        time.sleep(CACHE_SECONDS + 2)
    finally:
        answers = load.stop()
    new_kid = out.split("active signing key: ")[1].split()[0]
    first_new = min(a.done for a in answers if a.kid == new_kid)  # the rotation committed
    assert {a.kid for a in answers if a.sent > first_new + CACHE_SECONDS + 0.5} == {new_kid}
    switched = max(a.done for a in answers if a.kid != new_kid) - first_new
    _validate(cluster, world, load.tokens)
    return answers, {"rolling_restart_s": rolled, "node_restart_max_s": max(restarts),
                           "old_key_last_signed_after_new_s": switched}


def _validate(cluster: Cluster, world: World, tokens: dict[str, str]) -> None:
    """A token of each signing key used verifies against the JWKS (``credo.resource``)."""
    assert len(tokens) == 2  # before and after the rotation
    api = world.entra_api
    validator = TokenValidator(f"{cluster.url}/{world.entra.id}",
                               [api.app_id, api.identifier_uri], verify=cluster.context())
    try:
        for token in tokens.values():
            assert "Load.Read" in validator.validate_sync(token).roles
    finally:
        validator.close()


def _revocation(cluster: Cluster, world: World) -> list[float]:
    """Revoke through node 1; the seconds until each node refuses (AADSTS501051)."""
    form = secret_form(world.spare_daemon, world.entra_api)()
    token_urls = [f"{n.url}/{world.entra.id}/oauth2/v2.0/token" for n in cluster.nodes]
    operator = world.graph.token(world.entra.id)
    with httpx.Client(timeout=15) as http:
        for url in token_urls:  # every node has the grant in its cache
            assert http.post(url, data=form).status_code == 200
        api_sp = world.entra_api.sp_id
        gone = http.delete(f"{cluster.nodes[0].url}/v1.0/servicePrincipals/{api_sp}"
                           f"/appRoleAssignedTo/{world.spare_grant}",
                           headers={"Authorization": f"Bearer {operator}"})
        assert gone.status_code == 204, gone.text
        revoked = time.monotonic()
        found: list[float] = []
        for url in token_urls:
            while (answer := http.post(url, data=form)).status_code == 200:
                assert time.monotonic() - revoked < 30
                time.sleep(0.02)
            assert answer.json()["error_codes"] == [501051], answer.text
            found.append(time.monotonic() - revoked)
    return found
