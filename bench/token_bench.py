#!/usr/bin/env python3
"""``make bench``: Credo's client-credentials throughput against node-oidc-provider, one sitting.

What it does, in order (every target on 127.0.0.1, every run bounded in time and count):

1. Prerequisites: wrk (installed with ``apt-get install -y wrk`` when missing and we are
   root), Redis for the strict profile (``BENCH_REDIS_URL``, default
   ``redis://127.0.0.1:6379/9``; if nothing answers there, a private ``redis-server`` on
   port 6390 is started and stopped again), node + npm for the node-oidc-provider peer
   (installed with npm into ``$BENCH_TMP/node-oidc``, never into the repo). What is missing
   is skipped, and the reason printed.
2. The sitting's RSA-2048 crypto ceiling (``openssl speed`` and
   ``../shared/bench/crypto_ceiling.py``).
3. Keys (``gen_assertions.py keys``), then three Credo data dirs (``bench/setup_bench.py``):
   one with 10 registered applications, one with 100,000, one with 10,000 tenants (each
   onboarded as ``credo tenant create`` does, with a daemon app). Each has a tenant with
   profile ``entra`` and one with ``strict``, the resource ``api://bench`` (app role
   ``Bench.Read``, requestedAccessTokenVersion 2) and a daemon per tenant with the bench
   client certificate, a client secret and an app-role assignment.
4. Peers, alternating (for each repeat, for each concurrency: every peer), each started,
   checked once (200 + the token verifies against Credo's JWKS with the expected
   ``iss``/``aud``/``tid``/``roles``; replay refused under strict; a bad signature refused),
   warmed up and measured with ``../shared/bench/run-token-bench.sh``, then stopped:
     credo-entra       credo serve --workers 2 over HTTPS, entra tenant, RS256 assertions
                       (shared gen_assertions.py), aud = the tenant's exact v2 token URL
     credo-entra-100k  the same against the data dir with 100,000 apps
     credo-entra-10kt  the same against the data dir with 10,000 tenants
     credo-secret      the entra daemon with its client secret (client_secret_post)
     credo-strict      the strict tenant, CREDO_REDIS_URL set (replay store shared by both
                       workers), PS256 assertions (bench/assertions.py: strict accepts PS256
                       only), aud = the tenant's issuer, lifetime 600 s (made just in time)
     node2             node-oidc-provider, 2 processes (node:cluster), the README's config
     py-lean           the bound, not a peer: the harness's lean Python sketch
                       (peers/py-lean: raw ASGI, no logs, no directory, per-process jti
                       cache) in 2 uvicorn processes over HTTPS like Credo
                       (``bench/lean_peer.py``; its own venv in $BENCH_TMP/py-lean-venv),
                       node2's bodies
     py-lean-redis     the same sketch with its jti store in Redis (REPLAY=redis on
                       BENCH_REDIS_URL, shared by both processes, as credo-strict's is):
                       the bound for strict
   Credo serves HTTPS (TLS 1.3 from uvicorn; ``PLAIN_HTTP=1`` for plain HTTP); node2 is plain
   HTTP, as the shared harness runs it. Throttling, metrics, the access log and the sign-in
   log are on with their defaults.
5. The CPU split of the live server (``profile_live.py``: py-spy on both workers, entra, 16
   connections; py-spy is installed into ``$BENCH_TMP/tools`` when missing).
6. A summary: tokens/s, p50/p99, server CPU ms/token, the ratios against node2, p99/p50, the
   10 vs 100k apps and 1 vs 10k tenants ratios, client-secret throughput and the per-core
   ratio against the crypto ceiling, each compared with the targets.
   Raw JSONL, logs and the summary go to ``bench/results/<date>/``; the
   request bodies (large) stay in ``$BENCH_TMP``.

Environment knobs:
  SECONDS_RUN=15 WARMUP=5 CONCS="16 64" REPEATS=2
  SKIP_NODE=1 SKIP_100K=1 SKIP_STRICT=1 SKIP_CRYPTO=1 SKIP_LEAN=1
  PEERS="credo-entra credo-entra-100k credo-entra-10kt credo-secret credo-strict node2 py-lean
         py-lean-redis"
  SKIP_PROFILE=1 PLAIN_HTTP=1
  APPS_SMALL=10 APPS_BIG=100000 TENANTS_BIG=10000 WORKERS=2
  BENCH_TMP=/tmp/credo-bench  BENCH_PORT=8471  NODE_PORT=8400
  BENCH_REDIS_URL=redis://127.0.0.1:6379/9  RESULTS_DIR=bench/results/<date>
  QUIET_WAIT=30 QUIET_CORES=0.3   before each run, wait up to QUIET_WAIT s for other work on
                                  the machine to fall below QUIET_CORES cores (0 = never wait)
  CREDO_SHARED_BENCH=<repo>/../shared/bench   where the wrk load harness lives: a data location
                                              outside the repository, needed only to benchmark
Exit status: 0 when every run completed (targets missed are reported, not failed),
1 when a run or a check failed, 2 when a prerequisite for everything is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SHARED = Path(os.environ.get("CREDO_SHARED_BENCH") or REPO / ".." / "shared" / "bench").resolve()
PY = sys.executable

# The shared harness's cursor helpers (one use per body) and its port -> PID lookup.
sys.path.insert(0, str(SHARED))
try:
    from tokenbench import (  # type: ignore[import-not-found]
        advance_cursor,
        listening_pids,
        read_cursor,
    )
except ImportError:  # reported by main()
    advance_cursor = listening_pids = read_cursor = None

# The targets (as ratios measured in one sitting; docs/performance.md).
TARGET_ENTRA_X_NODE = 1.5
TARGET_STRICT_X_NODE = 1.3
TARGET_CPU_X_CRYPTO = 1.6  # server CPU per token <= 1.6 x this machine's RSA sign + verify
TARGET_P99_P50 = 2.5
# ../shared/bench/README.md: "read differences under ~10% between single runs as noise"
NOISE = 0.10

DISTURBED = 0.25  # "other" cores above this: other work shared the machine during the run
ALL_PEERS = ("credo-entra", "credo-entra-100k", "credo-entra-10kt", "credo-secret",
             "credo-strict", "node2", "py-lean", "py-lean-redis")
LEAN_PEERS = ("py-lean", "py-lean-redis")
SKETCH_BODIES = ("node2", *LEAN_PEERS)  # node2's body file serves the sketch too
REDIS_PEERS = ("credo-strict", "py-lean-redis")
LEAN_PACKAGES = ("uvicorn", "uvloop", "httptools", "orjson", "cryptography", "redis", "hiredis")
BIG_SETUPS = {"credo-entra-100k": "big", "credo-entra-10kt": "tenants"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in {"1", "true", "yes"}


@dataclass
class Config:
    seconds: int = field(default_factory=lambda: env_int("SECONDS_RUN", 15))
    warmup: int = field(default_factory=lambda: env_int("WARMUP", 5))
    concs: list[int] = field(default_factory=lambda: [
        int(c) for c in (os.environ.get("CONCS") or "16 64").split()])
    repeats: int = field(default_factory=lambda: env_int("REPEATS", 2))
    workers: int = field(default_factory=lambda: env_int("WORKERS", 2))
    apps_small: int = field(default_factory=lambda: env_int("APPS_SMALL", 10))
    apps_big: int = field(default_factory=lambda: env_int("APPS_BIG", 100_000))
    tenants_big: int = field(default_factory=lambda: env_int("TENANTS_BIG", 10_000))
    tls: bool = field(default_factory=lambda: not env_flag("PLAIN_HTTP"))
    tmp: Path = field(default_factory=lambda: Path(os.environ.get("BENCH_TMP")
                                                    or "/tmp/credo-bench"))
    port: int = field(default_factory=lambda: env_int("BENCH_PORT", 8471))
    node_port: int = field(default_factory=lambda: env_int("NODE_PORT", 8400))
    redis_url: str = field(default_factory=lambda: os.environ.get("BENCH_REDIS_URL")
                           or "redis://127.0.0.1:6379/9")
    skip_crypto: bool = field(default_factory=lambda: env_flag("SKIP_CRYPTO"))
    quiet_wait: int = field(default_factory=lambda: env_int("QUIET_WAIT", 30))
    quiet_cores: float = field(default_factory=lambda: float(os.environ.get("QUIET_CORES")
                                                             or 0.3))
    peers: list[str] = field(default_factory=list)
    results: Path = field(default_factory=Path)
    stamp: str = field(default_factory=lambda: time.strftime("%H%M%S"))


# --- output --------------------------------------------------------------------------
LOG: list[str] = []


def say(msg: str = "") -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}" if msg else ""
    print(line, flush=True)
    LOG.append(line)


def banner(msg: str) -> None:
    say("")
    say(f"=== {msg}")


# --- processes we start (stopped by their own process group id, nothing else) ----------
STARTED: list[subprocess.Popen[bytes]] = []


def start(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
          log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as f:
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    STARTED.append(p)
    return p


def stop(p: subprocess.Popen[bytes] | None, port: int | None = None) -> None:
    if p is None:
        return
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    else:  # the leader exited; its group may still hold workers
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    if p in STARTED:
        STARTED.remove(p)
    if port is not None:
        deadline = time.time() + 10
        while port_open(port) and time.time() < deadline:
            time.sleep(0.1)


def stop_all() -> None:
    for p in list(STARTED):
        stop(p)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


# --- prerequisites ---------------------------------------------------------------------
def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    say("wrk is missing: it is the load generator of ../shared/bench (Debian package `wrk`).")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing it: apt-get install -y wrk")
        cmd = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    if shutil.which("wrk"):
        return True
    say("wrk could not be installed; install it (apt-get install -y wrk) and run again.")
    return False


def cpu_split(cfg: Config) -> list[str]:
    """Where the live server's CPU goes (``profile_live.py``: py-spy on both workers under
    the same load, entra, 16 connections). py-spy is installed into ``$BENCH_TMP/tools``
    when missing; without it the split is skipped and the reason given."""
    tools = cfg.tmp / "tools"
    spy = shutil.which("py-spy") or str(tools / "bin" / "py-spy")
    if not Path(spy).exists():
        say(f"installing py-spy into {tools} (outside the repository)")
        subprocess.run([PY, "-m", "venv", str(tools)], check=False, stdout=subprocess.DEVNULL)
        subprocess.run([str(tools / "bin" / "pip"), "install", "-q", "py-spy"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not Path(spy).exists():
        return ["- skipped: py-spy could not be installed (pip install py-spy; PYSPY=path)"]
    done = subprocess.run([PY, str(BENCH / "profile_live.py"), "--seconds", "15", "--top", "12",
                           "--port", str(cfg.port), "--tmp", str(cfg.tmp / "live")],
                          env=dict(credo_env(), PYSPY=spy), capture_output=True, text=True,
                          check=False, timeout=600)
    out = done.stdout.splitlines()
    if done.returncode != 0 or not out:
        return [f"- failed (exit {done.returncode}): {(done.stdout + done.stderr)[-400:]}"]
    start = next((i for i, ln in enumerate(out) if ln.startswith("server CPU")), 0)
    stop = next((i for i, ln in enumerate(out) if ln.startswith("--- Credo functions")),
                len(out))
    return ["```", *[ln for ln in out[start:stop] if ln.strip()], "```"]


def redis_ping(url: str) -> bool:
    u = urlparse(url)
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(cfg: Config) -> tuple[str | None, subprocess.Popen[bytes] | None, str]:
    """(url or None, a redis process we started or None, why skipped)."""
    if redis_ping(cfg.redis_url):
        return cfg.redis_url, None, ""
    if not shutil.which("redis-server"):
        return None, None, (f"no Redis answers at {cfg.redis_url} and redis-server is not "
                            "installed (apt-get install -y redis-server)")
    port = 6390
    say(f"no Redis at {cfg.redis_url}: starting a private redis-server on 127.0.0.1:{port}")
    p = start(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
              log=cfg.tmp / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if redis_ping(url):
            return url, p, ""
        time.sleep(0.1)
    stop(p)
    return None, None, "redis-server did not start (see redis.log)"


def ensure_node_peer(cfg: Config) -> tuple[Path | None, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, ("node and npm are needed for node-oidc-provider "
                      "(apt-get install -y nodejs npm)")
    src = SHARED / "peers" / "node-oidc-provider"
    dst = cfg.tmp / "node-oidc"
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "server.mjs"):
        if not (dst / name).exists() or (dst / name).read_bytes() != (src / name).read_bytes():
            shutil.copyfile(src / name, dst / name)
    if not (dst / "node_modules" / "oidc-provider" / "package.json").exists():
        say(f"installing node-oidc-provider into {dst} (npm install, outside the repo)")
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=dst,
                              check=False, timeout=600, capture_output=True, text=True)
        if done.returncode != 0:
            return None, f"npm install failed: {done.stderr.strip()[-300:]}"
    return dst, ""


def ensure_lean_peer(cfg: Config) -> tuple[Path | None, str]:
    """A venv in ``$BENCH_TMP/py-lean-venv`` with the sketch's packages at the versions the
    shared harness pins (``requirements.txt``); returns its python."""
    sketch = SHARED / "peers" / "py-lean" / "app.py"
    if not sketch.exists():
        return None, f"the lean sketch is missing at {sketch}"
    pins = [ln.strip() for ln in (SHARED / "requirements.txt").read_text().splitlines()
            if ln.split("==")[0].strip().lower() in LEAN_PACKAGES]
    venv = cfg.tmp / "py-lean-venv"
    python = venv / "bin" / "python"
    stamp = venv / "installed.txt"
    if not stamp.exists() or stamp.read_text() != "\n".join(pins):
        say(f"installing the lean sketch's packages into {venv}: {' '.join(pins)}")
        subprocess.run([PY, "-m", "venv", str(venv)], check=False, stdout=subprocess.DEVNULL)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *pins], check=False,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return None, f"pip install failed: {done.stderr.strip()[-300:]}"
        stamp.write_text("\n".join(pins))
    return python, ""


# --- the machine ----------------------------------------------------------------------------
CLK = os.sysconf("SC_CLK_TCK")


def busy_cores(seconds: float) -> float:
    """Cores busy on the whole machine over ``seconds`` (/proc/stat)."""
    def busy() -> int:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:8]]
        return v[0] + v[1] + v[2] + v[5] + v[6]
    a = busy()
    time.sleep(seconds)
    return (busy() - a) / CLK / seconds


def wait_quiet(cfg: Config) -> float | None:
    """Other people's work shares these 2 cores: give it a chance to finish before a run."""
    if cfg.quiet_wait <= 0:
        return None
    load = busy_cores(1.0)
    if load <= cfg.quiet_cores:
        return load
    say(f"  other work is using {load:.2f} cores: waiting up to {cfg.quiet_wait}s for it "
        f"to fall below {cfg.quiet_cores}")
    deadline = time.time() + cfg.quiet_wait
    while time.time() < deadline:
        load = busy_cores(2.0)
        if load <= cfg.quiet_cores:
            say(f"  settled ({load:.2f} cores)")
            return load
    say(f"  still {load:.2f} cores busy: measuring anyway (see 'other cores' in the results)")
    return load


