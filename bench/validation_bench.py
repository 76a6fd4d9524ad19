#!/usr/bin/env python3
"""Resource SDK: access-token validations per second on one core, with a warm cache.

Tokens (RS256, 2048-bit key, Credo-shaped v2 app-only claims) are minted once; discovery and
JWKS are served by an in-memory ``httpx.MockTransport`` and fetched once before timing, so
the loops measure validation alone. Rows, each timed for ``--seconds`` in one process:

* ``TokenValidator.validate``       the async API (one event loop, sequential awaits)
* ``TokenValidator.validate_sync``  the same pipeline driven with blocking I/O
* ``PyJWT jwt.decode``              a typical library validator (aud, iss, exp), for scale
* ``cryptography verify``           the RSA PKCS#1 v1.5 verify alone: the ceiling

Rates are per core: validations per CPU-second of this single-threaded process (the wall
rate and the share of a CPU the process got are printed alongside). Usage:
``python bench/validation_bench.py [--seconds 3] [--tokens 100]``. Prints numbers; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import time
from collections.abc import Awaitable, Callable

import httpx
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

from credo import jose
from credo.resource import TokenValidator

HOST = "https://login.credo.test"
TENANT = "3c9f1e52-7d4b-4a0e-9a1f-2b6c8d0e4f13"
AUDIENCE = "6d1f3a2b-0c4e-4f5a-8b9c-7d6e5f4a3b2c"
ISSUER = f"{HOST}/{TENANT}/v2.0"


def authority(key: rsa.RSAPrivateKey) -> httpx.MockTransport:
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    documents = {
        f"/{TENANT}/v2.0/.well-known/openid-configuration": {
            "issuer": ISSUER, "jwks_uri": f"{HOST}/{TENANT}/discovery/v2.0/keys"},
        f"/{TENANT}/discovery/v2.0/keys": {"keys": [jwk]},
    }
    return httpx.MockTransport(lambda r: httpx.Response(200, json=documents[r.url.path]))


def mint(key: rsa.RSAPrivateKey, count: int, now: int) -> list[str]:
    signer = jose.Signer("RS256", key, {"typ": "JWT", "kid": "k1"})
    return [signer.sign({
        "aud": AUDIENCE, "iss": ISSUER, "iat": now - 300, "nbf": now - 300, "exp": now + 3600,
        "azp": "0b3c5a0e-1f0f-4f0e-9d3c-5a6b7c8d9e0f", "azpacr": "2", "idtyp": "app",
        "oid": f"a1b2c3d4-e5f6-4a7b-8c9d-{n:012d}", "roles": ["Mail.Read"],
        "sub": f"a1b2c3d4-e5f6-4a7b-8c9d-{n:012d}", "tid": TENANT, "uti": f"uti{n}",
        "ver": "2.0"}) for n in range(count)]


def timed(seconds: float, step: Callable[[], object]) -> tuple[int, float, float]:
    """Run ``step`` in batches until ``seconds`` have passed: (count, wall s, CPU s)."""
    count, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        for _ in range(200):
            step()
        count += 200
    return count, time.perf_counter() - wall0, time.process_time() - cpu0


async def timed_async(seconds: float, step: Callable[[], Awaitable[object]]
                      ) -> tuple[int, float, float]:
    count, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        for _ in range(200):
            await step()
        count += 200
    return count, time.perf_counter() - wall0, time.process_time() - cpu0


def report(name: str, result: tuple[int, float, float], ceiling: float | None) -> float:
    """Per core = per CPU-second of this process, so a busy machine does not skew the ratio."""
    count, wall, cpu = result
    rate = count / cpu
    share = f"{rate / ceiling:6.1%} of ceiling" if ceiling else "   the ceiling"
    print(f"  {name:<32} {rate:>8,.0f} /s per core  {cpu / count * 1e6:6.1f} µs each  "
          f"{share}   (wall {count / wall:,.0f}/s, {cpu / wall:.0%} CPU)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per row (default 3)")
    parser.add_argument("--tokens", type=int, default=100, help="distinct tokens (default 100)")
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    tokens = mint(key, args.tokens, now)
    transport = authority(key)
    validator = TokenValidator(f"{HOST}/{TENANT}", AUDIENCE, versions=["2.0"],
                               http_client=httpx.AsyncClient(transport=transport),
                               sync_http_client=httpx.Client(transport=transport))
    print(f"credo.resource validation bench: RS256, 2048-bit key, {args.tokens} tokens, "
          f"warm cache, one thread ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()})")

    parts = [jose.parse_compact(t) for t in tokens]
    public = key.public_key()
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    raw = itertools.cycle(parts)

    def verify() -> None:
        jws = next(raw)
        public.verify(jws.signature, jws.signing_input, pkcs1, sha256)

    ceiling = report("cryptography verify (ceiling)", timed(args.seconds, verify), None)

    async def run_async() -> tuple[int, float, float]:
        await validator.warm_up()
        cycle = itertools.cycle(tokens)
        return await timed_async(args.seconds, lambda: validator.validate(next(cycle)))

    report("TokenValidator.validate", asyncio.run(run_async()), ceiling)
    sync_cycle = itertools.cycle(tokens)
    validator.validate_sync(tokens[0])  # warm the blocking path's fetcher
    report("TokenValidator.validate_sync",
           timed(args.seconds, lambda: validator.validate_sync(next(sync_cycle))), ceiling)

    pem_cycle = itertools.cycle(tokens)
    report("PyJWT jwt.decode (aud, iss, exp)", timed(args.seconds, lambda: jwt.decode(
        next(pem_cycle), public, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)),
        ceiling)


if __name__ == "__main__":
    main()
