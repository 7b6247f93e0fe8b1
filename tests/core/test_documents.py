import asyncio
import datetime as dt
from decimal import Decimal

import asyncpg
import pytest

from erp.platform import catalog_service as svc
from erp.platform import period_lock
from erp.platform.db import create_pool, in_transaction
from erp.platform.errors import ValidationError
from erp.platform.lifecycle import RULES, State, TransitionRefused, guard
from erp.platform.period_lock import PeriodClosed
from erp.platform.posting import Engine
from erp.platform.shortfalls import BalanceShortage

MSK = dt.timezone(dt.timedelta(hours=3))


@pytest.fixture
async def shop(db, registry):
    return (await svc.create(db, registry, registry.catalogs["shops"], {"name": "Центр", "prefix": "Ц"}))["id"]


@pytest.fixture
async def thing(db, registry):
    return (await svc.create(db, registry, registry.catalogs["things"], {"name": "Стол"}))["id"]


def lines(thing, *qtys):
    return [{"thing_id": thing, "qty": str(q), "value": str(q * 10)} for q in qtys]


async def test_numbers_per_prefix_and_year_and_rollback_leaves_no_gap(db, registry, engine, shop, thing):
    arrivals = registry.documents["arrivals"]
    first = await engine.create(db, arrivals, {"date": "2021-12-22T10:00:00", "shop_id": shop,
                                               "lines": lines(thing, 1)})
    assert first.number == "Ц0000000001"
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await engine.create(db, arrivals, {"date": "2021-12-23T10:00:00", "shop_id": shop})
            raise RuntimeError("rolled back")
    second = await engine.create(db, arrivals, {"date": "2021-12-24T10:00:00", "shop_id": shop})
    next_year = await engine.create(db, arrivals, {"date": "2022-01-01T10:00:00", "shop_id": shop})
    assert (second.number, next_year.number) == ("Ц0000000002", "Ц0000000001")


async def test_concurrent_writers_get_distinct_consecutive_numbers(database_url, registry, settings, shop):
    engine = Engine(registry, settings)
    pool = await create_pool(database_url, max_size=16)
    try:
        async def one(_):
            return await in_transaction(pool, lambda conn: engine.create(
                conn, registry.documents["arrivals"], {"date": "2021-12-22T10:00:00", "shop_id": shop}))

        docs = await asyncio.gather(*(one(i) for i in range(16)))
    finally:
        await pool.close()
    assert sorted(d.number for d in docs) == [f"Ц{n:010d}" for n in range(1, 17)]


def test_transitions_are_declared_once():
    assert set(RULES) == {"write", "post", "unpost", "mark", "unmark"}
    day = dt.date(2021, 12, 22)
    with pytest.raises(TransitionRefused, match="непроведённый"):
        guard("mark", State(posted=True, deletion_mark=False), day, None)
    with pytest.raises(TransitionRefused, match="помечен"):
        guard("post", State(posted=False, deletion_mark=True), day, None)
    with pytest.raises(TransitionRefused, match="не проведён"):
        guard("unpost", State(posted=False, deletion_mark=False), day, None)
    with pytest.raises(PeriodClosed, match=r"31\.12\.2021"):
        guard("write", None, day, dt.date(2021, 12, 31))
    guard("post", State(False, False), day, dt.date(2021, 12, 21))


async def test_post_unpost_and_repost_replace_movements(db, registry, engine, shop, thing):
    arrivals = registry.documents["arrivals"]
    boxes = registry.registers["boxes"]
    doc = await engine.create(db, arrivals, {"shop_id": shop, "lines": lines(thing, 5, 2)}, post=True)
    assert (await boxes.balance(db))[0]["qty"] == Decimal("7.000")
    data = {"shop_id": shop, "lines": lines(thing, 3)}
    again = await engine.update(db, arrivals, doc.id, data)
    assert again.posted
    rows = await boxes.balance(db)
    assert rows[0]["qty"] == Decimal("3.000") and rows[0]["value"] == Decimal("30.00")
    assert await db.fetchval("SELECT count(*) FROM reg_boxes_movements WHERE recorder_id = $1", doc.id) == 1
    await engine.unpost(db, arrivals, doc.id)
    assert await boxes.balance(db) == []
    with pytest.raises(TransitionRefused):
        await engine.unpost(db, arrivals, doc.id)


