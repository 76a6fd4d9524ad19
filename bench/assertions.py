#!/usr/bin/env python3
"""Pre-signed client_credentials bodies with a PS256 (or RS256) client assertion.

  assertions.py --key client_key.pem --cert client_cert.pem --client-id APPID \
      --aud ISSUER_OR_TOKEN_URL --alg PS256 -n 100000 -o bodies.txt \
      [--param scope=api://bench/.default] [--lifetime 600] [--procs 2]

The same output format as ``../shared/bench/gen_assertions.py bodies`` (one complete
``application/x-www-form-urlencoded`` body per line, a ``.meta.json`` beside it, any old
``.cursor`` removed), so ``run-token-bench.sh`` consumes it unchanged. It exists because
the shared generator signs RS256 only, and Credo's ``strict`` profile accepts PS256 only
(docs/protocol.md, profiles; FAPI 2.0), with ``aud`` = the tenant's issuer and a lifetime of at
most 600 s: strict bodies are therefore generated just before each strict run.
Header: ``{alg, typ: JWT, kid: x5t, x5t}``; claims: ``iss = sub = client id``, ``aud``,
``jti`` (uuid4), ``iat``, ``nbf = iat - 5``, ``exp = iat + lifetime``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_G: dict[str, Any] = {}


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _init(key_pem: bytes, alg: str, header_b64: str, prefix: str, suffix: str,
          client_id: str, aud: str, lifetime: int) -> None:
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pad = (padding.PKCS1v15() if alg == "RS256"
           else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32))
    _G.update(key=key, pad=pad, header_b64=header_b64, prefix=prefix, suffix=suffix,
              client_id=client_id, aud=aud, lifetime=lifetime)


def _chunk(n: int) -> str:
    key, pad, sha = _G["key"], _G["pad"], hashes.SHA256()
    out = []
    for _ in range(n):
        now = int(time.time())
        claims = {"iss": _G["client_id"], "sub": _G["client_id"], "aud": _G["aud"],
                  "jti": str(uuid.uuid4()), "iat": now, "nbf": now - 5,
                  "exp": now + _G["lifetime"]}
        si = _G["header_b64"] + "." + b64u(json.dumps(claims, separators=(",", ":")).encode())
        out.append(_G["prefix"] + si + "." + b64u(key.sign(si.encode("ascii"), pad, sha))
                   + _G["suffix"])
    return "\n".join(out) + "\n"


def generate(*, key_pem: bytes, cert_pem: bytes, client_id: str, aud: str, alg: str, n: int,
             out_path: str, params: list[str], lifetime: int, procs: int) -> float:
    """Write ``n`` bodies to ``out_path``; returns the seconds it took."""
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    x5t = b64u(hashlib.sha1(der).digest())
    header = {"alg": alg, "typ": "JWT", "kid": x5t, "x5t": x5t}
    header_b64 = b64u(json.dumps(header, separators=(",", ":")).encode())
    prefix = ("grant_type=client_credentials&client_assertion_type="
              + quote(ASSERTION_TYPE, safe="") + "&client_assertion=")
    suffix = "&client_id=" + quote(client_id, safe="")
    for p in params:
        k, _, v = p.partition("=")
        suffix += "&" + quote(k, safe="") + "=" + quote(v, safe="")
    size = 2000
    sizes = [size] * (n // size) + ([n % size] if n % size else [])
    t0 = time.time()
    with open(out_path, "w") as out, mp.Pool(procs, _init, (key_pem, alg, header_b64, prefix,
                                                            suffix, client_id, aud,
                                                            lifetime)) as pool:
        for text in pool.imap(_chunk, sizes):
            out.write(text)
    with open(out_path + ".meta.json", "w") as f:
        json.dump({"n": n, "client_id": client_id, "aud": aud, "alg": alg, "x5t": x5t,
                   "params": params, "created": int(t0), "lifetime_s": lifetime}, f, indent=1)
    if os.path.exists(out_path + ".cursor"):
        os.remove(out_path + ".cursor")
    return time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--aud", required=True)
    ap.add_argument("--alg", choices=("PS256", "RS256"), default="PS256")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-o", required=True)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--lifetime", type=int, default=600)
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    with open(a.key, "rb") as f:
        key_pem = f.read()
    with open(a.cert, "rb") as f:
        cert_pem = f.read()
    secs = generate(key_pem=key_pem, cert_pem=cert_pem, client_id=a.client_id, aud=a.aud,
                    alg=a.alg, n=a.n, out_path=a.o, params=a.param, lifetime=a.lifetime,
                    procs=a.procs)
    print(f"wrote {a.n} {a.alg} bodies to {a.o} in {secs:.1f}s ({a.n / secs:.0f}/s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
