"""Run the sample mail API with uvicorn.

::

    python -m examples.mail_api --authority https://127.0.0.1:8443/contoso.example \\
        --audience api://mail --audience MAIL_API_APP_ID --ca ~/.credo/tls/ca.pem \\
        --seed-tenant TENANT_ID --seed-domain contoso.example --port 8081 \\
        --tls-cert ~/.credo/tls/server.pem --tls-key ~/.credo/tls/server.key.pem

``--audience``: the identifier URI (what v1.0 tokens carry in ``aud``) and the appId (v2.0
tokens); both are usual. Without ``--tls-cert`` the API listens on plain HTTP, which is only
reasonable on a loopback address: bearer tokens must travel over TLS (RFC 6750 §5.3).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from examples.mail_api.app import Settings, create_app


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.mail_api",
                                     description="A Graph-shaped mail API protected by "
                                                 "credo.resource.")
    parser.add_argument("--authority", required=True,
                        help="https://HOST:PORT/<tenant id or domain> of Credo (or Entra ID)")
    parser.add_argument("--audience", action="append", required=True,
                        help="an accepted token audience: api://mail, the appId (repeatable)")
    parser.add_argument("--tenant", action="append",
                        help="accept tokens of this tenant id only (repeatable)")
    parser.add_argument("--ca", type=Path, help="CA bundle that signs the authority's TLS "
                                                "certificate (Credo's local CA)")
    parser.add_argument("--db", default=":memory:",
                        help="SQLite database file (default: in memory)")
    parser.add_argument("--seed-tenant", action="append", default=[],
                        help="create the demo mailboxes for this tenant id (repeatable)")
    parser.add_argument("--seed-domain", action="append", default=[],
                        help="the domain of the --seed-tenant at the same position")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--tls-cert", type=Path, help="server certificate chain (PEM)")
    parser.add_argument("--tls-key", type=Path, help="its private key (PEM)")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])
    args = parser.parse_args(argv)
    if len(args.seed_tenant) != len(args.seed_domain):
        parser.error("give one --seed-domain for each --seed-tenant")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(authority=args.authority, audiences=tuple(args.audience),
                        tenants=tuple(args.tenant) if args.tenant else None, ca=args.ca,
                        database=args.db,
                        seed=tuple(zip(args.seed_tenant, args.seed_domain, strict=True)))
    app = create_app(settings)
    scheme = "https" if args.tls_cert else "http"
    print(f"Mail API on {scheme}://{args.host}:{args.port} "
          f"(tokens from {args.authority}, audiences {', '.join(args.audience)})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
                ssl_keyfile=str(args.tls_key) if args.tls_key else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