async def test_shortage_rolls_everything_back_with_a_structured_error(db, registry, engine, shop, thing):
    await engine.create(db, registry.documents["arrivals"], {"shop_id": shop, "lines": lines(thing, 2)}, post=True)
    departures = registry.documents["departures"]
    with pytest.raises(BalanceShortage) as err:
        await engine.create(db, departures, {"shop_id": shop, "lines": lines(thing, 3)}, post=True)
    shortfall = err.value.details["shortfalls"][0]
    assert shortfall["dimensions"] == {"shop_id": shop, "thing_id": thing}
    assert (shortfall["available"], shortfall["required"]) == ("2.000", "3.000")
    assert await db.fetchval("SELECT count(*) FROM doc_departures") == 0
    assert (await registry.registers["boxes"].balance(db))[0]["qty"] == Decimal("2.000")


async def count_statements(db, action) -> list[str]:
    """The statements ``action`` sends, without transaction control (balance control is part of
    the write statement, so it is counted)."""
    statements: list[str] = []

    def log(record):
        statements.append(record.query.strip())

    db.add_query_logger(log)
    try:
        await action()
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each statement
    finally:
        db.remove_query_logger(log)
    return [s for s in statements if s.split()[0].rstrip(";") not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]


async def test_posting_costs_the_same_few_statements_for_5_and_200_lines(db, registry, engine, shop, thing):
    departures = registry.documents["departures"]
    await engine.create(db, registry.documents["arrivals"], {"shop_id": shop, "lines": lines(thing, 10_000)},
                        post=True)
    small = await engine.create(db, departures, {"shop_id": shop, "lines": lines(thing, *[1] * 5)})
    large = await engine.create(db, departures, {"shop_id": shop, "lines": lines(thing, *[1] * 200)})
    await engine.get(db, departures, small.id)  # asyncpg learns the row types once per connection
    five = await count_statements(db, lambda: engine.post(db, departures, small.id))
    two_hundred = await count_statements(db, lambda: engine.post(db, departures, large.id))
    assert len(five) == len(two_hundred) <= 8, two_hundred
    sold = await registry.registers["sold"].turnovers(db, dt.datetime(2000, 1, 1, tzinfo=MSK),
                                                       dt.datetime(2100, 1, 1, tzinfo=MSK))
    assert sold[0]["qty"] == 205


async def test_based_on_fills_and_subordination_goes_both_ways(db, registry, engine, shop, thing):
    arrival = await engine.create(db, registry.documents["arrivals"], {"shop_id": shop, "lines": lines(thing, 4)},
                                  post=True)
    filled = await engine.fill_based_on(db, registry.documents["departures"], "arrivals", arrival.id)
    assert filled["based_on"] == {"kind": "arrivals", "id": arrival.id}
    assert filled["lines"] == [{"thing_id": thing, "qty": Decimal("4.000")}]
    departure = await engine.create(db, registry.documents["departures"], filled, post=True)
    assert departure.based_on == ("arrivals", arrival.id)
    note = await engine.create(db, registry.documents["notes"], await engine.fill_based_on(
        db, registry.documents["notes"], "departures", departure.id))
    from erp.platform.subordination import structure

    down = await structure(db, registry, "arrivals", arrival.id)
    assert down["tree"]["children"][0]["id"] == departure.id
    assert down["tree"]["children"][0]["children"][0]["id"] == note.id
    up = await structure(db, registry, "notes", note.id)
    assert [a["kind"] for a in up["ancestors"]] == ["arrivals", "departures"]


