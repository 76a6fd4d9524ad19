#!/usr/bin/env python3
"""Instructions per token, counted by valgrind's callgrind: a figure that does not drift.

  .venv/bin/python bench/instructions.py [--profile entra|strict] [--small 100] [--large 400]

Timed runs on a shared 2-core machine drift (a third between sittings in one morning of
2026-12-07, up to 15% between neighbouring runs), so a lever worth a few percent cannot be
told from noise by tokens/s. Instructions are counted, not timed: the same build, data and
inputs give the same count whatever else the machine does.

The script drives the token endpoint in-process, one request at a time, exactly as
``profile_token.py`` does (same data dir and pre-signed bodies; no HTTP server, TLS or
socket work, which only a live profile shows), twice under ``valgrind --tool=callgrind``:
with ``--small`` and with ``--large`` requests after the same warm-up. The difference of
the two counts, divided by the difference of the request counts, is the cost of one token
without start-up and shutdown. It prints that total and its split by where the
instructions ran: RSA (OpenSSL's big-number code inside ``cryptography``), the CPython
interpreter and runtime, SQLite, and the rest.

Compare two builds by running it in each checkout; do not read the split as time. OpenSSL's
vector code runs several instructions a cycle and the interpreter far fewer: on 2026-12-07
everything but RSA was 0.15 times RSA in instructions (1.03 M against 6.73 M per token) and
about 1.0 times in time under cProfile. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DRIVER = """
import asyncio, json, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
import profile_token

class Off:
    def enable(self): pass
    def disable(self): pass

setup = json.loads(Path({setup!r}).read_text())
bodies = Path(sys.argv[1]).read_bytes().splitlines()
asyncio.run(profile_token.drive(Path({data!r}), setup["tenants"][{profile!r}]["tokenPath"],
                                bodies, Off()))
"""
PLACES = (  # (label, pattern on callgrind's "file:function [object]" line), first match wins
    ("RSA (OpenSSL big numbers)", re.compile(r"rsaz_|bn_|BN_|_rust\.abi3\.so|libcrypto")),
    ("SQLite", re.compile(r"sqlite3")),
    ("CPython", re.compile(r"libpython|Python-3|/Objects/|/Python/|/Modules/|/Parser/")),
)
OTHER = "other C (libc, uvloop, ...)"
TOTAL = re.compile(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS")
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")


def count(python: str, driver: Path, bodies: Path, out: Path) -> dict[str, int]:
    """Instructions of one run over the request bodies in ``bodies``, by place."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    python, str(driver), str(bodies)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    text = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)], check=True,
                          capture_output=True, text=True).stdout
    return by_place(text)


def by_place(annotated: str) -> dict[str, int]:
    """``callgrind_annotate``'s per-function lines summed by place, and the ``total``."""
    found: dict[str, int] = {label: 0 for label, _ in PLACES}
    found[OTHER] = 0
    for line in annotated.splitlines():
        total = TOTAL.match(line)
        if total:
            found["total"] = int(total.group(1).replace(",", ""))
            continue
        row = LINE.match(line)
        if row is None:
            continue
        value, where = int(row.group(1).replace(",", "")), row.group(2)
        found[next((name for name, pattern in PLACES if pattern.search(where)), OTHER)] += value
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=("entra", "strict"), default="entra")
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=400)
    ap.add_argument("--tmp", type=Path, default=Path("/tmp/credo-bench/profile"))
    a = ap.parse_args()
    if a.large <= a.small or a.small < 1:
        ap.error("--large must be above --small, and --small at least 1")
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    # profile_token.py makes (or reuses) the data dir and the keys; each run below gets
    # bodies of its own (50 warm-up requests first), as strict refuses a replayed jti.
    subprocess.run([sys.executable, str(HERE / "profile_token.py"), "--profile", a.profile,
                    "-n", "1", "--top", "1", "--tmp", str(a.tmp),
                    "--data-dir", str(a.tmp / "data")], check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(HERE))
    from profile_token import make_bodies

    setup = json.loads((a.tmp / "data.json").read_text())
    with tempfile.TemporaryDirectory(prefix="credo-instructions-") as work:
        driver = Path(work) / "driver.py"
        driver.write_text(DRIVER.format(bench=str(HERE), setup=str(a.tmp / "data.json"),
                                        data=str(a.tmp / "data"), profile=a.profile))
        found = []
        for n in (a.small, a.large):
            bodies = Path(work) / f"bodies-{n}.txt"
            make_bodies(setup, a.profile, a.tmp / "keys", n + 50, bodies)
            found.append(count(sys.executable, driver, bodies, Path(work) / f"{n}.out"))
        small, large = found
    tokens = a.large - a.small
    per = {k: (large[k] - small.get(k, 0)) / tokens for k in large}
    print(f"instructions per token ({a.profile}, in-process, one request at a time; "
          f"{a.large} - {a.small} requests under callgrind)")
    for label in sorted(per, key=lambda k: (k != "total", -per[k])):
        share = per[label] / per["total"] if per["total"] else 0.0
        print(f"  {per[label] / 1e6:8.2f} M  {share:6.1%}  {label}")
    rsa = per["RSA (OpenSSL big numbers)"]
    if rsa:
        print(f"  everything but RSA = {(per['total'] - rsa) / rsa:.2f}x RSA")
    print(json.dumps({k: round(v) for k, v in per.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")  # same dict layouts, same counts
    sys.exit(main())
