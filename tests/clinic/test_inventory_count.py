"""Инвентаризация товаров (issue 16 point 3): «Заполнить» lists the warehouse's book quantities at the
count's own moment (a back-dated count sees its date's balance, not today's); posting writes off
the shortages at the moving-average cost and takes in the surpluses at the typed price or the last
known average; a shortage the warehouse no longer holds is a 409 naming every such item; bad input
is a 422 and writes nothing; a closed period refuses; unposting and re-posting move the stock back
and forth; the form fills and posts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pdfplumber
import pytest

from bench.posting import roles, statements_of
from erp.documents import inventory_count
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.platform.shortfalls import BalanceShortage
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import receipt, stock
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)

KIND = "/api/documents/inventory-counts"


def count(clinic, *lines: tuple, date: str = "2021-12-10T18:00:00") -> dict:
    """Lines are (item, counted) or (item, counted, surplus price)."""
    return {"date": date, "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
            "responsible": "Кладовщик Петрова О.Н.",
            "lines": [{"nomenclature_id": n, "quantity": q, **({"price": rest[0]} if rest else {})}
                      for n, q, *rest in lines]}


async def filled(api, clinic, at: str | None = None, **params) -> list[tuple]:
    lines = (await api.get(f"{KIND}/fill", warehouse_id=clinic.warehouse, **({"at": at} if at else {}),
                           **params))["lines"]
    return [(ln["nomenclature_id"], ln["book_quantity"], ln["book_cost"], ln["quantity"]) for ln in lines]


async def moved(api, doc_id: int) -> list[tuple[int, str, str]]:
    moves = await api.get(f"{KIND}/{doc_id}/movements")
    return [(m["record_type"], m["quantity"], m["cost"]) for m in moves.get("stock", [])]


async def test_fill_lists_the_book_quantities_at_the_counts_own_moment(api, clinic):
    bandage = await api.item("nomenclature", {"name": "Бинт", "kind": "goods", "price": "30"})
    await receipt(api, clinic, (clinic.goods, "10", "11.00"), (bandage["id"], "4", "30.00"))
    await receipt(api, clinic, (clinic.goods, "5", "14.00"), date="2021-12-15T09:00:00")
    # today: 15 syringes for 180.00, 4 bandages; by name: «Бинт» before «Шприц 5 мл»
    assert await filled(api, clinic) == [(bandage["id"], "4.000", "120.00", "4.000"),
                                         (clinic.goods, "15.000", "180.00", "15.000")]
    # a count back-dated to 10 December sees that day's 10 syringes, not today's 15
    assert await filled(api, clinic, at="2021-12-10T18:00:00") == [
        (bandage["id"], "4.000", "120.00", "4.000"), (clinic.goods, "10.000", "110.00", "10.000")]
    # before anything arrived there is nothing to count
    assert await filled(api, clinic, at="2021-11-30T18:00:00") == []

    # posting the back-dated count: 8 found of 10 on the books; 2 written off at today's average 12.00
    doc = await api.create("inventory-counts", count(clinic, (clinic.goods, "8"), (bandage["id"], "4")), post=True)
    assert [(ln["book_quantity"], ln["quantity"], ln["difference"], ln["cost"]) for ln in doc["lines"]] == [
        ("10.000", "8.000", "-2.000", "-24.00"), ("4.000", "4.000", "0.000", "0.00")]
    assert await stock(api, clinic, clinic.goods) == ("13.000", "156.00")
    assert await moved(api, doc["id"]) == [(-1, "2.000", "24.00")]
    # a stored count's own movements do not count when it is filled again
    assert (await filled(api, clinic, at="2021-12-10T18:00:00", document_id=doc["id"]))[1:] == [
        (clinic.goods, "10.000", "110.00", "10.000")]
    assert (await filled(api, clinic, at="2021-12-10T18:00:00"))[1:] == [(clinic.goods, "8.000", "86.00", "8.000")]


async def test_surpluses_come_in_at_the_typed_price_or_the_last_known_average(api, db, clinic):
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    mask = await api.item("nomenclature", {"name": "Маска", "kind": "goods", "price": "5"})
    await receipt(api, clinic, (clinic.goods, "4", "12.50"), (gloves["id"], "2", "7.00"))
    # the gloves are all written off: the balance is empty, but their last known average is 7.00
    await api.create("stock-write-offs", {"date": "2021-12-05T10:00:00", "organization_id": clinic.org,
                                          "warehouse_id": clinic.warehouse, "reason": "Бой",
                                          "lines": [{"nomenclature_id": gloves["id"], "quantity": "2"}]}, post=True)
    before = await counts(db)
    # a mask never seen at this warehouse has no known cost: its price must be typed
    unpriced = await api.create("inventory-counts", count(clinic, (clinic.goods, "5"), (mask["id"], "3")),
                                status=422, post=True)
    assert unpriced["details"]["fields"] == {
        "lines[1].price": "у «Маска» нет известной себестоимости на этом складе: укажите цену излишка"}
    assert await counts(db) == before

    doc = await api.create("inventory-counts", count(clinic, (clinic.goods, "5"), (gloves["id"], "3"),
                                                     (mask["id"], "10", "4.50")), post=True)
    assert [(ln["book_quantity"], ln["difference"], ln["cost"]) for ln in doc["lines"]] == [
        ("4.000", "1.000", "12.50"), ("0.000", "3.000", "21.00"), ("0.000", "10.000", "45.00")]
    assert await stock(api, clinic, clinic.goods) == ("5.000", "62.50")
    assert await stock(api, clinic, gloves["id"]) == ("3.000", "21.00")
    assert await stock(api, clinic, mask["id"]) == ("10.000", "45.00")


async def test_a_shortage_the_warehouse_no_longer_holds_is_a_409_naming_every_item(api, db, clinic):
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    await receipt(api, clinic, (clinic.goods, "5", "10.00"), (gloves["id"], "3", "6.00"))
    # after the count's date, the goods were used up
    await api.create("stock-write-offs", {"date": "2021-12-20T10:00:00", "organization_id": clinic.org,
                                          "warehouse_id": clinic.warehouse, "reason": "Расход",
                                          "lines": [{"nomenclature_id": clinic.goods, "quantity": "4"},
                                                    {"nomenclature_id": gloves["id"], "quantity": "3"}]}, post=True)
    before = await counts(db)
    short = await api.create("inventory-counts", count(clinic, (clinic.goods, "2"), (gloves["id"], "1")),
                             status=409, post=True)  # on 10 December: 5 and 3 on the books
    assert short["code"] == "balance_shortage"
    assert [(s["dimensions"]["nomenclature_id"], s["available"], s["required"])
            for s in short["details"]["shortfalls"]] == [(clinic.goods, "1.000", "3.000"),
                                                         (gloves["id"], "0.000", "2.000")]
    assert "Перчатки" in short["message"] and "Шприц 5 мл" in short["message"]
    assert await counts(db) == before


async def test_bad_input_is_a_422_and_writes_nothing(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    before = await counts(db)
    negative = await api.create("inventory-counts", count(clinic, (clinic.goods, "-1")), status=422, post=True)
    assert negative["details"]["fields"] == {"lines[0].quantity": "фактическое количество не может быть отрицательным"}
    twice = await api.create("inventory-counts", count(clinic, (clinic.goods, "1"), (clinic.goods, "2")),
                             status=422, post=True)
    assert twice["details"]["fields"] == {"lines[1].nomenclature_id": "«Шприц 5 мл» уже есть в строке 1"}
    service = await api.create("inventory-counts", count(clinic, (clinic.service, "1")), status=422)
    assert service["details"]["fields"] == {
        "lines[0].nomenclature_id": "«Приём терапевта» — услуга, пересчитать можно только товар"}
    price = await api.create("inventory-counts", count(clinic, (clinic.goods, "7", "0")), status=422)
    assert price["details"]["fields"] == {"lines[0].price": "цена излишка должна быть больше нуля"}
    empty = await api.create("inventory-counts", count(clinic), status=422, post=True)
    assert empty["code"] == "empty_count"
    nowhere = await api.get(f"{KIND}/fill", expect=422)
    assert nowhere["details"]["fields"] == {"warehouse_id": "обязательное поле не заполнено"}
    bad_at = await api.get(f"{KIND}/fill", warehouse_id=clinic.warehouse, at="вчера", expect=422)
    assert "at" in bad_at["details"]["fields"]
    assert await counts(db) == before


async def test_unposting_and_re_posting_and_a_closed_period(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await api.create("inventory-counts", count(clinic, (clinic.goods, "7")), post=True)
    assert await stock(api, clinic, clinic.goods) == ("7.000", "70.00")
    await api.post(f"{KIND}/{doc['id']}/unpost")
    assert await stock(api, clinic, clinic.goods) == ("10.000", "100.00")
    assert await moved(api, doc["id"]) == []
    await api.post(f"{KIND}/{doc['id']}/post")
    assert await stock(api, clinic, clinic.goods) == ("7.000", "70.00")
    # re-posted with another count: its own shortage is not counted as the book quantity
    edited = await api.put(f"{KIND}/{doc['id']}", count(clinic, (clinic.goods, "12", "9.00")))
    assert [(ln["book_quantity"], ln["difference"], ln["cost"]) for ln in edited["lines"]] == [
        ("10.000", "2.000", "18.00")]
    assert await stock(api, clinic, clinic.goods) == ("12.000", "118.00")
    await api.call("PUT", "/api/period-lock", json={"date": "2021-12-31", "organization_id": clinic.org})
    before = await counts(db)
    unpost = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert unpost["code"] == "period_closed"
    closed = await api.create("inventory-counts", count(clinic, (clinic.goods, "1")), status=409, post=True)
    assert closed["code"] == "period_closed"
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("12.000", "118.00")


async def test_the_form_fills_and_posts(browser, login_as, api, clinic, db):  # noqa: F811
    await receipt(api, clinic, (clinic.goods, "4", "12.50"))
    index = (await browser.get("/documents")).text
    assert "Инвентаризация товаров" in index and 'href="/documents/inventory-counts"' in index
    fields = {"date": "2030-01-10T09:00", "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
              "responsible": "", "comment": ""}
    page = (await browser.post("/documents/inventory-counts/new", {**fields, "action": "fill"}, status=200)).text
    assert "Табличная часть заполнена: строк 1" in page
    assert 'name="lines-0-nomenclature_id" value="' + str(clinic.goods) in page.replace("'", '"') or \
        f'value="{clinic.goods}"' in page
    assert 'name="lines-0-quantity"' in page and 'value="4"' in page
    assert await db.fetchval("SELECT count(*) FROM doc_inventory_counts") == 0  # filling writes nothing
    nowhere = await browser.post("/documents/inventory-counts/new", {**fields, "warehouse_id": "",
                                                                     "action": "fill"}, status=422)
    assert "обязательное поле не заполнено" in nowhere.text

    r = await browser.post("/documents/inventory-counts/new", {
        **fields, "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": "3", "action": "post"})
    location = r.headers["location"]
    page = (await browser.get(location)).text
    assert "Документ проведён" in page and "-12,50" in page
    assert await stock(api, clinic, clinic.goods) == ("3.000", "37.50")
    doc_id = int(location.split("/")[-1].split("?")[0])
    assert "Инвентаризационная опись" in page  # the «Печать ▾» menu offers it
    html = (await browser.get(f"/print/inventory-counts/{doc_id}/inv3?format=html")).text
    for text in ("ИНВЕНТАРИЗАЦИОННАЯ ОПИСЬ", "ИНВ-3", "0317004", "Основной склад", "Шприц 5 мл",
                 "Фактическое наличие", "По данным бухгалтерского учета", "количество порядковых номеров 1"):
        assert text in html, text
    # the line: price 12,50; counted 3 for 37,50; on the books 4 for 50,00
    row = html[html.index("Шприц 5 мл"):]
    row = row[:row.index("</tr>")]
    assert [c for c in ("12,50", "3", "37,50", "4", "50,00") if c in row] == ["12,50", "3", "37,50", "4", "50,00"]
    pdf = await browser.get(f"/print/inventory-counts/{doc_id}/inv3")
    assert pdf.headers["content-type"].startswith("application/pdf") and pdf.content[:5] == b"%PDF-"
    text = "".join(p.extract_text() or "" for p in pdfplumber.open(io.BytesIO(pdf.content)).pages)
    assert "ИНВЕНТАРИЗАЦИОННАЯ ОПИСЬ" in text and "Шприц 5 мл" in text


# -- the posting rule on plain data --------------------------------------------------------------

GOODS, OTHER, WAREHOUSE = 11, 13, 4


def _doc(*lines: tuple) -> Doc:
    return Doc("inventory-counts", 7, "К0000000007", dt.datetime(2021, 12, 10, 18, tzinfo=dt.UTC), True, False,
               {"organization_id": 1, "warehouse_id": WAREHOUSE},
               tuple({"nomenclature_id": n, "quantity": D(q), "price": D(rest[0]) if rest else None}
                     for n, q, *rest in lines))


def _inputs(book: str, now: tuple[str, str], last: tuple[str, str] | None = None) -> Inputs:
    key = (WAREHOUSE, GOODS)
    return Inputs({"warehouse": {"name": "Основной склад"},
                   "items": {GOODS: {"kind": "goods", "name": "Бинт"}, OTHER: {"kind": "goods", "name": "Маска"}},
                   "book": {key: {"quantity": D(book), "cost": D("0")}},
                   "stock": {key: {"quantity": D(now[0]), "cost": D(now[1])}},
                   "last": {key: {"quantity": D(last[0]), "cost": D(last[1])}} if last else {}})


def test_the_rule_writes_off_shortages_at_the_current_average_and_takes_in_surpluses():
    moves = inventory_count.movements(_doc((GOODS, "7")), _inputs("10", ("3", "10.00")))[stock_register]
    assert [(m.record_type, stock_register.as_dict(m)["quantity"], stock_register.as_dict(m)["cost"])
            for m in moves] == [(-1, D("3"), D("10.00"))]  # the last three units take the last kopecks
    moves = inventory_count.movements(_doc((GOODS, "12"), (OTHER, "2", "1.25")),
                                      _inputs("10", ("10", "33.00"), ("3", "10.00")))[stock_register]
    assert [(m.record_type, stock_register.as_dict(m)["quantity"], stock_register.as_dict(m)["cost"])
            for m in moves] == [(1, D("2"), D("6.67")), (1, D("2"), D("2.50"))]


def test_the_rule_refuses_a_shortage_larger_than_the_current_balance():
    with pytest.raises(BalanceShortage) as short:
        inventory_count.movements(_doc((GOODS, "2")), _inputs("10", ("5", "50.00")))
    assert [(s.available, s.required) for s in short.value.shortfalls] == [(D("5.000"), D("8"))]


async def test_a_200_line_count_posts_in_as_many_statements_as_a_1_line_one(api, app, db, clinic):
    """Issue 16 point 11: the count's reads (book balances at its date, current balances, last known
    averages for 200 keys) are one read query; the movements one write statement."""
    items = [(await api.item("nomenclature", {"name": f"Расходник {i:03d}", "kind": "goods", "price": "1"}))["id"]
             for i in range(200)]
    await receipt(api, clinic, *((item, "5", "10.00") for item in items))
    engine, kind = app.state.engine, app.state.registry.documents["inventory-counts"]

    def body(n: int) -> dict:
        return count(clinic, *((item, str(i % 9)) for i, item in zip(range(n), items, strict=False)))

    async def statements(n: int) -> tuple[list[str], list[str]]:
        draft = await engine.create(db, kind, body(n))
        posted = await statements_of(db, lambda: engine.post(db, kind, draft.id))
        fresh = await statements_of(db, lambda: engine.create(db, kind, body(n), post=True))
        await engine.unpost(db, kind, draft.id)
        return roles(posted), roles(fresh)

    await statements(1)  # the connection prepares its statements first
    one, two_hundred = await statements(1), await statements(200)
    assert two_hundred == one
    assert two_hundred[1] == ["read", "write"]  # «Провести и закрыть» of a new count: one read, one write
