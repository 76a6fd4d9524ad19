#!/usr/bin/env python3
"""Where a token's CPU goes, in-process: cProfile around Credo's ASGI app (no HTTP server).

  .venv/bin/python bench/profile_token.py [--profile entra|strict] [-n 2000] [--top 35]

Builds a data dir with ``bench/setup_bench.py`` (or reuses ``--data-dir``), opens the
services as ``credo serve`` does (``credo.service.runtime.open_services`` and
``credo.web.app.build_app``), pre-signs ``n`` assertions, then drives the token endpoint
``n`` times by calling the ASGI app directly, one request at a time, under cProfile.
It prints:

* µs per token in total, and split into RSA (the access-token sign and the assertion
  verify, inside ``cryptography``) and everything else;
* the functions with the most own time, and the Credo functions with the most cumulative
  time, so the costs beyond RSA can be attributed to a file and a function.

HTTP parsing (uvicorn/httptools) and the event loop's socket work are not in this
picture: profile a running server with py-spy for those (see bench/README.md).
For ``strict``, CREDO_REDIS_URL (when set) is used for the replay store, as in serve.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def make_bodies(setup: dict[str, Any], profile: str, keys: Path, n: int, out: Path) -> None:
    t = setup["tenants"][profile]
    cmd = [sys.executable, str(HERE / "assertions.py"), "--key", str(keys / "client_key.pem"),
           "--cert", str(keys / "client_cert.pem"), "--client-id", t["clientAppId"],
           "--aud", t["issuer"] if profile == "strict" else t["tokenUrl"],
           "--alg", "PS256" if profile == "strict" else "RS256",
           "--param", f"scope={t['resourceUri']}/.default", "--lifetime",
           "600" if profile == "strict" else "3000", "-n", str(n), "-o", str(out)]
    subprocess.run(cmd, check=True)


async def drive(data_dir: Path, path: str, bodies: list[bytes], prof: cProfile.Profile
                ) -> tuple[float, int]:
    from credo.config import load_settings
    from credo.web.app import build_app

    try:
        from credo.service.runtime import close_services, open_services
    except ImportError:  # the composition root's older home
        from credo.web.app import close_services, open_services  # type: ignore[attr-defined]

    settings = load_settings(data_dir)
    services = await open_services(settings)
    app = build_app(services)
    statuses: dict[int, int] = {}

    async def one(body: bytes) -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"),
                             (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8471)}
        await app(scope, receive, send)  # type: ignore[arg-type]

    for body in bodies[:50]:  # warm the snapshot cache and the code paths
        await one(body)
    t0 = time.perf_counter()
    prof.enable()
    for body in bodies[50:]:
        await one(body)
    prof.disable()
    elapsed = time.perf_counter() - t0
    await services.audit.flush()
    await close_services(services)
    ok = statuses.get(200, 0)
    if ok < len(bodies) - 5:
        raise SystemExit(f"unexpected statuses {statuses}")
    return elapsed, len(bodies) - 50


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=("entra", "strict"), default="entra")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--tmp", type=Path, default=Path("/tmp/credo-bench/profile"))
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="reuse a data dir made by setup_bench.py (with its setup JSON beside "
                         "it as <data-dir>.json)")
    ap.add_argument("--pstats", type=Path, default=None, help="also dump raw stats here")
    a = ap.parse_args()
    a.tmp.mkdir(parents=True, exist_ok=True)
    keys = a.tmp / "keys"
    if not (keys / "client_cert.pem").exists():
        shared = Path(os.environ.get("CREDO_SHARED_BENCH")
                      or HERE.parent / ".." / "shared" / "bench").resolve()
        subprocess.run([sys.executable, str(shared / "gen_assertions.py"), "keys", "--out",
                        str(keys), "--client-id", "bench-client"], check=True,
                       stdout=subprocess.DEVNULL)
    data_dir = a.data_dir or a.tmp / "data"
    setup_json = Path(str(data_dir) + ".json")
    if a.data_dir is None or not setup_json.exists():
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CREDO_") or k == "CREDO_REDIS_URL"}
        subprocess.run([sys.executable, str(HERE / "setup_bench.py"), "--fresh", "--data-dir",
                        str(data_dir), "--client-cert", str(keys / "client_cert.pem"),
                        "--json", str(setup_json)], check=True, stdout=subprocess.DEVNULL,
                       env=env)
    setup = json.loads(setup_json.read_text())
    bodies_path = a.tmp / f"bodies-{a.profile}.txt"
    make_bodies(setup, a.profile, keys, a.n + 50, bodies_path)
    bodies = bodies_path.read_bytes().splitlines()
    prof = cProfile.Profile()
    elapsed, n = asyncio.run(drive(data_dir, setup["tenants"][a.profile]["tokenPath"], bodies,
                                   prof))
    stats = pstats.Stats(prof)
    if a.pstats:
        stats.dump_stats(str(a.pstats))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    # cryptography's Rust objects: "<method 'sign' of '...rsa.RSAPrivateKey' objects>"
    rsa_s = sum(tt for (_, _, name), (_, _, tt, _, _) in raw.items()
                if "RSAPrivateKey" in name or "RSAPublicKey" in name)
    total_s = sum(tt for (_, _, _), (_, _, tt, _, _) in raw.items())
    print(f"\n{n} tokens ({a.profile}) in {elapsed:.2f}s wall under cProfile = "
          f"{elapsed / n * 1e6:.0f} µs/token (profiler overhead included; one process, "
          "one request at a time)")
    print(f"profiled own time: {total_s / n * 1e6:.0f} µs/token; inside RSA sign/verify: "
          f"{rsa_s / n * 1e6:.0f} µs; everything else: {(total_s - rsa_s) / n * 1e6:.0f} µs")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(a.top)
    print("\n--- own time (tottime) ---")
    print(buf.getvalue().split("\n", 6)[-1][:12000])
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats("credo", a.top)
    print("\n--- Credo functions by cumulative time ---")
    print(buf.getvalue().split("\n", 6)[-1][:12000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
