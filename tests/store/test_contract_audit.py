"""The store contract for the audit logs' queries (filters, keyset paging, retention), on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from credo.model import AuditEvent, AuditQuery, AuditRecord, AuditTarget
from credo.store.audit import BatchInsert, chunks, values
from credo.store.sql import SqlStore
from credo.store.tables import audit_events

from .samples import T0, guid

TENANT = guid()
APP, OTHER_APP = guid(), guid()


def sign_in(minutes: float, *, app: str = APP, code: int = 0) -> AuditEvent:
    return AuditEvent(
        time=T0 + timedelta(minutes=minutes), tenant_id=TENANT,
        kind="token.client_credentials", outcome="failure" if code else "success",
        client_id=app, code=code, detail=f"at {minutes}", correlation_id=guid(),
        app_name="Daemon", ip_address="192.0.2.7", credential_type="clientAssertion",
        credential_key_id=guid(), credential_thumbprint="AB" * 20, resource_id=guid(),
        resource_name="Mail API")


def change(minutes: float, category: str = "ApplicationManagement") -> AuditEvent:
    return AuditEvent(
        time=T0 + timedelta(minutes=minutes), tenant_id=TENANT, kind="management.post",
        outcome="success", client_id=APP, code=201, activity="Add application",
        category=category, targets=(AuditTarget("Application", guid(), "Mail API"),
                                    AuditTarget("ServicePrincipal")))


def events(found: list[AuditRecord]) -> list[AuditEvent]:
    return [r.event for r in found]


async def test_every_field_round_trips_and_each_log_holds_its_own(store: SqlStore) -> None:
    user = replace(sign_in(1), kind="signin.password", user_id=guid(),
                   user_principal_name="pat@contoso.example", credential_type="")
    written = [sign_in(0), user, change(2), replace(sign_in(3), tenant_id=guid())]
    await store.record(written)
    assert events(await store.events(AuditQuery(TENANT, "signIn"))) == [user, written[0]]
    assert events(await store.events(AuditQuery(TENANT, "directoryAudit"))) == [written[2]]
    assert await store.version() == 0


async def test_filters_combine(store: SqlStore) -> None:
    ok, failed, other, late = (sign_in(1), sign_in(2, code=7000215),
                               sign_in(3, app=OTHER_APP), sign_in(10))
    await store.record([ok, failed, other, late, change(4), change(5, "UserManagement")])

    def query(**kw: object) -> AuditQuery:
        return AuditQuery(TENANT, "signIn", **kw)  # type: ignore[arg-type]

    assert events(await store.events(query(app_id=APP))) == [late, failed, ok]
    assert events(await store.events(query(failed=True))) == [failed]
    assert events(await store.events(query(failed=False, app_id=APP))) == [late, ok]
    assert events(await store.events(query(code=7000215))) == [failed]
    assert events(await store.events(query(code=0, app_id=OTHER_APP))) == [other]
    window = query(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=3))
    assert events(await store.events(window)) == [other, failed]
    assert events(await store.events(query(app_id=guid()))) == []
    audits = await store.events(AuditQuery(TENANT, "directoryAudit", category="UserManagement"))
    assert [e.category for e in events(audits)] == ["UserManagement"]


@pytest.mark.parametrize("base", [T0, T0.replace(microsecond=0)], ids=["fraction", "second"])
async def test_pages_follow_each_other_without_gap_or_repeat(store: SqlStore,
                                                            base: datetime) -> None:
    """Also at a whole second, whose text must compare equal to the bound key's."""

    def at(minutes: int) -> AuditEvent:
        return replace(sign_in(minutes), time=base + timedelta(minutes=minutes))

    same_instant = [at(5) for _ in range(4)]  # ties broken by id
    written = [at(m) for m in range(5)] + same_instant + [at(6)]
    await store.record(written[:6])
    await store.record(written[6:])
    seen: list[AuditRecord] = []
    after = None
    for _ in range(len(written)):  # bounded: a key that compares wrongly can page forever
        found = await store.events(AuditQuery(TENANT, "signIn", after=after, limit=3))
        seen += found
        if len(found) < 3:
            break
        after = (found[-1].event.time, found[-1].id)
    assert len(seen) == len(written) == len({r.id for r in seen})
    assert [r.event.time for r in seen] == sorted((e.time for e in written), reverse=True)
    assert {r.event.correlation_id for r in seen} == {e.correlation_id for e in written}


