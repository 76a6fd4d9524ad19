#!/usr/bin/env python3
"""A Credo data dir for the token benchmark: two tenants, a resource API, a daemon per tenant.

  setup_bench.py --data-dir /tmp/credo-bench/data-10 --port 8471 \
      --client-cert /tmp/credo-bench/keys/client_cert.pem [--total-apps 10] [--json out.json]

1. ``credo init --data-dir D --port P --json`` (the CLI, as a user would run it).
2. In-process, through the service layer (``DirectoryService`` over ``open_store``):
   * tenant ``bench-entra.example`` (profile ``entra``) and ``bench-strict.example``
     (profile ``strict``);
   * one resource app "Bench API": identifier URI ``api://bench``, application role
     ``Bench.Read``, ``requestedAccessTokenVersion = 2`` (so the v2 endpoint with
     ``scope=api://bench/.default`` mints v2.0 tokens whose ``aud`` is the API's appId).
     Identifier URIs are unique across the directory, so the API is one multi-tenant app
     homed in the entra tenant with a service principal in the strict tenant too, as a
     multi-tenant API is in Entra;
   * in each tenant a daemon app whose certificate is the bench client certificate, and
     admin consent: an app-role assignment (daemon SP -> API SP, ``Bench.Read``).
3. ``--total-apps N``: filler applications until the directory holds N applications. Each
   filler is a real registration the server can read: an ``applications`` row, its
   identifier URI, one key credential and a service principal in the entra tenant. They
   are written by ``bulk_insert`` below in ONE transaction through the store's own
   ``Database.write`` (SQLAlchemy Core ``executemany`` on the store's tables, the
   directory version bumped), because saving 100,000 apps one by one through the
   service layer (a transaction and several checks each) would take many minutes.

4. ``--total-tenants N``: filler tenants until the directory holds N tenants, each with a
   domain ``filler-<n>.example`` and one registered application with its service principal
   (written like the filler apps, in one transaction).
5. The entra daemon also gets a client secret (``addPassword``): ``clientSecret`` in the
   JSON, for the client-secret run.

``--copy-of DIR --setup-json S.json``: instead of 1-2, copy an existing bench data dir
(database, keys, settings: the same tenants, apps, certificates and signing keys) and only
add fillers. The 10-app and 100,000-app directories then differ in nothing but the filler
rows, and one file of pre-signed assertions serves both.

Prints (and with ``--json`` writes) what the driver needs: tenant ids, app ids, the exact
token URLs and issuers the assertions must name, and the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROLE_VALUE = "Bench.Read"
RESOURCE_URI = "api://bench"
TENANTS = (("entra", "bench-entra.example"), ("strict", "bench-strict.example"))
FILLER_CHUNK = 5_000


def credo_cli() -> list[str]:
    """The ``credo`` entry point of the interpreter running this script (the project venv)."""
    exe = Path(sys.executable).with_name("credo")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from credo.cli.main import main; main()"]


def run_init(data_dir: Path, port: int) -> dict[str, Any]:
    cmd = [*credo_cli(), "init", "--data-dir", str(data_dir), "--port", str(port), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed ({done.returncode}):\n"
                         f"{done.stdout}\n{done.stderr}")
    start = done.stdout.find("{")
    return json.loads(done.stdout[start:])


async def populate(data_dir: Path, client_cert_pem: bytes, total_apps: int,
                   total_tenants: int = 0) -> dict[str, Any]:
    from cryptography import x509

    from credo import certs
    from credo.config import load_settings
    from credo.model import AppRole
    from credo.service.bootstrap import onboard_tenant
    from credo.service.directory import DirectoryService
    from credo.service.secrets import SecretHasher
    from credo.service.sources import new_guid as new_id
    from credo.store.seal import Sealer
    from credo.store.sql import open_store

    settings = load_settings(data_dir)
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=False)
    store = await open_store(settings.database_url, sealer)
    hasher = SecretHasher.from_data_dir(settings.data_dir)
    directory = DirectoryService(store, secret_hasher=hasher)
    cert = x509.load_pem_x509_certificate(client_cert_pem)
    base = settings.base_url
    out: dict[str, Any] = {"serverUrl": base, "dataDir": str(settings.data_dir),
                           "port": settings.port, "tenants": {}}
    try:
        tenants = {}
        for profile, domain in TENANTS:
            tenants[profile] = await onboard_tenant(
                directory, store.flows, domain, profile=profile,  # type: ignore[arg-type]
                operator_app_id=settings.operator_app_id, display_name=domain)
        role = AppRole(new_id(), ROLE_VALUE, "Read the bench API",
                       "Application permission used by the token benchmark.")
        api, api_sp_home = await directory.create_application(
            tenants["entra"], "Bench API", identifier_uris=[RESOURCE_URI], app_roles=[role],
            sign_in_audience="AzureADMultipleOrgs", requested_access_token_version=2)
        for profile, tenant in tenants.items():
            api_sp = (api_sp_home if tenant.id == api.tenant_id
                      else await directory.create_service_principal(tenant, api))
            daemon, daemon_sp = await directory.create_application(
                tenant, f"Bench daemon ({profile})")
            daemon = await directory.add_key(daemon, certs.key_credential(
                cert, key_id=new_id(), display_name="bench client certificate"))
            await directory.grant(tenant, daemon_sp, api_sp, role.id)
            _, _, secret = await directory.add_password(daemon, display_name="bench secret")
            tid = tenant.id
            out["tenants"][profile] = {
                "tenantId": tid, "domain": tenant.default_domain, "profile": profile,
                "clientAppId": daemon.app_id, "resourceAppId": api.app_id,
                "resourceUri": RESOURCE_URI, "role": ROLE_VALUE, "tokenVersion": 2,
                "clientSecret": secret,
                "tokenUrl": f"{base}/{tid}/oauth2/v2.0/token",
                "tokenPath": f"/{tid}/oauth2/v2.0/token",
                "issuer": f"{base}/{tid}/v2.0",
                "jwksPath": f"/{tid}/discovery/v2.0/keys",
                "discoveryPath": f"/{tid}/v2.0/.well-known/openid-configuration",
            }
    finally:
        await store.close()

    return await fill(settings.database_url, out, total_apps, total_tenants)


async def fill(url: str, out: dict[str, Any], total_apps: int,
               total_tenants: int = 0) -> dict[str, Any]:
    t0 = time.perf_counter()
    tenants = max(0, total_tenants - await count_rows(url, "tenants"))
    if tenants:
        await bulk_tenants(url, Path(out["dataDir"]), tenants,
                           offset=await count_rows(url, "tenants"))
    existing = await count_rows(url, "applications")
    filler = max(0, total_apps - existing)
    if filler:
        await bulk_insert(url, out["tenants"]["entra"]["tenantId"], filler, offset=existing)
    out["fillerApps"] = out.get("fillerApps", 0) + filler
    out["fillerTenants"] = out.get("fillerTenants", 0) + tenants
    out["fillerSeconds"] = round(time.perf_counter() - t0, 2)
    out["totalApps"] = await count_rows(url, "applications")
    out["totalTenants"] = await count_rows(url, "tenants")
    return out


async def count_rows(url: str, table: str) -> int:
    import sqlalchemy as sa

    from credo.store import tables
    from credo.store.db import Database, create_engine

    db = Database(create_engine(url))
    try:
        async with db.read() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(
                getattr(tables, table))) or 0)
    finally:
        await db.dispose()


async def bulk_tenants(url: str, data_dir: Path, n: int, *, offset: int = 0) -> None:
    """``n`` filler tenants, each as ``credo tenant create`` makes one (the built-in service
    principals, the operator's roles, the portal's grant) plus one daemon app with its service
    principal (a realm with a client, in Keycloak's terms). The first is made through the
    service layer; the others are copies of its rows with fresh ids, written in one
    transaction (onboarding 10,000 tenants one by one would take a quarter of an hour)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncConnection

    from credo.config import load_settings
    from credo.service.bootstrap import onboard_tenant
    from credo.service.directory import DirectoryService
    from credo.service.secrets import SecretHasher
    from credo.store.db import Database, create_engine
    from credo.store.seal import Sealer
    from credo.store.sql import open_store
    from credo.store.tables import (
        app_role_assignments,
        applications,
        delegated_grants,
        service_principals,
        tenant_domains,
        tenants,
    )

    settings = load_settings(data_dir)
    store = await open_store(url, Sealer.from_env_or_file(settings.data_dir / "master.key",
                                                          create=False))
    directory = DirectoryService(store, secret_hasher=SecretHasher.from_data_dir(data_dir))
    first = f"filler-{offset}.example"
    try:
        tenant = await onboard_tenant(directory, store.flows, first, profile="entra",
                                      operator_app_id=settings.operator_app_id,
                                      display_name=first)
        await directory.create_application(tenant, f"filler daemon {offset}")
    finally:
        await store.close()
    tables = (tenants, tenant_domains, applications, service_principals, app_role_assignments,
              delegated_grants)
    db = Database(create_engine(url))
    try:
        async with db.read() as conn:
            template = [(table, [dict(r._mapping) for r in await conn.execute(
                sa.select(table).where((table.c.id if table is tenants else table.c.tenant_id)
                                       == tenant.id))]) for table in tables]
        own = {tenant.id} | {row[c] for table, rows in template for row in rows
                             for c in ("id", "app_id") if c in row and table is not tenants
                             and (c == "id" or table is applications)}

        def copy(i: int) -> list[list[dict[str, Any]]]:
            fresh = {old: str(uuid.uuid4()) for old in own}
            name = f"filler-{i}.example"
            return [[{k: fresh.get(v, v) if isinstance(v, str) else v for k, v in row.items()}
                     | ({"domain": name} if "domain" in row else {})
                     | ({"display_name": name} if table is tenants else {})
                     for row in rows] for table, rows in template]

        async def op(conn: AsyncConnection) -> bool:
            for start in range(offset + 1, offset + n, FILLER_CHUNK // 4):
                batch = [copy(i) for i in range(start, min(offset + n, start + FILLER_CHUNK // 4))]
                for column, (table, _) in enumerate(template):
                    values = [row for made in batch for row in made[column]]
                    if values:
                        await conn.execute(sa.insert(table), values)
            return True

        if n > 1:
            await db.write(op, bump=True)
    finally:
        await db.dispose()


async def bulk_insert(url: str, tenant_id: str, n: int, *, offset: int = 0) -> None:
    """``n`` filler apps (+ identifier URI, key credential, SP) in one transaction; they are
    numbered from ``offset`` (identifier URIs ``api://filler-<number>`` must stay unique)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncConnection

    from credo import certs
    from credo.model import (
        AppId,
        Application,
        AppRole,
        ObjectId,
        ServicePrincipal,
        TenantId,
        canonical_identifier_uri,
    )
    from credo.store.db import Database, create_engine
    from credo.store.records import application_values, key_values, sp_values
    from credo.store.tables import (
        application_identifier_uris,
        applications,
        key_credentials,
        service_principals,
    )

    now = datetime.now(UTC)
    _, filler_cert = certs.create_self_signed("CN=bench filler", now - timedelta(days=1),
                                              now + timedelta(days=365))
    key = certs.key_credential(filler_cert, key_id=str(uuid.uuid4()), display_name="filler")
    role = AppRole(str(uuid.uuid4()), "Filler.Read", "Filler.Read")
    tid = TenantId(tenant_id)

    def chunk(start: int, stop: int) -> tuple[list[dict[str, Any]], ...]:
        apps, uris, keys, sps = [], [], [], []
        for i in range(offset + start, offset + stop):
            app = Application(
                id=ObjectId(str(uuid.uuid4())), app_id=AppId(str(uuid.uuid4())),
                tenant_id=tid, display_name=f"filler app {i}",
                identifier_uris=(f"api://filler-{i}",), app_roles=(role,),
                key_credentials=(key,), created=now)
            apps.append(application_values(app))
            uris.append({"uri": app.identifier_uris[0], "application_id": app.id,
                         "tenant_id": app.tenant_id,
                         "canonical": canonical_identifier_uri(app.identifier_uris[0])})
            keys.extend(key_values(app))
            sps.append(sp_values(ServicePrincipal(ObjectId(str(uuid.uuid4())), app.app_id, tid,
                                                  app.display_name, created=now)))
        return apps, uris, keys, sps

    async def op(conn: AsyncConnection) -> bool:
        for start in range(0, n, FILLER_CHUNK):
            rows = chunk(start, min(n, start + FILLER_CHUNK))
            for table, values in zip((applications, application_identifier_uris,
                                      key_credentials, service_principals), rows, strict=True):
                await conn.execute(sa.insert(table), values)
        return True

    db = Database(create_engine(url))
    try:
        await db.write(op, bump=True)
    finally:
        await db.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8471)
    ap.add_argument("--client-cert", type=Path, default=None,
                    help="the bench client certificate (PEM); required unless --copy-of")
    ap.add_argument("--total-apps", type=int, default=10)
    ap.add_argument("--total-tenants", type=int, default=0,
                    help="add filler tenants (one app each) until the directory holds this many")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--fresh", action="store_true", help="delete the data dir first")
    ap.add_argument("--copy-of", type=Path, default=None,
                    help="clone this bench data dir (made by this script) and only add fillers")
    ap.add_argument("--setup-json", type=Path, default=None,
                    help="with --copy-of: the JSON this script wrote for that data dir")
    a = ap.parse_args()
    if a.fresh and a.data_dir.exists():
        shutil.rmtree(a.data_dir)
    os.environ.pop("CREDO_DATA_DIR", None)
    t0 = time.perf_counter()
    if a.copy_of is not None:
        if a.setup_json is None:
            ap.error("--copy-of needs --setup-json")
        shutil.copytree(a.copy_of, a.data_dir)  # no server may have it open meanwhile
        from credo.config import load_settings
        out = json.loads(a.setup_json.read_text())
        out["dataDir"] = str(a.data_dir.resolve())
        out["copyOf"] = str(a.copy_of)
        out = asyncio.run(fill(load_settings(a.data_dir).database_url, out, a.total_apps,
                               a.total_tenants))
    else:
        if a.client_cert is None:
            ap.error("--client-cert is required")
        init = run_init(a.data_dir, a.port)
        out = asyncio.run(populate(a.data_dir, a.client_cert.read_bytes(), a.total_apps,
                                   a.total_tenants))
        out["init"] = init
    out["setupSeconds"] = round(time.perf_counter() - t0, 2)
    text = json.dumps(out, indent=1)
    if a.json:
        a.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
