"""Races as a user sees them through the HTTP API: hot goods with little stock, new renderings beside
re-posts and unposts of others on the same totals, and one slot wanted by 32 widgets at once. Every
answer is a 2xx or a clean 409 (never a 500, never a deadlock or a serialization error): the REST layer
retries those internally a bounded number of times. The requests really run at the same time
(:func:`tests.conftest.concurrent_client`).

Concurrent numbering (no duplicates, no gaps) is tests/core/test_documents.py::
test_concurrent_writers_get_distinct_consecutive_numbers; 32 postings of one slot through the
document API are tests/clinic/test_requests.py::test_32_concurrent_postings_of_one_slot_give_one_booking.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from decimal import Decimal

import pytest

from erp.app.application import create_app
from erp.configuration import registry
from erp.documents.request import TAKEN
from erp.platform.totals import check_totals
from erp.registers.sales import sales
from erp.registers.settlements import settlements
from erp.registers.stock import stock
from tests.amocrm.conftest import AUDIENCE, _item
from tests.conftest import concurrent_client

TASKS, PER_TASK = 16, 8  # 128 postings
GOODS, STOCK_EACH = 10, 5  # 50 units on hand, about 2.5 times as many asked for
SR = "/api/documents/service-renderings"
BOOK = "/api/amocrm/widget/appointments"


class Retries(logging.Handler):
    """Counts the "retrying after" lines of :func:`erp.platform.db.with_retry` (deadlocks and serialization
    failures retried before the user saw them). On the logger itself: the app's logging set-up replaces
    the root's handlers, pytest's capture among them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "retrying after" in record.getMessage()


@pytest.fixture
def retries():
    logger, counter = logging.getLogger("erp.platform.db"), Retries()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(level)


