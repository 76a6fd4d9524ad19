#!/usr/bin/env python3
"""Profile a running ``credo serve`` under the wrk load with py-spy: where the CPU goes.

  .venv/bin/python bench/profile_live.py [--profile entra|strict] [--seconds 20] [--conns 16]

py-spy is not a project dependency: install it anywhere (``pip install py-spy``, e.g. into
a throw-away venv) and put it on PATH or point ``PYSPY`` at it. The script:

1. makes (or reuses, ``--data-dir``) a bench data dir with ``bench/setup_bench.py``, and
   pre-signs enough assertions (``bench/assertions.py``);
2. starts ``credo serve --workers 2`` over HTTPS (``--plain-http`` adds ``--insecure-http``),
   with ``CREDO_REDIS_URL`` for ``strict`` (``BENCH_REDIS_URL``, default
   ``redis://127.0.0.1:6379/9``);
3. drives it with ``../shared/bench/run-token-bench.sh`` and, during the measured part,
   runs ``py-spy record --nonblocking --format raw`` on every worker;
4. folds the sampled stacks into CPU shares: by category (RSA sign, RSA verify, HTTP
   server, form parsing, JSON, ...), by Credo function (inclusive), and by leaf function.

Samples are of running threads only (``--idle`` off), so shares approximate CPU time.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CREDO_SHARED_BENCH")
              or HERE.parent / ".." / "shared" / "bench").resolve()

# (category, leaf only?, substrings of a frame "function (file:line)"), in priority order:
# the first category with a matching frame (or leaf, for the crypto calls) takes the sample.
CATEGORIES: list[tuple[str, bool, tuple[str, ...]]] = [
    ("RSA sign (access token)", True, ("Signer.sign (credo/jose.py",)),
    ("RSA verify (assertion)", True, ("verify_rsa (credo/jose.py",)),
    ("certificate parse per request", False, ("load_der_x509_certificate",)),
    ("TLS: record encryption and decryption (ssl, asyncio sslproto)", False,
     ("asyncio/sslproto.py", "/ssl.py")),
    ("the response's one write: TLS encryption and send inside uvloop (Corked._flush)", True,
     ("Corked._flush (credo/web/corked_transport.py",)),
    ("event loop: socket reads, TLS decryption, epoll inside uvloop (Runner.run)", True,
     ("Runner.run (asyncio/runners.py",)),
    ("HTTP server: uvicorn/httptools, socket syscalls", True, ("uvicorn/", "httptools")),
    ("replay store (Redis client)", False, ("redis/", "add_if_absent")),
    ("audit log (buffer + batched SQL insert)", False, ("credo/service/audit.py",
                                                        "_record (credo/service/token.py")),
    ("background: version poll, key maintenance", False, ("poll_versions", "_key_maintenance")),
    ("SQL (SQLAlchemy; aiosqlite's thread: audit inserts, polls)", False,
     ("sqlalchemy/", "aiosqlite/", "asyncpg/")),
    ("form parsing", False, ("credo/protocol/forms.py",)),
    ("JOSE parse / base64 / JSON decode", False, ("parse_compact", "b64url_decode",
                                                   "_json_object")),
    ("JSON encode (claims, response)", False, ("json/encoder.py", "json_bytes", "_dumps")),
    ("claims + response dicts", False, ("credo/protocol/claims.py",)),
    ("assertion checks (aud, times, jti, cert choice)", False, ("credo/protocol/client_auth/",)),
    ("authorization (grant, scopes, roles)", False, ("credo/protocol/grants/",
                                                      "credo/protocol/scopes")),
    ("directory cache + tenant resolution", False, ("credo/service/snapshots.py",
                                                     "credo/service/tenants.py")),
    ("token service glue", False, ("credo/service/token.py",)),
    ("access line and latency metric", False, ("answered (credo/web/access.py",)),
    ("HTTP server: uvicorn's protocol callbacks under Credo's limits", False,
     ("credo/web/connection_limits.py",)),
    ("token endpoint ASGI glue", False, ("credo/web/",)),
    ("HTTP server frames above the app (uvicorn)", False, ("uvicorn/", "httptools")),
    ("asyncio / uvloop event loop", False, ("asyncio/", "uvloop")),
]


# The split the issue asks for: each category above in one of these groups.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("RSA (sign + verify)", ("RSA ",)),
    ("HTTP, TLS and the event loop (uvicorn, uvloop, ssl)", ("TLS", "HTTP server", "event loop",
                                                           "the response's one write",
                                                           "asyncio / uvloop")),
    ("Credo: sign-in log, access line, metrics, background", (
        "audit log", "SQL", "access line", "background")),
    ("Credo: the token path's own Python", ("certificate parse", "replay store", "form",
                                            "JOSE", "JSON", "claims", "assertion",
                                            "authorization", "directory", "token ")),
]


def group(cat: str) -> str:
    return next((name for name, starts in GROUPS if cat.startswith(starts)),
                "other Python / C")


def _no_line(frame: str) -> str:
    """``f (file.py:123)`` -> ``f (file.py)``: one row per function, not per line."""
    head, sep, tail = frame.rpartition(":")
    return head + ")" if sep and tail.rstrip(")").isdigit() else frame


def pyspy() -> str | None:
    for cand in (os.environ.get("PYSPY"), shutil.which("py-spy"),
                 str(Path(sys.executable).with_name("py-spy")),
                 "/tmp/credo-bench/tools/bin/py-spy"):
        if cand and Path(cand).exists():
            return cand
    return None


def children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    s = f.read()
                if int(s[s.rindex(")") + 2:].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def thread_ticks(pids: list[int]) -> dict[tuple[int, int], int]:
    """CPU clock ticks (user + system) of every thread of ``pids``, from ``/proc``."""
    found = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                fields = (task / "stat").read_text().rpartition(") ")[2].split()
            except OSError:
                continue  # the thread ended
            found[(pid, int(task.name))] = int(fields[11]) + int(fields[12])
    return found


def thread_split(before: dict[tuple[int, int], int], after: dict[tuple[int, int], int],
                 tokens: float) -> tuple[float, float]:
    """ms of CPU per token in the event loops' threads and in the others (aiosqlite's
    database thread), counted by the kernel: py-spy samples a thread that is runnable but
    waiting for a core as busy, and put 0.044 ms per token in the database thread where the
    kernel counted 0.013 ms (2026-12-07)."""
    per_tick = 1000 / os.sysconf("SC_CLK_TCK") / tokens
    loop = sum(t - before.get(k, 0) for k, t in after.items() if k[0] == k[1]) * per_tick
    other = sum(t - before.get(k, 0) for k, t in after.items() if k[0] != k[1]) * per_tick
    return loop, other


def in_thread(frames: list[str]) -> bool:
    """A sample of a thread other than the event loop's (it starts in ``threading``)."""
    return frames[0].startswith("Thread._bootstrap (threading.py")


