"""Smart lockout (issue 8, finding 4): familiar vs unfamiliar addresses, per-tenant keys.

Threshold 3 per user, 6 per address. "Home" and "office" have signed Alice in before;
"x", "y" and "p" never have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from credo.errors import InvalidGrant, TemporarilyUnavailable
from credo.model import Tenant, TenantId, User
from credo.service.audit import AuditBuffer
from credo.service.passwords import Passwords
from credo.service.signin import SignInService, ThrottlePolicy
from credo.service.users import UserService
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.tables import sign_in_familiar, sign_in_throttle

CONTOSO = Tenant(TenantId("9b6a4c34-5f3c-4a43-a3c8-9e1b8f4d2a10"), ("contoso.example",),
                 "Contoso")
FABRIKAM = Tenant(TenantId("3f1e2d4c-7b6a-4e5d-8c9b-0a1f2e3d4c5b"), ("fabrikam.example",),
                  "Fabrikam")
PASSWORD = "correct horse battery staple"
WRONG = "tr0ub4dor&3 guess"
HOME, OFFICE = "198.51.100.10", "198.51.100.20"
T = 1_800_000_000.0
POLICY = ThrottlePolicy(user_threshold=3, address_threshold=6, base_lockout=60,
                        max_lockout=240, familiar_for=86400)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lockout.db'}"
    upgrade(url)
    opened = await open_store(url, Sealer(Sealer.generate_key()))
    for tenant in (CONTOSO, FABRIKAM):
        await opened.add_tenant(tenant)
    yield opened
    await opened.close()


@pytest.fixture
def audit(store: SqlStore) -> AuditBuffer:
    return AuditBuffer(store)


@pytest.fixture
def signin(store: SqlStore, audit: AuditBuffer) -> SignInService:
    return SignInService(store.users, store.users, store.users, Passwords(), audit,
                         key_source=lambda label: label.encode().ljust(32, b"s")[:32],
                         policy=POLICY)


@pytest.fixture
async def alice(store: SqlStore, signin: SignInService) -> User:
    """Alice of Contoso, signed in once from home and once from the office."""
    user = await UserService(store.users, Passwords()).create(
        CONTOSO, "alice@contoso.example", "Alice", PASSWORD)
    for address in (HOME, OFFICE):
        await signin.sign_in(CONTOSO, user.user_principal_name, PASSWORD, address=address,
                             now=T)
    return user


async def attempt(signin: SignInService, password: str, address: str, now: float, *,
                  tenant: Tenant = CONTOSO, name: str = "alice@contoso.example") -> str:
    """``ok``, ``wrong`` or ``locked``."""
    try:
        await signin.sign_in(tenant, name, password, address=address, now=now)
    except TemporarilyUnavailable as err:
        assert err.http_status == 429 and err.code == 50053 and err.retry_after >= 1
        return "locked"
    except InvalidGrant as err:
        assert err.code == 50126
        return "wrong"
    return "ok"


async def test_strangers_failures_lock_the_user_out_only_from_unfamiliar_addresses(
        signin: SignInService, alice: User, audit: AuditBuffer) -> None:
    assert [await attempt(signin, WRONG, "x", T + i) for i in range(1, 5)] == [
        "wrong", "wrong", "wrong", "locked"]
    assert await attempt(signin, PASSWORD, "y", T + 5) == "locked"  # from anywhere unfamiliar
    assert await attempt(signin, PASSWORD, HOME, T + 6) == "ok"
    assert await attempt(signin, PASSWORD, OFFICE, T + 7) == "ok"
    assert await attempt(signin, PASSWORD, "x", T + 8) == "locked"  # home did not reset it
    refused = [e.detail for e in list(audit._events) if e.code == 50053]
    assert refused == ["alice@contoso.example sign-in locked (user key)"] * 3


async def test_failures_at_a_familiar_address_lock_only_that_address(
        signin: SignInService, alice: User) -> None:
    assert [await attempt(signin, WRONG, HOME, T + i) for i in range(1, 4)] == ["wrong"] * 3
    assert await attempt(signin, PASSWORD, HOME, T + 4) == "locked"
    assert await attempt(signin, PASSWORD, OFFICE, T + 5) == "ok"
    assert await attempt(signin, PASSWORD, "x", T + 6) == "ok"
    assert await attempt(signin, PASSWORD, HOME, T + 4 + 60) == "ok"  # the lock has run out


async def test_an_address_locks_only_strangers_and_only_in_its_own_tenant(
        store: SqlStore, signin: SignInService, alice: User) -> None:
    users = UserService(store.users, Passwords())
    await users.create(CONTOSO, "carol@contoso.example", "Carol", PASSWORD)
    await users.create(FABRIKAM, "bob@fabrikam.example", "Bob", PASSWORD)
    await attempt(signin, PASSWORD, "p", T, name="bob@fabrikam.example", tenant=FABRIKAM)
    await attempt(signin, PASSWORD, "p", T)  # p becomes familiar to Alice
    sprayed = [await attempt(signin, WRONG, "p", T + i, name=f"n{i % 3}@contoso.example")
               for i in range(1, 7)]
    assert sprayed == ["wrong"] * 6
    assert await attempt(signin, PASSWORD, "p", T + 7, name="carol@contoso.example") == "locked"
    assert await attempt(signin, PASSWORD, "q", T + 8, name="carol@contoso.example") == "ok"
    assert await attempt(signin, PASSWORD, "p", T + 9, name="bob@fabrikam.example",
                         tenant=FABRIKAM) == "ok"  # the same address in another tenant
    assert await attempt(signin, PASSWORD, "p", T + 10) == "ok"  # p is familiar to Alice


async def test_a_user_name_is_counted_per_tenant(signin: SignInService, alice: User) -> None:
    """Alice's name typed on Fabrikam's page is an unknown user there: her lock is Contoso's."""
    for i in range(4):
        await attempt(signin, WRONG, "x", T + i, tenant=FABRIKAM)
    assert await attempt(signin, PASSWORD, "x", T + 5, tenant=FABRIKAM) == "locked"
    assert await attempt(signin, PASSWORD, "x", T + 6) == "ok"


async def test_an_address_stops_being_familiar(signin: SignInService, alice: User) -> None:
    later = T + POLICY.familiar_for + 1
    for i in range(3):
        await attempt(signin, WRONG, "x", later + i)
    assert await attempt(signin, PASSWORD, HOME, later + 4) == "locked"


async def test_unknown_names_and_strangers_look_alike(signin: SignInService,
                                                      alice: User) -> None:
    ghost = [await attempt(signin, WRONG, "x", T + i, name="ghost@contoso.example")
             for i in range(4)]
    real = [await attempt(signin, WRONG, "y", T + i) for i in range(4)]
    assert ghost == real == ["wrong", "wrong", "wrong", "locked"]


async def test_names_and_addresses_are_kept_only_as_keyed_hashes(
        store: SqlStore, signin: SignInService, alice: User) -> None:
    await attempt(signin, WRONG, "203.0.113.77", T + 1)
    async with store._db.engine.connect() as conn:
        rows = [tuple(r) for table in (sign_in_familiar, sign_in_throttle)
                for r in (await conn.execute(sa.select(table))).all()]
    assert len(rows) == 4  # home, office; the user and the address counters
    text = repr(rows)
    for clear in (HOME, OFFICE, "203.0.113.77", "alice@contoso.example", "alice"):
        assert clear not in text
