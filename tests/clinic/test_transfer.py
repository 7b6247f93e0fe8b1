"""Перемещение товаров (issue 16 point 2): goods leave the sending warehouse at its moving-average
cost and arrive at the receiving one with that same cost; a shortage at the source is a 409 naming
every short item, and nothing is written; the same warehouse twice, a service or a zero quantity is
a 422; unposting brings the goods back (unless the receiving warehouse has used them), editing
re-posts, a closed period refuses, and the UI offers the kind from its declaration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from erp.documents import stock_transfer
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.platform.shortfalls import BalanceShortage
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import Clinic, counts, make_clinic
from tests.clinic.test_service_rendering import receipt, stock
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)

KIND = "/api/documents/stock-transfers"


@pytest.fixture
async def clinic(api) -> Clinic:
    """The clinic with a second warehouse, «Процедурный кабинет», to move goods to."""
    return await make_clinic(api, cabinet=True)


def transfer(clinic, *lines: tuple[int, str], date: str = "2021-12-10T12:00:00", back: bool = False) -> dict:
    source, target = (clinic.cabinet, clinic.warehouse) if back else (clinic.warehouse, clinic.cabinet)
    return {"date": date, "organization_id": clinic.org, "warehouse_id": source, "warehouse_to_id": target,
            "lines": [{"nomenclature_id": n, "quantity": q} for n, q in lines]}


async def cabinet(api, clinic, item: int) -> tuple[str, str]:
    rows = await api.balance("stock", warehouse_id=clinic.cabinet, nomenclature_id=item)
    return (rows[0]["quantity"], rows[0]["cost"]) if rows else ("0", "0")


async def moved(api, doc_id: int) -> list[tuple[int, int, str, str]]:
    """«Движения документа»: (record type, warehouse, quantity, cost), as the movements view lists them."""
    moves = await api.get(f"{KIND}/{doc_id}/movements")
    return sorted((m["record_type"], m["warehouse_id"], m["quantity"], m["cost"]) for m in moves.get("stock", []))


async def test_the_goods_and_their_cost_move_to_the_other_warehouse(api, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "11.00"), (clinic.goods, "10", "14.00"))  # 20 for 250.00
    doc = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "4"), (clinic.goods, "3")), post=True)
    assert doc["posted"] is True and doc["number"].startswith("К")
    assert [(ln["quantity"], ln["cost"]) for ln in doc["lines"]] == [("4.000", "50.00"), ("3.000", "37.50")]
    assert await stock(api, clinic, clinic.goods) == ("13.000", "162.50")
    assert await cabinet(api, clinic, clinic.goods) == ("7.000", "87.50")  # the same cost arrived
    assert await moved(api, doc["id"]) == [
        (-1, clinic.warehouse, "3.000", "37.50"), (-1, clinic.warehouse, "4.000", "50.00"),
        (1, clinic.cabinet, "3.000", "37.50"), (1, clinic.cabinet, "4.000", "50.00")]

    # what arrived leaves the cabinet at the cost it came with; the last unit takes the last kopeck
    back = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "7"), back=True), post=True)
    assert back["lines"][0]["cost"] == "87.50"
    assert await cabinet(api, clinic, clinic.goods) == ("0", "0")
    assert await stock(api, clinic, clinic.goods) == ("20.000", "250.00")


async def test_a_shortage_at_the_source_is_a_409_naming_every_short_item(api, db, clinic):
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    await api.create("stock-transfers", transfer(clinic, (clinic.goods, "1")), post=True)  # the cabinet has 1
    before = await counts(db)
    short = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "2"), (clinic.goods, "2"),
                                                         (gloves["id"], "1")), status=409, post=True)
    assert short["code"] == "balance_shortage"
    assert [(s["dimensions"]["warehouse_id"], s["dimensions"]["nomenclature_id"], s["available"], s["required"])
            for s in short["details"]["shortfalls"]] == [(clinic.warehouse, clinic.goods, "2.000", "4.000"),
                                                         (clinic.warehouse, gloves["id"], "0.000", "1.000")]
    assert short["message"] == (
        "Недостаточно остатка: Товары на складах (Склад «Основной склад», Номенклатура «Шприц 5 мл»), Количество:"
        " доступно 2.000, требуется 4.000; Товары на складах (Склад «Основной склад», Номенклатура «Перчатки»),"
        " Количество: доступно 0.000, требуется 1.000")
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("2.000", "20.00")
    assert await cabinet(api, clinic, clinic.goods) == ("1.000", "10.00")

    # a draft may ask for more; posting it is refused the same way and leaves it a draft
    draft = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "5")))
    refused = await api.post(f"{KIND}/{draft['id']}/post", status=409)
    assert [(s["available"], s["required"]) for s in refused["details"]["shortfalls"]] == [("2.000", "5.000")]
    assert (await api.get(f"{KIND}/{draft['id']}"))["posted"] is False


async def test_the_same_warehouse_a_service_and_bad_quantities_are_422_and_write_nothing(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    before = await counts(db)
    same = await api.create("stock-transfers", {**transfer(clinic, (clinic.goods, "1")),
                                                "warehouse_to_id": clinic.warehouse}, status=422, post=True)
    assert same["details"]["fields"] == {
        "warehouse_to_id": "склад-получатель совпадает со складом-отправителем: выберите другой склад"}
    for post in (True, False):
        bad = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "1"), (clinic.service, "1")),
                               status=422, post=post)
        assert bad["details"]["fields"] == {
            "lines[1].nomenclature_id": "«Приём терапевта» — услуга, переместить можно только товар"}
    for quantity in ("0", "-1"):
        zero = await api.create("stock-transfers", transfer(clinic, (clinic.goods, quantity)), status=422)
        assert zero["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    nowhere = await api.create("stock-transfers", {**transfer(clinic, (clinic.goods, "1")), "warehouse_to_id": None},
                               status=422)
    assert nowhere["details"]["fields"] == {"warehouse_to_id": "обязательное поле не заполнено"}
    empty = await api.create("stock-transfers", transfer(clinic), status=422, post=True)
    assert empty["code"] == "empty_transfer"
    assert await counts(db) == before


async def test_unposting_brings_the_goods_back_unless_the_receiver_used_them(api, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "2")), post=True)
    await api.post(f"{KIND}/{doc['id']}/unpost")
    assert await stock(api, clinic, clinic.goods) == ("5.000", "50.00")
    assert await cabinet(api, clinic, clinic.goods) == ("0", "0")
    assert await moved(api, doc["id"]) == []
    await api.post(f"{KIND}/{doc['id']}/post")
    assert await cabinet(api, clinic, clinic.goods) == ("2.000", "20.00")

    # the cabinet writes one off: unposting the transfer would leave it at -1, so it is refused
    await api.create("stock-write-offs", {"date": "2021-12-11T10:00:00", "organization_id": clinic.org,
                                          "warehouse_id": clinic.cabinet, "reason": "Бой",
                                          "lines": [{"nomenclature_id": clinic.goods, "quantity": "1"}]}, post=True)
    refused = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert refused["code"] == "balance_shortage"
    assert "Процедурный кабинет" in refused["message"]
    assert (await api.get(f"{KIND}/{doc['id']}"))["posted"] is True
    assert await cabinet(api, clinic, clinic.goods) == ("1.000", "10.00")


async def test_editing_a_posted_transfer_re_posts_it(api, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "2")), post=True)
    edited = await api.put(f"{KIND}/{doc['id']}", transfer(clinic, (clinic.goods, "5")))
    # its own earlier expense is not counted against it
    assert (edited["posted"], [ln["cost"] for ln in edited["lines"]]) == (True, ["50.00"])
    assert await stock(api, clinic, clinic.goods) == ("0", "0")
    assert await cabinet(api, clinic, clinic.goods) == ("5.000", "50.00")
    refused = await api.put(f"{KIND}/{doc['id']}", transfer(clinic, (clinic.goods, "6")), status=409)
    assert [(s["available"], s["required"]) for s in refused["details"]["shortfalls"]] == [("5.000", "6.000")]
    assert await cabinet(api, clinic, clinic.goods) == ("5.000", "50.00")


async def test_a_closed_period_refuses_posting_and_unposting(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "2")), post=True)
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31", "organization_id": clinic.org})
    before = await counts(db)
    closed = await api.create("stock-transfers", transfer(clinic, (clinic.goods, "1")), status=409, post=True)
    assert closed["code"] == "period_closed" and "31.12.2021" in closed["message"]
    unpost = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert unpost["code"] == "period_closed"
    assert await counts(db) == before
    assert await cabinet(api, clinic, clinic.goods) == ("2.000", "20.00")


async def test_the_ui_offers_the_kind_from_its_declaration(browser, login_as, api, clinic, db):  # noqa: F811
    await receipt(api, clinic, (clinic.goods, "4", "12.50"))
    index = (await browser.get("/documents")).text
    assert "Перемещение товаров" in index and 'href="/documents/stock-transfers"' in index
    form = (await browser.get("/documents/stock-transfers/new")).text
    for label in ("Склад-отправитель", "Склад-получатель", "Номенклатура", "Количество", "Себестоимость"):
        assert label in form
    assert 'name="lines-0-cost"' not in form
    fields = {"date": "2030-01-10T09:00", "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
              "warehouse_to_id": clinic.cabinet, "comment": "", "lines-0-nomenclature_id": clinic.goods,
              "lines-0-quantity": "3"}
    r = await browser.post("/documents/stock-transfers/new", {**fields, "action": "post"})
    page = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in page and "37,50" in page
    assert await cabinet(api, clinic, clinic.goods) == ("3.000", "37.50")
    short = await browser.post("/documents/stock-transfers/new", {**fields, "action": "post"}, status=409)
    assert "Основной склад, Шприц 5 мл: доступно 1, требуется 3" in short.text
    same = await browser.post("/documents/stock-transfers/new",
                              {**fields, "warehouse_to_id": clinic.warehouse, "action": "post"}, status=422)
    assert "склад-получатель совпадает со складом-отправителем" in same.text
    assert await db.fetchval("SELECT count(*) FROM doc_stock_transfers") == 1
    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    assert "Goods transfer" in (await browser.get("/documents")).text
    manager = await login_as("manager")
    await manager.get("/documents/stock-transfers/new", status=403)


# -- the posting rule on plain data --------------------------------------------------------------

GOODS, SERVICE, SOURCE, TARGET = 11, 12, 4, 5


def _doc(*lines: tuple[int, str]) -> Doc:
    return Doc("stock-transfers", 7, "К0000000007", dt.datetime(2021, 12, 10, 12, tzinfo=dt.UTC), True, False,
               {"organization_id": 1, "warehouse_id": SOURCE, "warehouse_to_id": TARGET},
               tuple({"nomenclature_id": n, "quantity": D(q)} for n, q in lines))


def _inputs(quantity: str, cost: str) -> Inputs:
    return Inputs({"warehouse": {"name": "Основной склад"},
                   "items": {GOODS: {"kind": "goods", "name": "Бинт"}, SERVICE: {"kind": "service", "name": "Приём"}},
                   "stock": {(SOURCE, GOODS): {"quantity": D(quantity), "cost": D(cost)}}})


def test_the_rule_moves_each_line_out_and_in_at_the_same_cost():
    moves = [stock_register.as_dict(m) | {"type": m.record_type}
             for m in stock_transfer.movements(_doc((GOODS, "1"), (GOODS, "2")), _inputs("3", "10.00"))[stock_register]]
    assert [(m["type"], m["warehouse_id"], m["quantity"], m["cost"]) for m in moves] == [
        (-1, SOURCE, D("1"), D("3.33")), (-1, SOURCE, D("2"), D("6.67")),
        (1, TARGET, D("1"), D("3.33")), (1, TARGET, D("2"), D("6.67"))]


def test_the_rule_refuses_a_shortage_and_flags_the_same_warehouse_and_services():
    with pytest.raises(BalanceShortage) as short:
        stock_transfer.movements(_doc((GOODS, "2"), (GOODS, "2")), _inputs("3", "10.00"))
    assert [(s.dimensions["warehouse_id"], s.available, s.required)
            for s in short.value.shortfalls] == [(SOURCE, D("3.000"), D("4"))]
    doc = _doc((GOODS, "1"), (SERVICE, "1"))
    same = Doc(doc.kind, doc.id, doc.number, doc.date, True, False, {**doc.header, "warehouse_to_id": SOURCE},
               doc.lines)
    errors = stock_transfer.rules(None, same, _inputs("3", "10.00"))
    assert [e.details["fields"] for e in errors] == [
        {"warehouse_to_id": "склад-получатель совпадает со складом-отправителем: выберите другой склад"},
        {"lines[1].nomenclature_id": "«Приём» — услуга, переместить можно только товар"}]