def category(frames: list[str]) -> str:
    for name, leaf_only, keys in CATEGORIES:
        for frame in frames[-1:] if leaf_only else frames:
            if any(k in frame for k in keys):
                return name
    return "other Python / C"


Tally = dict[str, float]


def most(tally: Tally, n: int | None = None) -> list[tuple[str, float]]:
    return sorted(tally.items(), key=lambda kv: -kv[1])[:n]


def stacks(paths: list[Path]) -> list[tuple[list[str], int]]:
    found = []
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if count.isdigit():
                found.append((stack.split(";"), int(count)))
    return found


def weights(sampled: list[tuple[list[str], int]], threads: tuple[float, float] | None
            ) -> tuple[float, float]:
    """What one sample of the event loops and one of another thread weigh: 1 each, or, with
    the kernel's ms per token of each kind, that ms spread over the kind's samples."""
    other = sum(n for frames, n in sampled if in_thread(frames))
    loop = sum(n for _, n in sampled) - other
    if threads is None or not loop or not other:
        return 1.0, 1.0
    return threads[0] / loop, threads[1] / other


def fold(sampled: list[tuple[list[str], int]], weight: tuple[float, float] = (1.0, 1.0)
         ) -> tuple[float, Tally, Tally, Tally]:
    total = 0.0
    cats: Tally = collections.defaultdict(float)
    incl: Tally = collections.defaultdict(float)
    leaf: Tally = collections.defaultdict(float)
    for frames, count in sampled:
        n = count * weight[in_thread(frames)]
        if n:
            total += n
            cats[category(frames)] += n
            leaf[_no_line(frames[-1])] += n
            for f in {_no_line(f) for f in frames}:
                if "credo/" in f:
                    incl[f] += n
    return total, cats, incl, leaf


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=("entra", "strict"), default="entra")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--port", type=int, default=8471)
    ap.add_argument("--tmp", type=Path, default=Path("/tmp/credo-bench/live"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--plain-http", action="store_true", help="serve with --insecure-http")
    ap.add_argument("--fold-only", type=Path, nargs="*", default=None,
                    help="only fold existing py-spy raw files (no server, no load)")
    a = ap.parse_args()
    if a.fold_only:
        report(a.fold_only, None, a.top)
        return 0
    spy = pyspy()
    if spy is None:
        print("py-spy not found: pip install py-spy (anywhere), then PYSPY=/path/to/py-spy")
        return 2
    a.tmp.mkdir(parents=True, exist_ok=True)
    keys = a.tmp / "keys"
    if not (keys / "client_cert.pem").exists():
        subprocess.run([sys.executable, str(SHARED / "gen_assertions.py"), "keys", "--out",
                        str(keys), "--client-id", "bench-client"], check=True,
                       stdout=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDO_")}
    data_dir = a.data_dir or a.tmp / "data"
    setup_json = Path(str(data_dir) + ".json")
    if a.data_dir is None or not setup_json.exists():
        subprocess.run([sys.executable, str(HERE / "setup_bench.py"), "--fresh", "--data-dir",
                        str(data_dir), "--port", str(a.port), "--client-cert",
                        str(keys / "client_cert.pem"), "--json", str(setup_json)], check=True,
                       stdout=subprocess.DEVNULL, env=env)
    t = json.loads(setup_json.read_text())["tenants"][a.profile]
    bodies = a.tmp / f"bodies-{a.profile}.txt"
    n = 4000 * (a.seconds + 10)  # wrk must not run out: warm-up and measure at up to 3,500/s
    subprocess.run([sys.executable, str(HERE / "assertions.py"), "--key",
                    str(keys / "client_key.pem"), "--cert", str(keys / "client_cert.pem"),
                    "--client-id", t["clientAppId"],
                    "--aud", t["issuer"] if a.profile == "strict" else t["tokenUrl"],
                    "--alg", "PS256" if a.profile == "strict" else "RS256",
                    "--param", f"scope={t['resourceUri']}/.default",
                    "--lifetime", "600" if a.profile == "strict" else "3000",
                    "-n", str(n), "-o", str(bodies)], check=True)
    if a.profile == "strict":
        env["CREDO_REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/9"
    credo = str(Path(sys.executable).with_name("credo"))
    with open(a.tmp / "serve.log", "wb") as log:
        server = subprocess.Popen([credo, "serve", "--data-dir", str(data_dir), "--port",
                                   str(a.port), "--workers", "2",
                                   *(["--insecure-http"] if a.plain_http else [])], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"{'http' if a.plain_http else 'https'}://127.0.0.1:{a.port}"
        trust = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.pem"))
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + t["discoveryPath"], timeout=2,
                                            context=trust) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        time.sleep(2)
        workers = [p for p in children(server.pid)
                   if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_text()]
        url = base + t["tokenPath"]
        load = subprocess.Popen([str(SHARED / "run-token-bench.sh"), url, str(bodies),
                                 str(a.conns), str(a.seconds + 6)],
                                env=dict(os.environ, WARMUP="3", LABEL=f"profile {a.profile}",
                                         SERVER_PID=str(server.pid)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)  # warm-up and wrk loading its bodies
        outs = [a.tmp / f"pyspy-{a.profile}-{w}.txt" for w in workers]
        spies = [subprocess.Popen([spy, "record", "--nonblocking", "--rate", str(a.rate),
                                   "--duration", str(a.seconds), "--format", "raw",
                                   "--output", str(o), "--pid", str(w)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for w, o in zip(workers, outs, strict=True)]
        before, started = thread_ticks(workers), time.monotonic()
        for s in spies:
            s.wait(timeout=a.seconds + 60)
        after, ended = thread_ticks(workers), time.monotonic()
        stdout, stderr = load.communicate(timeout=a.seconds + 200)
        print(stderr.strip().splitlines()[-1] if stderr.strip() else "(no load output)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    summary = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    ms, threads = None, None
    if summary.get("cpu_cores") and summary.get("ok_per_s"):
        ms = 1000 * summary["cpu_cores"]["server"] / summary["ok_per_s"]
        print(f"server CPU per token during the run: {ms:.3f} ms "
              f"({summary['ok_per_s']:.0f} tokens/s)")
        threads = thread_split(before, after, summary["ok_per_s"] * (ended - started))
        print(f"threads (the kernel's count): {threads[0]:.3f} ms per token in the event "
              f"loops' threads, {threads[1]:.3f} ms in the others (aiosqlite's database "
              "thread); the samples of each kind are weighted to these")
    return report([o for o in outs if o.exists()], ms, a.top, threads)


def report(paths: list[Path], ms: float | None, top: int,
           threads: tuple[float, float] | None = None) -> int:
    sampled = stacks(paths)
    total, cats, incl, leaf = fold(sampled, weights(sampled, threads))
    if not total:
        print("py-spy recorded nothing (is ptrace allowed?)")
        return 1

    def unit(c: float) -> str:
        return f"{c / total:6.1%}" + (f"  {ms * c / total:6.3f} ms" if ms else "")
    print(f"\n{sum(n for _, n in sampled)} samples from {len(paths)} workers; share of "
          + ("CPU" if threads else "samples") + (" and ms per token" if ms else ""))
    groups: Tally = collections.defaultdict(float)
    for name, c in cats.items():
        groups[group(name)] += c
    for title, tally, n in (("split: RSA, HTTP and TLS, Credo's own Python", groups, None),
                            ("by category (first match in priority order; see CATEGORIES)",
                             cats, None),
                            ("Credo functions, inclusive", incl, top),
                            ("leaf functions (self)", leaf, top)):
        print(f"\n--- {title} ---")
        for name, c in most(tally, n):
            print(f"{unit(c)}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
