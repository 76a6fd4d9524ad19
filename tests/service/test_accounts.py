"""Users, password sign-in with lockout over time, and the revoke hook (service layer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from credo.errors import (
    InvalidGrant,
    InvalidInput,
    ObjectConflict,
    ObjectNotFound,
    TemporarilyUnavailable,
)
from credo.model import Tenant, TenantId
from credo.service.audit import AuditBuffer
from credo.service.passwords import Passwords
from credo.service.signin import SignInService, ThrottlePolicy
from credo.service.users import UserService, directory_role
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store

TENANT = Tenant(TenantId("9b6a4c34-5f3c-4a43-a3c8-9e1b8f4d2a10"), ("contoso.example",),
                "Contoso")
PASSWORD = "correct horse battery staple"
T = 1_800_000_000.0


def key_source(label: str) -> bytes:
    return label.encode().ljust(32, b"k")[:32]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}"
    upgrade(url)
    opened = await open_store(url, Sealer(Sealer.generate_key()))
    await opened.add_tenant(TENANT)
    yield opened
    await opened.close()


def services(store: SqlStore, passwords: Passwords | None = None
             ) -> tuple[UserService, SignInService, AuditBuffer]:
    users = store.users
    passwords = passwords or Passwords()
    audit = AuditBuffer(store)
    policy = ThrottlePolicy(user_threshold=3, address_threshold=100, base_lockout=60,
                            max_lockout=240)
    signin = SignInService(users, users, users, passwords, audit, key_source=key_source,
                           policy=policy)
    return UserService(users, passwords), signin, audit


async def test_users_validate_before_writing(store: SqlStore) -> None:
    users, _, _ = services(store)
    alice = await users.create(TENANT, "Alice@Contoso.example", " Alice ", PASSWORD,
                               roles=("Global Administrator",))
    assert (alice.user_principal_name, alice.display_name) == ("alice@contoso.example", "Alice")
    assert await users.get(TENANT, "ALICE@contoso.example") == alice
    assert await users.get(TENANT, alice.id) == alice
    for upn, name, password in [("bob@other.example", "Bob", PASSWORD),
                                ("bob@contoso.example", "", PASSWORD),
                                ("bo b@contoso.example", "Bob", PASSWORD),
                                ("bob@contoso.example", "Bob", "short"),
                                ("bob@contoso.example", "Bob", "bob@contoso.example")]:
        with pytest.raises(InvalidInput):
            await users.create(TENANT, upn, name, password)
    with pytest.raises(ObjectConflict):
        await users.create(TENANT, "alice@contoso.example", "Alice 2", PASSWORD)
    assert [u.user_principal_name for u in await users.all(TENANT)] == ["alice@contoso.example"]
    assert PASSWORD not in repr(alice)


async def test_directory_roles(store: SqlStore) -> None:
    users, _, _ = services(store)
    bob = await users.create(TENANT, "bob@contoso.example", "Bob", PASSWORD)
    role = directory_role("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3")
    assert role == directory_role("application administrator") == "Application Administrator"
    bob = await users.assign_role(bob, role)
    assert await users.assign_role(bob, role) == bob
    assert [u.id for u in await users.role_members(TENANT, role)] == [bob.id]
    bob = await users.remove_role(bob, role)
    assert bob.directory_roles == () and await users.role_members(TENANT, role) == []
    with pytest.raises(ObjectNotFound):
        await users.remove_role(bob, role)
    with pytest.raises(ObjectNotFound):
        directory_role("Helpdesk Administrator")


async def test_lockout_doubles_and_expires(store: SqlStore) -> None:
    users, signin, audit = services(store)
    await users.create(TENANT, "carol@contoso.example", "Carol", PASSWORD)

    async def attempt(password: str, now: float, address: str = "10.0.0.1") -> None:
        await signin.sign_in(TENANT, "carol@contoso.example", password, address=address,
                             now=now)

    for i in range(3):
        with pytest.raises(InvalidGrant):
            await attempt("wrong password", T + i)
    with pytest.raises(TemporarilyUnavailable) as locked:
        await attempt(PASSWORD, T + 3, address="10.9.9.9")
    assert locked.value.http_status == 429 and locked.value.retry_after == 59
    with pytest.raises(InvalidGrant):  # the lock is over; this failure doubles it
        await attempt("wrong password", T + 62)
    with pytest.raises(TemporarilyUnavailable) as locked:
        await attempt(PASSWORD, T + 62 + 100)
    assert locked.value.retry_after == 20
    await attempt(PASSWORD, T + 62 + 121)
    await attempt(PASSWORD, T + 62 + 122)  # a success clears the user's counter
    kinds = [(e.outcome, e.code) for e in list(audit._events)]
    assert kinds[:4] == [("failure", 50126)] * 3 + [("failure", 50053)]
    assert kinds[-1] == ("success", 0)
    assert all(PASSWORD not in e.detail for e in audit._events)


def test_policy_remaining() -> None:
    policy = ThrottlePolicy(user_threshold=2, base_lockout=10, max_lockout=35, reset_after=100)
    assert policy.remaining(1, T, 2, T) == 0
    assert policy.remaining(2, T, 2, T + 4) == 6
    assert policy.remaining(3, T, 2, T) == 20
    assert policy.remaining(9, T, 2, T) == 35
    assert policy.remaining(9, T, 2, T + 100) == 0


async def test_an_old_hash_is_upgraded_at_sign_in(store: SqlStore) -> None:
    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users, _, _ = services(store, weak)
    dave = await users.create(TENANT, "dave@contoso.example", "Dave", PASSWORD)
    _, signin, _ = services(store)
    await signin.sign_in(TENANT, "dave@contoso.example", PASSWORD, address="a", now=T)
    stored = await store.users.password_hash(dave.id)
    assert stored is not None and "m=19456,t=2,p=1" in stored


async def test_access_is_revoked_when_credentials_change(store: SqlStore) -> None:
    revoked: list[str] = []

    async def revoke(user_id: str) -> None:
        revoked.append(user_id)

    users = UserService(store.users, Passwords(), revoke_access=revoke)
    erin = await users.create(TENANT, "erin@contoso.example", "Erin", PASSWORD)
    await users.update(TENANT, erin, display_name="Erin E.")
    assert revoked == []
    erin = await users.set_password(erin, "another long password")
    erin = await users.update(TENANT, erin, account_enabled=False)
    await users.delete(erin)
    assert revoked == [erin.id] * 3
