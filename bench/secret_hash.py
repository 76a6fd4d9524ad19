#!/usr/bin/env python3
"""Why client secrets are stored as a keyed hash: cost per verification, measured here.

  .venv/bin/python bench/secret_hash.py [--seconds 2] [--json out.json]

A ``client_secret`` token request verifies the presented secret against the stored hash
once per request. Credo stores HMAC-SHA256(pepper, secret) (``credo.service.secrets``):
the secret is 40 random characters (~241 bits), so it needs no stretching, and the pepper
lives outside the database. A password hash (argon2id) is built to be slow; this script
measures how slow, next to the RSA-2048 signature every token needs anyway:

* HMAC-SHA256 through ``SecretHasher`` plus a constant-time compare (what Credo does);
* argon2id ``verify`` (argon2-cffi) with its library defaults (RFC 9106 "second
  recommended" low-memory profile: t=3, m=64 MiB, p=4) and with OWASP's minimum
  (t=2, m=19 MiB, p=1);
* RSA-2048 PKCS#1 v1.5 sign (the access token's signature) for scale.

It prints CPU microseconds per verification (process CPU time, so argon2's own threads
count), the multiple of the RSA sign, and the tokens/s ceiling per core that the secret
check alone would allow. One process; the callers run in one thread.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable


def per_call_us(fn: Callable[[], object], seconds: float) -> float:
    """CPU microseconds per call (all threads of this process: argon2 with p>1 uses several)."""
    fn()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        n += 1
        if time.perf_counter() - t0 >= seconds and n >= 5:
            return (time.process_time() - c0) / n * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    from argon2 import PasswordHasher, Type
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from credo.service.secrets import SecretHasher, generate_secret

    secret = generate_secret()
    hasher = SecretHasher(secrets.token_bytes(32))
    stored = hasher(secret)

    def keyed() -> bool:
        return hmac.compare_digest(hasher(secret), stored)

    rows: list[tuple[str, float]] = [("HMAC-SHA256 keyed hash + compare_digest (Credo)",
                                      per_call_us(keyed, a.seconds))]
    profiles = [
        ("argon2id verify, argon2-cffi defaults (t=3, m=64 MiB, p=4; RFC 9106 low-memory)",
         PasswordHasher()),
        ("argon2id verify, OWASP minimum (t=2, m=19 MiB, p=1)",
         PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)),
    ]
    for name, ph in profiles:
        encoded = ph.hash(secret)
        rows.append((name, per_call_us(lambda ph=ph, encoded=encoded: ph.verify(encoded, secret),
                                       a.seconds)))

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    msg, pad, sha = b"x" * 600, padding.PKCS1v15(), hashes.SHA256()
    rsa_us = per_call_us(lambda: key.sign(msg, pad, sha), a.seconds)

    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs; {a.seconds:.1f}s per measurement, one thread\n")
    print(f"{'CPU/verification':>16}  {'x RSA sign':>10}  {'tokens/s/core cap':>17}  what")
    print(f"{rsa_us:14.1f}us  {1.0:10.2f}  {1e6 / rsa_us:17.0f}  RSA-2048 sign (the access "
          "token; every request pays it)")
    out = {"rsa2048_sign_us": rsa_us, "rows": {}}
    for name, us in rows:
        print(f"{us:14.1f}us  {us / rsa_us:10.3f}  {1e6 / us:17.0f}  {name}")
        out["rows"][name] = {"us": us, "x_rsa_sign": us / rsa_us}
    keyed_us, argon_us = rows[0][1], rows[1][1]
    print(f"\nargon2id (defaults) costs {argon_us / keyed_us:,.0f}x the keyed hash and "
          f"{argon_us / rsa_us:.1f}x the token's RSA signature: with it a secret-authenticated "
          f"token would cost ~{(argon_us + rsa_us) / 1000:.1f} ms of CPU instead of "
          f"~{(keyed_us + rsa_us) / 1000:.2f} ms, and each verification holds 64 MiB "
          "(16 concurrent requests: 1 GiB).")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