async def test_period_lock_refuses_every_change_in_the_closed_period(db, registry, engine, shop, thing):
    arrivals = registry.documents["arrivals"]
    old = await engine.create(db, arrivals, {"date": "2021-12-10T10:00:00", "shop_id": shop,
                                             "lines": lines(thing, 1)}, post=True)
    fresh = await engine.create(db, arrivals, {"date": "2022-01-10T10:00:00", "shop_id": shop,
                                               "lines": lines(thing, 1)})
    await period_lock.set_lock(db, dt.date(2021, 12, 31))
    for action in (lambda: engine.unpost(db, arrivals, old.id),
                   lambda: engine.update(db, arrivals, old.id, {"shop_id": shop}),
                   lambda: engine.create(db, arrivals, {"date": "2021-12-31T23:00:00", "shop_id": shop}),
                   lambda: engine.update(db, arrivals, fresh.id, {"date": "2021-12-30T10:00:00", "shop_id": shop})):
        with pytest.raises(PeriodClosed, match=r"31\.12\.2021"):
            await action()
    await period_lock.set_lock(db, None)
    await period_lock.set_lock(db, dt.date(2022, 1, 31), organization_id=shop)
    with pytest.raises(PeriodClosed, match=r"31\.01\.2022"):
        await engine.set_deletion_mark(db, arrivals, fresh.id, True)
    assert (await engine.get(db, arrivals, fresh.id)).deletion_mark is False


async def test_bad_lines_write_nothing(db, registry, engine, shop, thing):
    arrivals = registry.documents["arrivals"]
    for bad, field in (({"thing_id": thing, "qty": "-1"}, "lines[0].qty"),
                       ({"thing_id": thing, "qty": "много"}, "lines[0].qty"),
                       ({"thing_id": 999, "qty": "1"}, "lines[0].thing_id"),
                       ({"thing_id": thing, "qty": "1", "colour": "red"}, "lines[0].colour")):
        with pytest.raises(ValidationError) as err:
            await engine.create(db, arrivals, {"shop_id": shop, "lines": [bad]}, post=True)
        assert field in err.value.details["fields"]
    assert await db.fetchval("SELECT count(*) FROM doc_arrivals") == 0
    assert await db.fetchval("SELECT count(*) FROM document_counters WHERE kind = 'arrivals'") == 0


async def test_sixteen_concurrent_postings_never_go_negative(database_url, registry, settings, shop, thing, db):
    engine = Engine(registry, settings)
    await engine.create(db, registry.documents["arrivals"], {"shop_id": shop, "lines": lines(thing, 10)}, post=True)
    pool = await create_pool(database_url, max_size=16)
    try:
        async def take(_):
            try:
                await in_transaction(pool, lambda conn: engine.create(
                    conn, registry.documents["departures"], {"shop_id": shop, "lines": lines(thing, 3)}, post=True))
                return True
            except BalanceShortage:
                return False

        results = await asyncio.gather(*(take(i) for i in range(16)))
    finally:
        await pool.close()
    assert results.count(True) == 3
    assert (await registry.registers["boxes"].balance(db))[0]["qty"] == Decimal("1.000")
    assert await db.fetchval("SELECT count(*) FROM doc_departures WHERE posted") == 3


async def test_unique_violation_is_not_swallowed(db):
    with pytest.raises(asyncpg.UndefinedTableError):
        await db.execute("SELECT * FROM no_such_table")


async def test_overlapping_keys_in_any_line_order_never_deadlock_for_the_user(database_url, registry, settings,
                                                                              shop, db):
    engine = Engine(registry, settings)
    things = registry.catalogs["things"]
    a = (await svc.create(db, registry, things, {"name": "А"}))["id"]
    b = (await svc.create(db, registry, things, {"name": "Б"}))["id"]
    await engine.create(db, registry.documents["arrivals"],
                        {"shop_id": shop, "lines": lines(a, 100) + lines(b, 100)}, post=True)
    pool = await create_pool(database_url, max_size=16)
    try:
        async def take(i):
            first, second = (a, b) if i % 2 else (b, a)
            body = {"shop_id": shop, "lines": lines(first, 1) + lines(second, 2)}
            return await in_transaction(pool, lambda conn: engine.create(
                conn, registry.documents["departures"], body, post=True))

        docs = await asyncio.gather(*(take(i) for i in range(16)))
    finally:
        await pool.close()
    assert len(docs) == 16
    balance = {row["thing_id"]: row["qty"] for row in await registry.registers["boxes"].balance(db)}
    assert balance == {a: Decimal("100") - 8 - 16, b: Decimal("100") - 8 - 16}