async def _goods_in_stock(db, engine, clinic, each: int = STOCK_EACH) -> list[int]:
    supplier = await _item(db, "clients", {"name": "ООО «МедСнаб»", "kind": "company"})
    goods = [await _item(db, "nomenclature", {"name": f"Товар {i}", "kind": "goods", "price": "10.00"})
             for i in range(GOODS)]
    await engine.create(db, registry().documents["goods-receipts"], {
        "date": "2021-12-01T09:00:00", "supplier_id": supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": g, "quantity": str(each), "price": "10.00"} for g in goods]}, post=True)
    return goods


async def test_16_tasks_on_10_hot_goods_take_exactly_what_stock_allows(db, engine, clinic, settings, database_url,
                                                                        admin, retries):
    goods = await _goods_in_stock(db, engine, clinic)
    client_id = await _item(db, "clients", {"name": "Иванов Иван Иванович", "kind": "person"})
    rng = random.Random(2021)
    # each rendering takes one of each of 2-4 hot goods, its lines in random order (locks in any order)
    wanted = [[rng.sample(goods, rng.randint(2, 4)) for _ in range(PER_TASK)] for _ in range(TASKS)]

    def body(items: list[int]) -> dict:
        return {"date": "2021-12-22T10:00:00", "organization_id": clinic.org, "client_id": client_id,
                "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse,
                "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "100.00"}]
                + [{"nomenclature_id": g, "quantity": "1", "price": "10.00"} for g in items]}

    async with concurrent_client(create_app(settings, database_url, pool_size=TASKS)) as http:
        async def task(docs: list[list[int]]) -> list[tuple[list[int], int, dict]]:
            out = []
            for items in docs:
                r = await http.post(SR, params={"post": "true"}, json=body(items), headers=admin)
                out.append((items, r.status_code, r.json()))
            return out

        results = [row for rows in await asyncio.gather(*(task(docs) for docs in wanted)) for row in rows]
        balance = {row["nomenclature_id"]: Decimal(row["quantity"]) for row in (await http.get(
            "/api/registers/stock/balance", headers=admin)).json()}

    statuses = Counter(status for _, status, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    refused = [(items, answer) for items, status, answer in results if status == 409]
    assert {answer["code"] for _, answer in refused} <= {"balance_shortage"}
    assert all(answer["message"].startswith("Недостаточно") for _, answer in refused)
    accepted = [items for items, status, _ in results if status == 201]
    taken = Counter(g for items in accepted for g in items)
    assert refused and accepted
    # the balance is the receipt less what the accepted renderings took, and never below zero
    assert balance == {g: Decimal(STOCK_EACH - taken[g]) for g in goods if STOCK_EACH - taken[g]}
    assert all(taken[g] <= STOCK_EACH for g in goods)
    # nothing the stock allowed was refused: stock only went down, so each refused rendering still lacks an item
    assert all(any(taken[g] == STOCK_EACH for g in items) for items, _ in refused)

    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings WHERE posted") == len(accepted)
    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings") == len(accepted), "refused: not saved"
    moves = {r["nomenclature_id"]: r["q"] for r in await db.fetch(
        "SELECT nomenclature_id, sum(record_type * quantity) AS q"
        f" FROM {stock.movements_table} GROUP BY 1")}
    assert moves == {g: Decimal(STOCK_EACH - taken[g]) for g in goods}
    assert await db.fetchval(f"SELECT count(*) FROM {stock.balance_table} WHERE quantity < 0") == 0
    assert await check_totals(db, stock) == []
    print(f"\n{len(results)} postings by {TASKS} tasks: {statuses[201]} accepted, {statuses[409]} short; "
          f"{retries.count} deadlock/serialization retries")


async def test_new_re_posted_and_unposted_renderings_at_once_never_fail_for_the_user(db, engine, clinic, settings,
                                                                                     database_url, admin, retries):
    """A new rendering and a re-post or unpost of another write the same totals rows (one client, one
    doctor, one service, three hot goods) in different statements: whatever they lock first, each user
    gets a 200 or 201."""
    goods = (await _goods_in_stock(db, engine, clinic, each=10_000))[:3]
    client_id = await _item(db, "clients", {"name": "Иванов Иван Иванович", "kind": "person"})

    def body(price: int) -> dict:
        return {"date": "2021-12-22T10:00:00", "organization_id": clinic.org, "client_id": client_id,
                "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse,
                "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": f"{price}.00"}]
                + [{"nomenclature_id": g, "quantity": "1", "price": "10.00"} for g in goods[price % 3:]]}

    async with concurrent_client(create_app(settings, database_url, pool_size=TASKS)) as http:
        async def call(method: str, url: str, **kw) -> tuple[str, int | None]:
            try:
                r = await asyncio.wait_for(http.request(method, url, headers=admin, **kw), 15)
            except TimeoutError:
                return "no answer in 15 s", None
            return str(r.status_code), r.json().get("id") if r.status_code == 201 else None

        async def task(n: int) -> list[str]:
            answers = []
            for i in range(2):
                status, doc_id = await call("POST", SR, params={"post": "true"}, json=body(100 + i))
                answers.append(status)
                if doc_id:
                    doc = f"{SR}/{doc_id}"
                    for method, url, kw in (("PUT", doc, {"json": body(200 + n)}), ("POST", f"{doc}/unpost", {}),
                                            ("POST", f"{doc}/post", {})):
                        answers.append((await call(method, url, **kw))[0])
            return answers

        answers = Counter(a for rows in await asyncio.gather(*(task(n) for n in range(TASKS))) for a in rows)
    assert answers == {"201": TASKS * 2, "200": TASKS * 6}, answers
    services = await db.fetchval("SELECT sum(l.amount) FROM doc_service_renderings_lines l JOIN doc_service_renderings"
                                 " d ON d.id = l.document_id WHERE d.posted AND l.nomenclature_id = $1", clinic.service)
    assert services == sum(Decimal(200 + n) for n in range(TASKS)) * 2
    for register in (sales, settlements, stock):
        assert await check_totals(db, register) == []
    print(f"\n{answers.total()} writes by {TASKS} tasks; {retries.count} deadlock/serialization retries")


async def test_32_widget_appointments_for_one_slot_give_one_booking(db, fake, connected, clinic, settings,
                                                                    database_url):
    leads = list(range(700_001, 700_033))
    for lead in leads:
        fake.add_lead(lead)
    before = await db.fetchval("SELECT count(*) FROM cat_clients")
    async with concurrent_client(create_app(settings, database_url, pool_size=32)) as http:
        responses = await asyncio.gather(*(
            http.post(BOOK, headers={"X-Auth-Token": fake.disposable_token(AUDIENCE)}, json={
                "lead_id": lead, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05",
                "client_name": f"Пациент {lead}"}) for lead in leads))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 31}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {(r.json()["code"], r.json()["message"]) for r in responses if r.status_code == 409} == {
        ("exclusion_conflict", TAKEN)}
    winner = leads[next(i for i, r in enumerate(responses) if r.status_code == 201)]
    booked = await db.fetch("SELECT amocrm_lead_id FROM doc_requests WHERE posted")
    assert [r["amocrm_lead_id"] for r in booked] == [winner]
    assert await db.fetchval("SELECT count(*) FROM doc_requests") == 1, "the 31 refused wrote no request"
    assert await db.fetchval("SELECT count(*) FROM cat_clients") == before + 1, "nor a client"
    events = await db.fetch("SELECT kind, lead_id FROM amocrm_events ORDER BY id")
    assert [(e["kind"], e["lead_id"]) for e in events] == [("fields", winner), ("note", winner)]