async def test_purge_deletes_what_is_older_than_the_retention(store: SqlStore) -> None:
    await store.record([sign_in(0), sign_in(1), change(1), sign_in(2)])
    assert await store.purge_events(T0 + timedelta(minutes=1)) == 1
    assert await store.purge_events(T0 + timedelta(minutes=1)) == 0
    kept = await store.events(AuditQuery(TENANT, "signIn")) + await store.events(
        AuditQuery(TENANT, "directoryAudit"))
    assert sorted(r.event.time for r in kept) == [T0 + timedelta(minutes=m) for m in (1, 1, 2)]


async def test_a_large_batch_is_written_whole_and_in_order(store: SqlStore) -> None:
    """300 events: on SQLite four multi-row statements (256 + 32 + 8 + 4 rows), one
    executemany on PostgreSQL; the ids follow the batch's order."""
    written = [replace(sign_in(0), detail=f"#{n}") for n in range(300)]
    await store.record(written)
    found = await store.events(AuditQuery(TENANT, "signIn", limit=1000))
    assert events(found) == written[::-1]
    assert [r.id for r in found] == sorted((r.id for r in found), reverse=True)


def test_chunks_are_powers_of_two_that_add_up() -> None:
    assert list(chunks(500, 256)) == [256, 128, 64, 32, 16, 4]
    assert list(chunks(513, 256)) == [256, 256, 1]
    assert list(chunks(0, 256)) == []
    assert all(sum(chunks(n, 32)) == n and max(chunks(n, 32)) <= 32 for n in range(1, 600))


def test_sqlite_statements_carry_one_row_per_values_group() -> None:
    event = sign_in(0)
    sqlite_insert = BatchInsert(sqlite.dialect())
    made = list(sqlite_insert.statements([event] * 5))
    assert [text.count("(?,") for text, _ in made] == [4, 1]
    assert [len(parameters) for _, parameters in made] == [4 * 21, 21]
    postgres = list(BatchInsert(postgresql.dialect()).statements([event] * 5))
    assert len(postgres) == 1 and len(postgres[0][1]) == 5


def test_positional_rows_carry_what_the_named_rows_carry() -> None:
    """The positional fast path (SQLite, asyncpg) writes what ``values`` names, column by
    column; only the dialect's own processing of ``time`` applies on top."""
    insert = BatchInsert(sqlite.dialect())
    with_targets = change(1)
    for event in (sign_in(0), with_targets):
        [row] = insert.rows([event])
        expected = values(event)
        expected["time"] = event.time.replace(tzinfo=None).isoformat(" ", "microseconds")
        assert dict(zip(insert._order or (), row, strict=True)) == expected
    [row] = insert.rows([with_targets])
    order = insert._order or ()
    app_id = with_targets.targets[0].id
    assert json.loads(row[order.index("targets")]) == [["Application", app_id, "Mail API"],
                                                       ["ServicePrincipal", "", ""]]
    assert row[order.index("stream")] == "directoryAudit"


def test_sqlite_time_text_is_what_sa_insert_writes() -> None:
    """The batch's ``time`` text equals what ``sa.insert`` stores, for UTC times with and
    without microseconds and for another offset; a naive time is refused as the column type
    refuses it. (A whole second was once written without ``.000000``, and a page key at
    that second then matched its own rows as older: paging repeated them.)"""
    engine = sa.create_engine("sqlite://")
    audit_events.create(engine)
    insert = BatchInsert(engine.dialect)
    moments = [T0, T0.replace(microsecond=0), T0.astimezone(timezone(timedelta(hours=2)))]
    with engine.begin() as conn:
        for moment in moments:
            event = replace(sign_in(0), time=moment)
            conn.execute(sa.insert(audit_events), values(event))
            for sql, parameters in insert.statements([event]):
                conn.exec_driver_sql(sql, parameters)
        texts = conn.exec_driver_sql("SELECT time FROM audit_events ORDER BY id").scalars()
        assert list(texts) == [m.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                               for m in moments for _ in "ab"]
    with pytest.raises(ValueError, match="naive datetime"):
        insert.rows([replace(sign_in(0), time=T0.replace(tzinfo=None))])