# --- crypto ceiling ----------------------------------------------------------------------
def quick_ceiling() -> float | None:
    """RSA-2048 tokens/s per core from a 1 s ``openssl speed`` (only to size body files)."""
    got = openssl_rsa(1)
    return 1 / (1 / got[0] + 1 / got[1]) if got else None


def openssl_rsa(seconds: int) -> tuple[float, float] | None:
    """(sign/s, verify/s) of RSA-2048 on one core from ``openssl speed``."""
    if not shutil.which("openssl"):
        return None
    done = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "rsa2048"],
                          check=False, capture_output=True, text=True)
    m = re.search(r"rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", done.stdout)
    return (float(m.group(1)), float(m.group(2))) if m else None


def record_openssl(out: dict[str, Any], when: str, seconds: int = 3) -> None:
    """Measure and keep the best of the sitting: other work can only make RSA look slower."""
    got = openssl_rsa(seconds)
    if got is None:
        return
    sign, verify = got
    out[f"openssl_{when}"] = {"sign_per_s": sign, "verify_per_s": verify}
    if sign > out.get("openssl_sign_per_s", 0.0):
        out.update(openssl_sign_per_s=sign, openssl_verify_per_s=verify,
                   tokens_per_core=1 / (1 / sign + 1 / verify))


def crypto_ceiling(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    record_openssl(out, "start")
    if "openssl_start" in out:
        out["openssl_version"] = subprocess.run(["openssl", "version"], check=False,
                                                capture_output=True, text=True).stdout.strip()
    cc = SHARED / "crypto_ceiling.py"
    if cc.exists():
        jpath = cfg.results / f"crypto-{cfg.stamp}.json"
        done = subprocess.run([PY, str(cc), "--seconds", "2", "--json", str(jpath)],
                              check=False, capture_output=True, text=True)
        (cfg.results / f"crypto-{cfg.stamp}.txt").write_text(done.stdout + done.stderr)
        if jpath.exists():
            py = json.loads(jpath.read_text())
            out["python_pair_per_s"] = py.get("raw_sign_plus_verify_per_s")
            out["python_sign_per_s"] = py.get("raw_sign_per_s")
            out["python_verify_per_s"] = py.get("raw_verify_per_s")
    return out


# --- bodies -------------------------------------------------------------------------------
@dataclass
class BodySpec:
    kind: str  # "shared" (gen_assertions.py, RS256) or "ps256" (bench/assertions.py)
    client_id: str
    aud: str
    params: list[str]
    lifetime: int
    path: Path
    created: float = 0.0
    n: int = 0

    def remaining(self) -> int:
        if not self.path.exists():
            return 0
        return self.n - read_cursor(str(self.path))[0]

    def valid_for(self) -> float:
        return self.created + self.lifetime - time.time()


def generate_bodies(spec: BodySpec, n: int, keys: Path) -> None:
    if spec.kind == "secret":  # no assertion to sign: the same form line n times
        line = "&".join(["grant_type=client_credentials", f"client_id={spec.client_id}",
                         *spec.params]) + "\n"
        spec.path.write_text(line * n)
        Path(str(spec.path) + ".cursor").unlink(missing_ok=True)
        spec.created, spec.n = time.time(), n
        return
    key, cert = keys / "client_key.pem", keys / "client_cert.pem"
    params = [a for p in spec.params for a in ("--param", p)]
    if spec.kind == "shared":
        cmd = [PY, str(SHARED / "gen_assertions.py"), "bodies", "--key", str(key), "--cert",
               str(cert), "--client-id", spec.client_id, "--aud", spec.aud, *params,
               "--lifetime", str(spec.lifetime), "-n", str(n), "-o", str(spec.path)]
    else:
        cmd = [PY, str(BENCH / "assertions.py"), "--alg", "PS256", "--key", str(key), "--cert",
               str(cert), "--client-id", spec.client_id, "--aud", spec.aud, *params,
               "--lifetime", str(spec.lifetime), "-n", str(n), "-o", str(spec.path)]
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spec.created, spec.n = t0, n
    say(f"  {n} bodies for {spec.path.name} in {time.time() - t0:.0f}s")


def ensure_bodies(spec: BodySpec, needed: int, seconds_needed: float, keys: Path) -> None:
    """At least ``needed`` unused bodies that stay valid ``seconds_needed`` s more.

    Long-lived bodies (entra, node) are topped up by appending to the file, so nothing
    generated is wasted; short-lived ones (strict, 600 s) are made afresh when too old.
    """
    remaining = spec.remaining()
    fresh = spec.valid_for() > seconds_needed + 90
    if remaining >= needed and fresh:
        return
    if remaining > 0 and fresh and spec.lifetime >= 1800:
        more = BodySpec(spec.kind, spec.client_id, spec.aud, spec.params, spec.lifetime,
                        Path(str(spec.path) + ".more"))
        generate_bodies(more, needed - remaining + 500, keys)
        with open(spec.path, "ab") as out, open(more.path, "rb") as src:
            shutil.copyfileobj(src, out)
        spec.n += more.n
        for suffix in ("", ".meta.json", ".cursor"):
            Path(str(more.path) + suffix).unlink(missing_ok=True)
        return
    generate_bodies(spec, needed, keys)


def take_bodies(path: Path, n: int) -> list[bytes]:
    line, off = read_cursor(str(path))
    out = []
    with open(path, "rb") as f:
        f.seek(off)
        for _ in range(n):
            out.append(f.readline().rstrip(b"\n"))
    if not all(out):
        raise RuntimeError(f"{path} has fewer than {n} unused bodies")
    advance_cursor(str(path), line, off, line + n)
    return out


# --- checks -------------------------------------------------------------------------------
TRUST: list[ssl.SSLContext] = []  # the bench data dirs' local CA (they share one: copies)
TRUST_FILE: list[str] = []  # the same CA's PEM file, for the lean sketch's check


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Connection": "close"})
    context = TRUST[0] if TRUST and url.startswith("https:") else None
    try:
        with urllib.request.urlopen(req, timeout=20, context=context) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def corrupt_signature(body: bytes) -> bytes:
    pre, _, rest = body.partition(b"client_assertion=")
    jwt_, amp, tail = rest.partition(b"&")
    h, p, s = jwt_.split(b".")
    return pre + b"client_assertion=" + h + b"." + p + b"." + (
        b"A" if s[:1] != b"A" else b"B") + s[1:] + amp + tail


def check_credo(peer: str, t: dict[str, Any], base: str, bodies: Path, strict: bool
                ) -> list[str]:
    """Returns failures (empty = ok); prints what it saw."""
    import jwt as pyjwt

    fails: list[str] = []
    url = base + t["tokenPath"]
    b1, b2 = take_bodies(bodies, 2)
    st, raw = http("POST", url, b1)
    say(f"  check {peer}: fresh assertion -> HTTP {st}")
    if st != 200:
        return [f"fresh assertion got HTTP {st}: {raw[:300]!r}"]
    resp = json.loads(raw)
    at = resp.get("access_token", "")
    if resp.get("token_type") != "Bearer" or not isinstance(resp.get("expires_in"), int):
        fails.append(f"unexpected v2 token response fields: {sorted(resp)}")
    st_j, jwks_raw = http("GET", base + t["jwksPath"])
    try:
        header = pyjwt.get_unverified_header(at)
        jwk = next(k for k in json.loads(jwks_raw)["keys"] if k.get("kid") == header.get("kid"))
        key = pyjwt.PyJWK(jwk).key
        claims = pyjwt.decode(at, key=key, algorithms=["RS256"], audience=t["resourceAppId"],
                              issuer=t["issuer"])
        say(f"    token verifies against the JWKS (kid {header.get('kid')}, alg "
            f"{header.get('alg')}): iss={claims.get('iss')} aud={claims.get('aud')} "
            f"tid={claims.get('tid')} azp={claims.get('azp')} roles={claims.get('roles')} "
            f"ver={claims.get('ver')}")
        if claims.get("tid") != t["tenantId"]:
            fails.append(f"tid {claims.get('tid')} != {t['tenantId']}")
        if claims.get("roles") != [t["role"]]:
            fails.append(f"roles {claims.get('roles')} != [{t['role']}]")
        if claims.get("azp") != t["clientAppId"] or claims.get("ver") != "2.0":
            fails.append(f"azp/ver unexpected: {claims.get('azp')} {claims.get('ver')}")
    except Exception as exc:
        fails.append(f"access token does not verify against JWKS (HTTP {st_j}): {exc!r}")
    # Replay: two more tries on new connections (so likely both workers).
    replays = [http("POST", url, b1) for _ in range(2)]
    codes = [s for s, _ in replays]
    if strict:
        say(f"    replayed assertion x2 -> HTTP {codes} "
            f"{replays[0][1][:90].decode(errors='replace')}")
        if any(s == 200 for s in codes):
            fails.append(f"strict profile accepted a replayed assertion: {codes}")
        elif any(json.loads(b).get("error") != "invalid_client" for _, b in replays):
            fails.append(f"replay refused with an unexpected error: {replays[0][1][:200]!r}")
    else:
        say(f"    replayed assertion x2 -> HTTP {codes} (entra accepts a jti until exp, as "
            "Entra does: docs/protocol.md, profiles)")
    if b"client_secret=" in b2:
        st, raw = http("POST", url, b2.replace(b"client_secret=", b"client_secret=x"))
        say(f"    wrong secret -> HTTP {st} {raw[:90].decode(errors='replace')}")
    else:
        st, raw = http("POST", url, corrupt_signature(b2))
        say(f"    corrupted signature -> HTTP {st} {raw[:90].decode(errors='replace')}")
    if st != 401 or json.loads(raw).get("error") != "invalid_client":
        fails.append(f"bad credential not refused with 401 invalid_client: {st} {raw[:200]!r}")
    return fails


def check_node(peer: str, keys: Path, url: str, bodies: Path, log: Path) -> list[str]:
    """The shared ``check_peer.py`` against node2 or the lean sketch (HTTPS: trusting the
    bench data dir's CA through ``SSL_CERT_FILE``)."""
    env = dict(os.environ)
    if TRUST_FILE:
        env["SSL_CERT_FILE"] = TRUST_FILE[0]
    done = subprocess.run([PY, str(SHARED / "check_peer.py"), url, str(bodies), "--server-key",
                           str(keys / "server_key.pem")], capture_output=True, text=True,
                          check=False, env=env)
    log.write_text(done.stdout + done.stderr)
    first = next((ln for ln in done.stdout.splitlines() if ln.startswith("1.")), "?")
    replay = next((ln for ln in done.stdout.splitlines() if ln.startswith("2.")), "?")
    say(f"  check {peer}: {first.strip()}; {replay.strip()[:80]}")
    if "HTTP 200" not in first or "signature: valid" not in done.stdout:
        return [f"{peer} did not issue a valid token: {done.stdout[-400:]}"]
    if "replay accepted" in done.stdout:
        say(f"    ({peer} accepted the replay: its jti cache is per process; a known caveat "
            "of this peer in ../shared/bench/README.md, not a bench failure)")
    return []


# --- servers ---------------------------------------------------------------------------------
def credo_bin() -> str:
    exe = Path(PY).with_name("credo")
    return str(exe) if exe.exists() else "credo"


def credo_env() -> dict[str, str]:
    """The environment without CREDO_* settings: the data dir alone configures the server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CREDO_")}


def credo_base(cfg: Config) -> str:
    return f"{'https' if cfg.tls else 'http'}://127.0.0.1:{cfg.port}"


def _log_since(log: Path, offset: int) -> str:
    with open(log, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def start_credo(cfg: Config, setup: dict[str, Any], redis_url: str | None, log: Path
                ) -> subprocess.Popen[bytes]:
    """Start ``credo serve`` and return once EVERY worker has finished its startup.

    wrk opens all its connections at once and keeps them, and uvicorn's workers share one
    listening socket: a worker still starting when wrk connects would get none of them, and
    the run would measure one worker.
    """
    env = credo_env()
    if redis_url:
        env["CREDO_REDIS_URL"] = redis_url
    cmd = [credo_bin(), "serve", "--data-dir", setup["dataDir"], "--port", str(cfg.port),
           "--workers", str(cfg.workers), *([] if cfg.tls else ["--insecure-http"])]
    offset = log.stat().st_size if log.exists() else 0
    p = start(cmd, env=env, log=log)
    probe = f"{credo_base(cfg)}{setup['tenants']['entra']['discoveryPath']}"
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        started = _log_since(log, offset).count("Application startup complete")
        if started >= cfg.workers:
            try:
                if http("GET", probe)[0] == 200:
                    time.sleep(0.5)
                    return p
            except OSError:
                pass
        time.sleep(0.2)
    stop(p, cfg.port)
    raise RuntimeError(f"credo serve did not become ready with {cfg.workers} workers "
                       f"(log: {log}):\n" + _log_since(log, offset)[-2000:])


def start_node(cfg: Config, peer_dir: Path, keys: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start node-oidc-provider with 2 cluster workers; return once both listen."""
    env = dict(os.environ, NODE_ENV="production", KEYS_DIR=str(keys), PORT=str(cfg.node_port),
               WORKERS="2", CLIENT_ID="bench-client", RESOURCE="https://api.bench.local")
    offset = log.stat().st_size if log.exists() else 0
    p = start(["node", "server.mjs"], env=env, cwd=peer_dir, log=log)
    return _listening(p, cfg.node_port, log, offset, re.compile(r"^worker \d+: ", re.M), 2,
                      "node-oidc-provider did not start 2 workers")


def _listening(p: subprocess.Popen[bytes], port: int, log: Path, offset: int,
               started: re.Pattern[str], count: int, failure: str) -> subprocess.Popen[bytes]:
    """``p`` once its log (past ``offset``) holds ``count`` lines matching ``started`` and
    ``port`` accepts connections; else stopped and a ``RuntimeError`` saying ``failure``."""
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        if len(started.findall(_log_since(log, offset))) >= count and port_open(port):
            time.sleep(0.5)
            return p
        time.sleep(0.1)
    stop(p, port)
    raise RuntimeError(f"{failure} (log: {log}):\n" + _log_since(log, offset)[-2000:])


def start_lean(cfg: Config, python: Path, setup: dict[str, Any], keys: Path, log: Path,
               redis_url: str | None = None) -> subprocess.Popen[bytes]:
    """The lean sketch in ``cfg.workers`` processes on ``cfg.node_port``, over HTTPS with
    the bench data dir's certificate unless ``PLAIN_HTTP``, its jti store in ``redis_url``
    when given (else per process); once every process listens."""
    tls = Path(setup["dataDir"]) / "tls"
    env = dict(os.environ, KEYS_DIR=str(keys), ISSUER=f"http://127.0.0.1:{cfg.node_port}")
    if redis_url:
        env.update(REPLAY="redis", REDIS_URL=redis_url)
    cmd = [str(python), str(BENCH / "lean_peer.py"), "--sketch", str(SHARED / "peers" / "py-lean"),
           "--port", str(cfg.node_port), "--workers", str(cfg.workers),
           *(["--cert", str(tls / "server.pem"), "--key", str(tls / "server.key.pem")]
             if cfg.tls else [])]
    offset = log.stat().st_size if log.exists() else 0
    p = start(cmd, env=env, log=log)
    return _listening(p, cfg.node_port, log, offset, re.compile(r"worker \d+: listening"),
                      cfg.workers, f"the lean sketch did not start {cfg.workers} processes")


def peer_port(cfg: Config, peer: str) -> int:
    return cfg.node_port if peer in SKETCH_BODIES else cfg.port


def listening_pid(port: int) -> list[int]:
    try:
        return sorted(listening_pids(port))
    except Exception:
        return []


# --- one measured run ---------------------------------------------------------------------------
def run_load(cfg: Config, label: str, url: str, bodies: Path, conns: int, server_pids: list[int],
             results_jsonl: Path) -> tuple[int, dict[str, Any] | None, str]:
    env = dict(os.environ, WARMUP=str(cfg.warmup), LABEL=label, RESULTS=str(results_jsonl),
               SERVER_PID=" ".join(str(p) for p in server_pids))
    done = subprocess.run([str(SHARED / "run-token-bench.sh"), url, str(bodies), str(conns),
                           str(cfg.seconds)], env=env, capture_output=True, text=True,
                          check=False, timeout=cfg.seconds + cfg.warmup + 400)
    for ln in done.stderr.splitlines():
        if ln.strip():
            say("  " + ln.strip()[:400])
    summary = None
    for ln in done.stdout.splitlines():
        if ln.startswith("{"):
            summary = json.loads(ln)
    return done.returncode, summary, done.stderr[-3000:]


# --- summary -------------------------------------------------------------------------------------
def mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def aggregate(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        peer = r["label"].rpartition(" rep")[0]
        groups.setdefault((peer, r["connections"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        cores = [(r.get("cpu_cores") or {}).get("server") for r in rs]
        other = [(r.get("cpu_cores") or {}).get("other") for r in rs]
        ms = [1000 * c / r["ok_per_s"] for c, r in zip(cores, rs, strict=True)
              if c is not None and r["ok_per_s"] > 0]
        out[key] = {
            "runs": len(rs),
            "ok_per_s": mean([r["ok_per_s"] for r in rs]),
            "ok_each": [r["ok_per_s"] for r in rs],
            "p50_ms": mean([r["p50_ms"] for r in rs]),
            "p99_ms": mean([r["p99_ms"] for r in rs]),
            "p99_over_p50": mean([r["p99_ms"] / r["p50_ms"] for r in rs if r["p50_ms"] > 0]),
            "server_cores": mean([c for c in cores if c is not None]),
            "other_cores": mean([o for o in other if o is not None]),
            "cpu_ms_per_token": mean(ms),
        }
    return out


def peer_mean(agg: dict[tuple[str, int], dict[str, Any]], peer: str, key: str
              ) -> float | None:
    vals = [v[key] for (p, _), v in agg.items() if p == peer and v[key] is not None]
    return mean(vals)


def fx(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def summarize(cfg: Config, rows: list[dict[str, Any]], crypto: dict[str, Any],
              failures: list[str], skipped: dict[str, str], setup_info: dict[str, Any]
              ) -> tuple[str, dict[str, Any]]:
    agg = aggregate(rows)
    lines = ["| peer | conns | runs | tokens/s (each run) | p50 ms | p99 ms | p99/p50 | "
             "server cores | server CPU ms/token | other cores |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for (peer, c), v in sorted(agg.items(), key=lambda kv: (ALL_PEERS.index(kv[0][0])
                                                           if kv[0][0] in ALL_PEERS else 99,
                                                           kv[0][1])):
        each = " / ".join(f"{x:.0f}" for x in v["ok_each"])
        lines.append(f"| {peer} | {c} | {v['runs']} | {v['ok_per_s']:.0f} ({each}) | "
                     f"{fmt(v['p50_ms'])} | {fmt(v['p99_ms'])} | {fmt(v['p99_over_p50'])} | "
                     f"{fmt(v['server_cores'], '.3f')} | {fmt(v['cpu_ms_per_token'], '.3f')} | "
                     f"{fmt(v['other_cores'], '.3f')}"
                     f"{' (!)' if (v['other_cores'] or 0) > DISTURBED else ''} |")

    def ratio(a: str, b: str, conns: int | None = None) -> float | None:
        if conns is None:
            x, y = peer_mean(agg, a, "ok_per_s"), peer_mean(agg, b, "ok_per_s")
        else:
            x = agg.get((a, conns), {}).get("ok_per_s")
            y = agg.get((b, conns), {}).get("ok_per_s")
        return x / y if x and y else None

    entra_x = ratio("credo-entra", "node2")
    strict_x = ratio("credo-strict", "node2")
    big_x = ratio("credo-entra-100k", "credo-entra")
    tenants_x = ratio("credo-entra-10kt", "credo-entra")
    secret_x = ratio("credo-secret", "node2")
    entra_ms = peer_mean(agg, "credo-entra", "cpu_ms_per_token")
    strict_ms = peer_mean(agg, "credo-strict", "cpu_ms_per_token")
    node_ms = peer_mean(agg, "node2", "cpu_ms_per_token")
    per_core = crypto.get("tokens_per_core")
    crypto_ms = 1000 / per_core if per_core else None
    p9950 = {p: agg.get((p, 16), {}).get("p99_over_p50") for p in ALL_PEERS}
    # run-to-run spread of the same peer: the sitting's own noise, shown beside the verdicts
    spreads = [(max(v["ok_each"]) - min(v["ok_each"])) / v["ok_per_s"]
               for v in agg.values() if len(v["ok_each"]) > 1 and v["ok_per_s"]]
    spread = max(spreads) if spreads else None
    disturbed = any((v["other_cores"] or 0) > DISTURBED for v in agg.values())
    noise = NOISE

    def cpu_ratio(a: str, b: str) -> float | None:
        """Throughput per server core (1 / CPU per token) of a over b: unlike tokens/s it
        barely moves when other work takes cores away during a run."""
        x, y = peer_mean(agg, a, "cpu_ms_per_token"), peer_mean(agg, b, "cpu_ms_per_token")
        return y / x if x and y else None

    entra_core_x = cpu_ratio("credo-entra", "node2")
    strict_core_x = cpu_ratio("credo-strict", "node2")
    big_cpu_x = cpu_ratio("credo-entra-100k", "credo-entra")
    tenants_cpu_x = cpu_ratio("credo-entra-10kt", "credo-entra")
    core_verdict = "; ".join(
        f"{name}: {verdict(None if x is None else ok(x))}" for name, x, ok in (
            ("entra", entra_core_x, lambda v: v >= TARGET_ENTRA_X_NODE),
            ("strict", strict_core_x, lambda v: v >= TARGET_STRICT_X_NODE),
            ("100k apps", big_cpu_x, lambda v: abs(v - 1) <= NOISE),
            ("10k tenants", tenants_cpu_x, lambda v: abs(v - 1) <= NOISE)))

    def per_core_eff(ms: float | None) -> str:
        if ms is None or per_core is None:
            return "n/a"
        return (f"{1000 / ms:.0f} tokens/s per server core = {1000 / ms / per_core:.0%} of the "
                f"RSA ceiling ({per_core:.0f}/s per core)")

    cpu_target = TARGET_CPU_X_CRYPTO * crypto_ms if crypto_ms else None
    t = ["| target | measured | verdict |", "|---|---|---|"]
    for c in cfg.concs:
        x = ratio("credo-entra", "node2", c)
        t.append(f"| entra (HTTPS) ≥ {TARGET_ENTRA_X_NODE}x node2 tokens/s, c={c} | {fx(x)} | "
                 f"{verdict(None if x is None else x >= TARGET_ENTRA_X_NODE)} |")
    t.append(f"| strict (shared Redis replay store) ≥ {TARGET_STRICT_X_NODE}x node2 | "
             f"{fx(strict_x)} (c=16: {fx(ratio('credo-strict', 'node2', 16))}, c=64: "
             f"{fx(ratio('credo-strict', 'node2', 64))}) | "
             f"{verdict(None if strict_x is None else strict_x >= TARGET_STRICT_X_NODE)} |")
    in_crypto = entra_ms / crypto_ms if entra_ms and crypto_ms else None
    cpu_ok = None if entra_ms is None or cpu_target is None else entra_ms <= cpu_target
    t.append(f"| entra server CPU per token ≤ {TARGET_CPU_X_CRYPTO} x RSA sign + verify "
             f"({fmt(crypto_ms, '.3f')} ms here) = {fmt(cpu_target, '.3f')} ms | "
             f"{fmt(entra_ms, '.3f')} ms (= {fx(in_crypto)} crypto; node2 "
             f"{fmt(node_ms, '.3f')} ms) | {verdict(cpu_ok)} |")
    lean_ms = peer_mean(agg, "py-lean", "cpu_ms_per_token")
    if lean_ms is not None:
        beyond = [None if x is None or crypto_ms is None else x - crypto_ms
                  for x in (entra_ms, lean_ms)]
        t.append(f"| (bound, no target) the harness's lean Python sketch, "
                 f"{'HTTPS' if cfg.tls else 'plain HTTP'}, {cfg.workers} processes: CPU per "
                 f"token; beyond RSA, Credo entra against the sketch; tokens/s against node2 | "
                 f"{fmt(lean_ms, '.3f')} ms (= {fx(lean_ms / crypto_ms if crypto_ms else None)}"
                 f" crypto); beyond RSA {fmt(beyond[0], '.3f')} ms against "
                 f"{fmt(beyond[1], '.3f')} ms; {fx(ratio('py-lean', 'node2'))} node2 | n/a |")
    lean_redis_ms = peer_mean(agg, "py-lean-redis", "cpu_ms_per_token")
    if lean_redis_ms is not None:
        t.append(f"| (bound, no target) the same sketch with its jti store in Redis, shared as "
                 f"strict's is (Redis server CPU included): CPU per token against strict's; "
                 f"tokens/s against node2 | {fmt(lean_redis_ms, '.3f')} ms against "
                 f"{fmt(strict_ms, '.3f')} ms; {fx(ratio('py-lean-redis', 'node2'))} node2 "
                 f"(strict {fx(strict_x)}) | n/a |")
    for p in ("credo-entra", "credo-strict", "credo-secret"):
        v = p9950.get(p)
        t.append(f"| {p}: p99 ≤ {TARGET_P99_P50}x p50 at 16 conns (node2: "
                 f"{fx(p9950.get('node2'))}) | {fx(v)} | "
                 f"{verdict(None if v is None else v <= TARGET_P99_P50)} |")
    t.append(f"| throughput unchanged 10 → {setup_info.get('big_apps', cfg.apps_big):,} apps "
             f"(within noise, ±{noise:.0%}) | 100k/10 = {fmt(big_x, '.3f')} (c=16: "
             f"{fmt(ratio('credo-entra-100k', 'credo-entra', 16), '.3f')}, c=64: "
             f"{fmt(ratio('credo-entra-100k', 'credo-entra', 64), '.3f')}) | "
             f"{verdict(None if big_x is None else abs(big_x - 1) <= noise)} |")
    t.append(f"| throughput unchanged 1 → {setup_info.get('big_tenants', cfg.tenants_big):,} "
             f"tenants (within noise, ±{noise:.0%}) | 10k tenants/1 = {fmt(tenants_x, '.3f')} "
             f"(c=16: {fmt(ratio('credo-entra-10kt', 'credo-entra', 16), '.3f')}, c=64: "
             f"{fmt(ratio('credo-entra-10kt', 'credo-entra', 64), '.3f')}) | "
             f"{verdict(None if tenants_x is None else abs(tenants_x - 1) <= noise)} |")
    t.append(f"| client-secret tokens (no target; printed) | "
             f"{fmt(peer_mean(agg, 'credo-secret', 'ok_per_s'), '.0f')} tokens/s = "
             f"{fx(secret_x)} node2; "
             f"{fmt(peer_mean(agg, 'credo-secret', 'cpu_ms_per_token'), '.3f')} ms CPU per "
             "token | n/a |")
    t.append(f"| … per server core (CPU per token, robust to other load): entra / node2, "
             f"strict / node2, 100k apps / 10, 10k tenants / 1 | {fx(entra_core_x)}, "
             f"{fx(strict_core_x)}, {fmt(big_cpu_x, '.3f')}, {fmt(tenants_cpu_x, '.3f')} | "
             f"{core_verdict} |")
    if spread is not None:
        t.append(f"| (noise) largest run-to-run spread of one peer in this sitting | "
                 f"{spread:.0%}{'; other work shared the machine' if disturbed else ''} | "
                 f"{'read the verdicts with care' if spread > NOISE or disturbed else 'ok'} |")

    eff = [f"- credo-entra: {per_core_eff(entra_ms)}",
           f"- credo-strict: {per_core_eff(strict_ms)} (Redis server CPU included)",
           f"- node2: {per_core_eff(node_ms)}",
           f"- py-lean: {per_core_eff(lean_ms)}",
           f"- py-lean-redis: {per_core_eff(lean_redis_ms)} (Redis server CPU included)"]
    both = " / ".join(f"{crypto[k]['sign_per_s']:.0f}" for k in ("openssl_start", "openssl_end")
                      if k in crypto)
    cr = [f"- openssl speed rsa2048 (1 core, best of start / end = {both} sign/s): "
          f"{fmt(crypto.get('openssl_sign_per_s'), '.0f')} "
          f"sign/s, {fmt(crypto.get('openssl_verify_per_s'), '.0f')} verify/s → "
          f"{fmt(per_core, '.0f')} tokens/s per core ({fmt(crypto_ms, '.3f')} ms of RSA per "
          f"token); {crypto.get('openssl_version', '')}",
          f"- Python cryptography sign+verify pairs/s (1 thread): "
          f"{fmt(crypto.get('python_pair_per_s'), '.0f')}"]
    md = ["# Credo token benchmark — one sitting", "",
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {cfg.repeats} repeat(s) x conns "
          f"{cfg.concs} x {cfg.seconds}s runs after {cfg.warmup}s warm-up; Credo with "
          f"{cfg.workers} workers, "
          f"{'HTTPS (TLS 1.3 from uvicorn)' if cfg.tls else 'plain HTTP (PLAIN_HTTP=1)'}; "
          "node2 plain HTTP; wrk on the same 2 cores; throttling, metrics (multiprocess), "
          "access log and sign-in log batching on with their defaults.", "",
          "## Crypto ceiling", *cr, "", "## Runs", *lines,
          f"(!) = other work on the machine used more than {DISTURBED} cores during the run "
          "(mean over its repeats): read that row with care.", "", "## Targets", *t, "",
          "## Per-core efficiency against the crypto ceiling", *eff, ""]
    if skipped:
        md += ["## Skipped", *[f"- {k}: {v}" for k, v in skipped.items()], ""]
    if failures:
        md += ["## Failures", *[f"- {f}" for f in failures], ""]
    data = {"aggregate": {f"{p} c={c}": v for (p, c), v in agg.items()},
            "ratios": {"entra_over_node2": entra_x, "strict_over_node2": strict_x,
                       "apps100k_over_10": big_x, "tenants10k_over_1": tenants_x,
                       "secret_over_node2": secret_x, "p99_over_p50_c16": p9950,
                       "entra_cpu_ms_per_token": entra_ms, "strict_cpu_ms_per_token": strict_ms,
                       "node2_cpu_ms_per_token": node_ms, "crypto_ms_per_token": crypto_ms,
                       "lean_cpu_ms_per_token": lean_ms,
                       "lean_redis_cpu_ms_per_token": lean_redis_ms,
                       "per_core_entra_over_node2": entra_core_x,
                       "per_core_strict_over_node2": strict_core_x,
                       "per_core_100k_over_10": big_cpu_x, "noise_bound": noise,
                       "largest_spread": spread, "disturbed": disturbed},
            "crypto": crypto, "skipped": skipped, "failures": failures, "setup": setup_info}
    return "\n".join(md), data


# --- main -----------------------------------------------------------------------------------------
def setup_dir(name: str, args: list[str], out: Path, setups: dict[str, dict[str, Any]],
              info: dict[str, Any]) -> bool:
    done = subprocess.run([PY, str(BENCH / "setup_bench.py"), "--fresh", *args, "--json",
                           str(out)], capture_output=True, text=True, check=False,
                          env=credo_env())
    if done.returncode != 0:
        say(f"setting up the Credo data dir failed:\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-3000:]}")
        return False
    s = json.loads(out.read_text())
    setups[name] = s
    say(f"data dir {s['dataDir']}: {s['totalApps']:,} applications ({s['fillerApps']:,} "
        f"fillers, the last {s['fillerSeconds']}s to bulk-insert; setup {s['setupSeconds']}s); "
        f"entra tenant {s['tenants']['entra']['tenantId']}, strict tenant "
        f"{s['tenants']['strict']['tenantId']}; resource api://bench (Bench.Read, "
        "requestedAccessTokenVersion 2)" + (f"; a copy of {s['copyOf']}" if "copyOf" in s
                                            else ""))
    info[f"{name}_apps"] = s["totalApps"]
    info[f"{name}_fill_seconds"] = s["fillerSeconds"]
    return True


def main() -> int:
    t_start = time.time()
    cfg = Config()
    cfg.results = Path(os.environ.get("RESULTS_DIR")
                       or BENCH / "results" / time.strftime("%Y-%m-%d"))
    cfg.results.mkdir(parents=True, exist_ok=True)
    cfg.tmp.mkdir(parents=True, exist_ok=True)
    stamp = cfg.stamp
    jsonl = cfg.results / f"sitting-{stamp}.jsonl"
    skipped: dict[str, str] = {}
    failures: list[str] = []

    wanted = (os.environ.get("PEERS") or " ".join(ALL_PEERS)).split()

    def drop(peers: tuple[str, ...], why: str) -> None:
        """Skip ``peers`` (those wanted) for ``why``."""
        for peer in peers:
            if peer in wanted:
                wanted.remove(peer)
                skipped[peer] = why

    for flag, peers in (("SKIP_NODE", ("node2",)), ("SKIP_100K", ("credo-entra-100k",)),
                        ("SKIP_STRICT", ("credo-strict",)), ("SKIP_LEAN", LEAN_PEERS)):
        if env_flag(flag):
            drop(peers, f"{flag}=1")
    banner(f"Credo token bench: peers {wanted}, conns {cfg.concs}, {cfg.repeats} repeat(s) of "
           f"{cfg.warmup}+{cfg.seconds}s; results in {cfg.results}")

    # 1. prerequisites
    if not (SHARED / "run-token-bench.sh").exists():
        say(f"the shared harness is missing at {SHARED} (set CREDO_SHARED_BENCH)")
        return 2
    if read_cursor is None:
        say(f"cannot import tokenbench.py from {SHARED}")
        return 2
    if not ensure_wrk():
        return 2
    for port in (cfg.port, cfg.node_port):
        if port_open(port):
            say(f"port {port} is already in use: stop what listens there or set BENCH_PORT / "
                "NODE_PORT")
            return 2
    redis_url, redis_proc, why = (None, None, "")
    if any(p in wanted for p in REDIS_PEERS):
        redis_url, redis_proc, why = ensure_redis(cfg)
        if redis_url is None:
            drop(REDIS_PEERS, why)
    node_dir = None
    if "node2" in wanted:
        node_dir, why = ensure_node_peer(cfg)
        if node_dir is None:
            drop(("node2",), why)
    lean_python = None
    if any(p in wanted for p in LEAN_PEERS):
        lean_python, why = ensure_lean_peer(cfg)
        if lean_python is None:
            drop(LEAN_PEERS, why)
    for peer, reason in skipped.items():
        say(f"SKIPPED {peer}: {reason}")
    if redis_url:
        say(f"strict runs: CREDO_REDIS_URL={redis_url} (one replay store for both workers; "
            "py-lean-redis's jti store too)")
    try:
        return run_sitting(cfg, wanted, jsonl, redis_url, redis_proc, node_dir, lean_python,
                           skipped, failures, t_start)
    finally:
        stop_all()
        (cfg.results / f"sitting-{stamp}.log").write_text("\n".join(LOG) + "\n")


def run_sitting(cfg: Config, wanted: list[str], jsonl: Path, redis_url: str | None,
                redis_proc: subprocess.Popen[bytes] | None, node_dir: Path | None,
                lean_python: Path | None, skipped: dict[str, str], failures: list[str],
                t_start: float) -> int:
    keys = cfg.tmp / "keys"
    logs = cfg.tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    # 2. crypto ceiling
    crypto: dict[str, Any] = {}
    if not cfg.skip_crypto:
        banner("crypto ceiling (RSA-2048, one core)")
        wait_quiet(cfg)
        crypto = crypto_ceiling(cfg)
        say(f"openssl: {fmt(crypto.get('openssl_sign_per_s'), '.0f')} sign/s, "
            f"{fmt(crypto.get('openssl_verify_per_s'), '.0f')} verify/s → "
            f"{fmt(crypto.get('tokens_per_core'), '.0f')} tokens/s per core; Python pairs/s "
            f"{fmt(crypto.get('python_pair_per_s'), '.0f')}")

    # 3. keys and data dirs
    banner("keys, data dirs, tenants and apps")
    subprocess.run([PY, str(SHARED / "gen_assertions.py"), "keys", "--out", str(keys),
                    "--client-id", "bench-client"], check=True, stdout=subprocess.DEVNULL)
    setups: dict[str, dict[str, Any]] = {}
    setup_info: dict[str, Any] = {}
    need_small = any(p != "node2" for p in wanted)
    if need_small:
        d, out = cfg.tmp / "data-small", cfg.tmp / "setup-small.json"
        args = ["--data-dir", str(d), "--port", str(cfg.port), "--client-cert",
                str(keys / "client_cert.pem"), "--total-apps", str(cfg.apps_small)]
        if not setup_dir("small", args, out, setups, setup_info):
            return 2
        if cfg.tls:
            TRUST_FILE.append(str(Path(setups["small"]["dataDir"]) / "tls" / "ca.pem"))
            TRUST.append(ssl.create_default_context(cafile=TRUST_FILE[0]))
    if "credo-entra-100k" in wanted:
        # a copy of the small dir plus fillers: the same tenants, apps and keys, so the only
        # difference is the filler rows, and credo-entra's bodies serve both
        d, out = cfg.tmp / "data-big", cfg.tmp / "setup-big.json"
        args = ["--data-dir", str(d), "--copy-of", setups["small"]["dataDir"], "--setup-json",
                str(cfg.tmp / "setup-small.json"), "--total-apps", str(cfg.apps_big)]
        if not setup_dir("big", args, out, setups, setup_info):
            return 2
    if "credo-entra-10kt" in wanted:  # likewise, with filler tenants instead of filler apps
        d, out = cfg.tmp / "data-tenants", cfg.tmp / "setup-tenants.json"
        args = ["--data-dir", str(d), "--copy-of", setups["small"]["dataDir"], "--setup-json",
                str(cfg.tmp / "setup-small.json"), "--total-apps", str(cfg.apps_small),
                "--total-tenants", str(cfg.tenants_big)]
        if not setup_dir("tenants", args, out, setups, setup_info):
            return 2

    # body specs: one file per peer; credo-entra and credo-entra-100k share theirs
    specs: dict[str, BodySpec] = {}
    for peer in wanted:
        if peer in SKETCH_BODIES:  # one file: the lean sketch takes node2's bodies
            specs[peer] = next((specs[p] for p in specs if p in SKETCH_BODIES), None) \
                or BodySpec("shared", "bench-client", f"http://127.0.0.1:{cfg.node_port}/token",
                            ["scope=api:read", "resource=https://api.bench.local"], 7200,
                            cfg.tmp / "bodies-node2.txt")
        elif peer == "credo-secret":
            t = setups["small"]["tenants"]["entra"]
            specs[peer] = BodySpec("secret", t["clientAppId"], t["tokenUrl"],
                                   [f"scope={t['resourceUri']}/.default",
                                    "client_secret=" + quote(t["clientSecret"], safe="")],
                                   10**9, cfg.tmp / "bodies-credo-secret.txt")
        elif peer == "credo-strict":
            t = setups["small"]["tenants"]["strict"]
            specs[peer] = BodySpec("ps256", t["clientAppId"], t["issuer"],
                                   [f"scope={t['resourceUri']}/.default"], 600,
                                   cfg.tmp / "bodies-credo-strict.txt")
        else:
            t = setups["small"]["tenants"]["entra"]
            shared = next((specs[p] for p in specs if p.startswith("credo-entra")), None)
            specs[peer] = shared or BodySpec(
                "shared", t["clientAppId"], t["tokenUrl"], [f"scope={t['resourceUri']}/.default"],
                3000, cfg.tmp / "bodies-credo-entra.txt")

    # 4. the alternating runs
    per_core = crypto.get("tokens_per_core") or quick_ceiling() or 4000.0
    ceiling2 = 2 * per_core
    rate_seen: dict[str, float] = {}
    checked: set[str] = set()
    rc = 0

    def launch(peer: str) -> subprocess.Popen[bytes]:
        """Start ``peer``'s server; return once it serves."""
        redis = redis_url if peer in REDIS_PEERS else None
        if peer == "node2":
            assert node_dir is not None
            return start_node(cfg, node_dir, keys, logs / "node2.log")
        if peer in LEAN_PEERS:
            assert lean_python is not None
            return start_lean(cfg, lean_python, setups["small"], keys, logs / f"{peer}.log",
                              redis)
        return start_credo(cfg, setups[BIG_SETUPS.get(peer, "small")], redis,
                           logs / f"{peer}.log")

    for rep in range(1, cfg.repeats + 1):
        for conns in cfg.concs:
            for peer in wanted:
                banner(f"rep {rep}  c={conns}  {peer}  (elapsed {time.time() - t_start:.0f}s)")
                spec = specs[peer]
                # bodies: the rate seen for this peer (or the 2-core RSA ceiling) x margin
                # budget: the larger of 1.3 x the best rate seen on this body file (peers
                # sharing a file share it) and 0.7 x the 2-core RSA ceiling; unused bodies
                # are kept for the next run of the same file
                key = str(spec.path)
                rate = max(rate_seen.get(key, 0.0) * 1.3, ceiling2 * 0.7) + 50
                secs = cfg.warmup + cfg.seconds + 3
                ensure_bodies(spec, int(rate * secs) + conns + 20, secs + 60, keys)
                wait_quiet(cfg)
                proc = None
                try:
                    proc = launch(peer)
                    pids = [proc.pid]
                    if peer in REDIS_PEERS and redis_url:  # Redis's CPU is the server's too
                        rport = urlparse(redis_url).port or 6379
                        pids += listening_pid(rport) if redis_proc is None else [redis_proc.pid]
                    if peer in SKETCH_BODIES:
                        scheme = "https" if peer in LEAN_PEERS and cfg.tls else "http"
                        url = f"{scheme}://127.0.0.1:{cfg.node_port}/token"
                        if peer not in checked:
                            fails = check_node(peer, keys, url, spec.path,
                                               cfg.results / f"check-{peer}-{cfg.stamp}.txt")
                    else:
                        s = setups[BIG_SETUPS.get(peer, "small")]
                        t = s["tenants"]["strict" if peer == "credo-strict" else "entra"]
                        url = f"{credo_base(cfg)}{t['tokenPath']}"
                        if peer not in checked:
                            fails = check_credo(peer, t, credo_base(cfg), spec.path,
                                                strict=peer == "credo-strict")
                    if peer not in checked:
                        if fails:
                            for f_ in fails:
                                say(f"  CHECK FAILED {peer}: {f_}")
                            failures += [f"{peer}: {f_}" for f_ in fails]
                            rc = 1
                            continue
                        checked.add(peer)
                    code, summary, _err = run_load(cfg, f"{peer} rep{rep}", url, spec.path, conns,
                                                  pids, jsonl)
                    if code == 3:  # bodies ran out: the peer is faster than budgeted; once more
                        say("  bodies ran out: generating twice as many and running again")
                        stop(proc, peer_port(cfg, peer))
                        proc = None
                        generate_bodies(spec, 2 * int(rate * secs) + conns + 20, keys)
                        proc = launch(peer)
                        pids = [proc.pid, *pids[1:]]
                        code, summary, _err = run_load(cfg, f"{peer} rep{rep}", url, spec.path,
                                                      conns, pids, jsonl)
                    if code != 0 or summary is None:
                        meaning = {2: "error rate above 0.1%", 3: "bodies exhausted or capped",
                                   4: "wrk failed"}.get(code, "failed")
                        failures.append(f"{peer} c={conns} rep{rep}: run-token-bench exit {code}"
                                        f" ({meaning})")
                        say(f"  RUN FAILED: {failures[-1]}")
                        rc = 1
                    else:
                        rate_seen[key] = max(rate_seen.get(key, 0.0), summary["ok_per_s"])
                except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                    failures.append(f"{peer} c={conns} rep{rep}: {exc}"[:600])
                    say(f"  FAILED: {str(exc)[:1500]}")
                    rc = 1
                finally:
                    stop(proc, peer_port(cfg, peer))
                time.sleep(1)

    for spec in {id(v): v for v in specs.values()}.values():  # large files: keep /tmp tidy
        for suffix in ("", ".cursor", ".meta.json"):
            Path(str(spec.path) + suffix).unlink(missing_ok=True)

    # the crypto ceiling again at the end: the sitting keeps the better of the two
    if not cfg.skip_crypto:
        wait_quiet(cfg)
        record_openssl(crypto, "end")
        say(f"openssl at the end: {crypto.get('openssl_end', {}).get('sign_per_s', 'n/a')} "
            f"sign/s; the sitting's ceiling: {fmt(crypto.get('tokens_per_core'), '.0f')} "
            "tokens/s per core (best of start and end)")

    split: list[str] = []
    if not env_flag("SKIP_PROFILE"):
        banner("CPU split of the live server (py-spy)")
        wait_quiet(cfg)
        split = cpu_split(cfg)
        for ln in split:
            say(ln)

    # 5. summary
    rows = []
    if jsonl.exists():
        rows = [json.loads(ln) for ln in jsonl.read_text().splitlines() if ln.strip()]
    setup_info["big_apps"] = setups.get("big", {}).get("totalApps", cfg.apps_big)
    setup_info["big_tenants"] = setups.get("tenants", {}).get("totalTenants", cfg.tenants_big)
    md, data = summarize(cfg, rows, crypto, failures, skipped, setup_info)
    if split:
        md += "\n## Where the server's CPU goes (py-spy, entra, 16 connections)\n" + "\n".join(
            split) + "\n"
    data["elapsed_s"] = round(time.time() - t_start)
    data["git"] = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                 capture_output=True, text=True, check=False).stdout.strip()
    stamp = jsonl.stem.removeprefix("sitting-")
    (cfg.results / f"summary-{stamp}.md").write_text(md + "\n")
    (cfg.results / f"summary-{stamp}.json").write_text(json.dumps(data, indent=1) + "\n")
    banner("summary")
    for ln in md.splitlines():
        print(ln)
        LOG.append(ln)
    say(f"raw results: {jsonl}; summary: {cfg.results / f'summary-{stamp}.md'}; "
        f"elapsed {time.time() - t_start:.0f}s")
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
