"""``bench/setup_bench.py`` makes a data dir the bench can use: it rotted once unnoticed
(a service signature changed under it), so it runs here, small, and its output is used."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from credo import certs
from credo.config import load_settings
from credo.service.runtime import close_services, open_services
from support import asgi_client, claims_of, token_with_certificate, token_with_secret

REPO = Path(__file__).resolve().parents[2]
SCOPE = "api://bench/.default"


async def test_setup_bench_makes_tenants_apps_and_working_credentials(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    key, cert = certs.create_self_signed("CN=bench client", now - timedelta(days=1),
                                       now + timedelta(days=1))
    (tmp_path / "client.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    out = tmp_path / "setup.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "setup_bench.py"), "--data-dir",
         str(tmp_path / "data"), "--port", "8471", "--client-cert", str(tmp_path / "client.pem"),
         "--total-apps", "40", "--total-tenants", "25", "--json", str(out)],
        capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    setup = json.loads(out.read_text())
    assert (setup["totalTenants"], setup["fillerTenants"]) == (25, 22)  # bootstrap + 2 + 22
    assert setup["totalApps"] == 40
    entra = setup["tenants"]["entra"]
    services = await open_services(load_settings(tmp_path / "data", env={}))
    try:
        async with asgi_client(services) as client:
            tokens = [await token_with_secret(client, entra["tenantId"], entra["clientAppId"],
                                              entra["clientSecret"], scope=SCOPE)]
            for profile, t in setup["tenants"].items():
                tokens.append(await token_with_certificate(
                    client, t["tenantId"], t["clientAppId"], key, cert, scope=SCOPE,
                    strict=profile == "strict"))
        assert [(c["aud"], c["roles"], c["tid"]) for c in map(claims_of, tokens)] == [
            (entra["resourceAppId"], ["Bench.Read"], entra["tenantId"]),
            *[(t["resourceAppId"], ["Bench.Read"], t["tenantId"])
              for t in setup["tenants"].values()]]
        assert len(await services.directory.tenants()) == 25
    finally:
        await close_services(services)
