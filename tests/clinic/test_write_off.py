"""Списание товаров (issue 16 point 1, issue 21 point 12): goods leave the warehouse at the
moving-average cost, a shortage is refused with every short item listed and nothing written, a
service cannot be written off, unposting gives the goods back, editing re-posts, the audit log
sees it all, and the UI offers the kind from its declaration alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from erp.documents import stock_write_off
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.platform.shortfalls import BalanceShortage
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import receipt, stock
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)

KIND = "/api/documents/stock-write-offs"


def write_off(clinic, *lines: tuple[int, str], date: str = "2021-12-10T12:00:00",
              reason: str = "Истёк срок годности") -> dict:
    return {"date": date, "organization_id": clinic.org, "warehouse_id": clinic.warehouse, "reason": reason,
            "lines": [{"nomenclature_id": n, "quantity": q} for n, q in lines]}


async def moved(api, doc_id: int) -> list[tuple[str, str]]:
    """The document's stock movements as «Движения документа» lists them: quantity and cost."""
    moves = await api.get(f"{KIND}/{doc_id}/movements")
    return [(m["quantity"], m["cost"]) for m in moves.get("stock", [])]


async def test_a_write_off_takes_goods_out_at_the_average_cost_and_shows_its_movements(api, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "11.00"))
    await receipt(api, clinic, (clinic.goods, "10", "14.00"), date="2021-12-02T09:00:00")
    assert await stock(api, clinic, clinic.goods) == ("20.000", "250.00")

    doc = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "4"), (clinic.goods, "3")), post=True)
    assert doc["posted"] is True and doc["number"].startswith("К")  # the organization's prefix
    assert doc["reason"] == "Истёк срок годности"
    # 12.50 a unit: each line shows the cost it took
    assert [(ln["quantity"], ln["cost"]) for ln in doc["lines"]] == [("4.000", "50.00"), ("3.000", "37.50")]
    assert await stock(api, clinic, clinic.goods) == ("13.000", "162.50")
    assert await moved(api, doc["id"]) == [("4.000", "50.00"), ("3.000", "37.50")]

    # the last units take the last kopecks: nothing is left behind without quantity
    rest = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "13")), post=True)
    assert rest["lines"][0]["cost"] == "162.50"
    assert await stock(api, clinic, clinic.goods) == ("0", "0")


async def test_an_uneven_average_is_shared_out_to_the_kopeck(api, clinic):
    await receipt(api, clinic, (clinic.goods, "1", "3.00"), (clinic.goods, "2", "3.50"))  # 3 for 10.00
    assert await stock(api, clinic, clinic.goods) == ("3.000", "10.00")
    costs = []
    for _ in range(3):
        doc = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "1")), post=True)
        costs.append(doc["lines"][0]["cost"])
    assert costs == ["3.33", "3.34", "3.33"]
    assert await stock(api, clinic, clinic.goods) == ("0", "0")


async def test_a_shortage_is_a_409_naming_every_short_item_and_nothing_is_written(api, db, clinic):
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    before = await counts(db)
    short = await api.create("stock-write-offs", write_off(
        clinic, (clinic.goods, "2"), (clinic.goods, "2"), (gloves["id"], "1")), status=409, post=True)
    assert short["code"] == "balance_shortage"
    assert [(s["dimensions"]["nomenclature_id"], s["available"], s["required"])
            for s in short["details"]["shortfalls"]] == [(clinic.goods, "3.000", "4.000"),
                                                         (gloves["id"], "0.000", "1.000")]
    assert short["message"] == (
        "Недостаточно остатка: Товары на складах (Склад «Основной склад», Номенклатура «Шприц 5 мл»), Количество:"
        " доступно 3.000, требуется 4.000; Товары на складах (Склад «Основной склад», Номенклатура «Перчатки»),"
        " Количество: доступно 0.000, требуется 1.000")
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("3.000", "30.00")

    # a draft may ask for more than there is; posting it is refused the same way and leaves it a draft
    draft = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "5")))
    assert draft["posted"] is False
    refused = await api.post(f"{KIND}/{draft['id']}/post", status=409)
    assert [(s["available"], s["required"]) for s in refused["details"]["shortfalls"]] == [("3.000", "5.000")]
    assert (await api.get(f"{KIND}/{draft['id']}"))["posted"] is False
    assert await stock(api, clinic, clinic.goods) == ("3.000", "30.00")


async def test_a_service_cannot_be_written_off_and_bad_input_is_a_422(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    before = await counts(db)
    for post in (True, False):  # the rule holds for a draft too
        bad = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "1"), (clinic.service, "1")),
                               status=422, post=post)
        assert bad["details"]["fields"] == {
            "lines[1].nomenclature_id": "«Приём терапевта» — услуга, списать можно только товар"}
    zero = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "0")), status=422)
    assert zero["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    nowhere = await api.create("stock-write-offs", {**write_off(clinic, (clinic.goods, "1")), "warehouse_id": None},
                               status=422)
    assert nowhere["details"]["fields"] == {"warehouse_id": "обязательное поле не заполнено"}
    empty = await api.create("stock-write-offs", write_off(clinic), status=422, post=True)
    assert empty["code"] == "empty_write_off"
    assert await counts(db) == before


async def test_unposting_gives_the_goods_back_and_posting_again_takes_them(api, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "2")), post=True)
    assert await stock(api, clinic, clinic.goods) == ("3.000", "30.00")
    unposted = await api.post(f"{KIND}/{doc['id']}/unpost")
    assert unposted["posted"] is False
    assert await stock(api, clinic, clinic.goods) == ("5.000", "50.00")
    assert await moved(api, doc["id"]) == []
    await api.post(f"{KIND}/{doc['id']}/post")
    assert await stock(api, clinic, clinic.goods) == ("3.000", "30.00")
    assert await moved(api, doc["id"]) == [("2.000", "20.00")]


async def test_editing_a_posted_write_off_re_posts_it(api, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "2")), post=True)
    edited = await api.put(f"{KIND}/{doc['id']}", write_off(clinic, (clinic.goods, "4"), reason="Бой"))
    assert (edited["posted"], edited["number"], edited["reason"]) == (True, doc["number"], "Бой")
    # its own earlier expense is not counted against it: 5 for 50.00, 4 of them for 40.00
    assert [(ln["quantity"], ln["cost"]) for ln in edited["lines"]] == [("4.000", "40.00")]
    assert await stock(api, clinic, clinic.goods) == ("1.000", "10.00")
    assert await moved(api, doc["id"]) == [("4.000", "40.00")]
    # an edit asking for more than there is is refused and leaves the posted write-off as it was
    refused = await api.put(f"{KIND}/{doc['id']}", write_off(clinic, (clinic.goods, "6")), status=409)
    assert [(s["available"], s["required"]) for s in refused["details"]["shortfalls"]] == [("5.000", "6.000")]
    assert await moved(api, doc["id"]) == [("4.000", "40.00")]
    assert await stock(api, clinic, clinic.goods) == ("1.000", "10.00")


async def test_the_audit_log_has_every_step(api, clinic):
    await receipt(api, clinic, (clinic.goods, "5", "10.00"))
    doc = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "2")), post=True)
    await api.put(f"{KIND}/{doc['id']}", write_off(clinic, (clinic.goods, "3")))
    await api.post(f"{KIND}/{doc['id']}/unpost")
    await api.post(f"{KIND}/{doc['id']}/mark-deletion")
    rows = (await api.get("/api/audit-log", limit=50, object_kind="document:stock-write-offs",
                          object_id=doc["id"]))["items"]
    assert [r["action"] for r in rows] == ["mark", "unpost", "post", "post"]  # newest first
    created, changed = rows[3], rows[2]
    assert created["changes"]["number"] == [None, doc["number"]]
    assert created["changes"]["lines"][1] == [{"nomenclature_id": clinic.goods, "quantity": "2.000", "cost": "20.00"}]
    assert [ln["cost"] for ln in changed["changes"]["lines"][1]] == ["30.00"]
    assert rows[1]["changes"] == {"posted": [True, False]}
    assert all(r["username"] == "admin-user" and r["presentation"] == doc["number"] for r in rows)


async def test_the_ui_offers_the_kind_from_its_declaration(browser, login_as, api, clinic, db):  # noqa: F811
    await receipt(api, clinic, (clinic.goods, "4", "12.50"))
    index = (await browser.get("/documents")).text
    assert "Списание товаров" in index and 'href="/documents/stock-write-offs"' in index
    form = (await browser.get("/documents/stock-write-offs/new")).text
    for label in ("Организация", "Склад", "Причина списания", "Номенклатура", "Количество", "Себестоимость",
                  "Провести и закрыть"):
        assert label in form
    assert 'name="lines-0-cost"' not in form  # the cost is computed, never typed

    fields = {"date": "2030-01-10T09:00", "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
              "reason": "Бой", "comment": "", "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": "3"}
    r = await browser.post("/documents/stock-write-offs/new", {**fields, "action": "post"})
    page = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in page and 'data-state="posted"' in page and "37,50" in page
    assert await stock(api, clinic, clinic.goods) == ("1.000", "12.50")

    short = await browser.post("/documents/stock-write-offs/new", {**fields, "action": "post"}, status=409)
    assert "Документ не проведён: недостаточно остатков" in short.text
    assert "Основной склад, Шприц 5 мл: доступно 1, требуется 3" in short.text
    assert await db.fetchval("SELECT count(*) FROM doc_stock_write_offs") == 1

    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    assert "Goods write-off" in (await browser.get("/documents")).text

    manager = await login_as("manager")
    assert "Списание товаров" in (await manager.get("/documents/stock-write-offs")).text  # reads the list
    await manager.get("/documents/stock-write-offs/new", status=403)  # but does not write


# -- the posting rule on plain data --------------------------------------------------------------

GOODS, SERVICE, WAREHOUSE = 11, 12, 4


def _doc(*lines: tuple[int, str]) -> Doc:
    return Doc("stock-write-offs", 7, "К0000000007", dt.datetime(2021, 12, 10, 12, tzinfo=dt.UTC), True, False,
               {"organization_id": 1, "warehouse_id": WAREHOUSE},
               tuple({"nomenclature_id": n, "quantity": D(q)} for n, q in lines))


def _inputs(quantity: str, cost: str) -> Inputs:
    return Inputs({"warehouse": {"name": "Основной склад"},
                   "items": {GOODS: {"kind": "goods", "name": "Бинт"}, SERVICE: {"kind": "service", "name": "Приём"}},
                   "stock": {(WAREHOUSE, GOODS): {"quantity": D(quantity), "cost": D(cost)}}})


def test_the_rule_takes_each_line_from_what_the_lines_before_left():
    moves = stock_write_off.movements(_doc((GOODS, "1"), (GOODS, "1"), (GOODS, "1")), _inputs("3", "10.00"))
    taken = [stock_register.as_dict(m) for m in moves[stock_register]]
    assert [(m["quantity"], m["cost"]) for m in taken] == [(D("1"), D("3.33")), (D("1"), D("3.34")),
                                                           (D("1"), D("3.33"))]
    assert all(m.record_type == -1 for m in moves[stock_register])  # expenses


def test_the_rule_refuses_a_shortage_and_flags_service_lines():
    with pytest.raises(BalanceShortage) as short:
        stock_write_off.movements(_doc((GOODS, "2"), (GOODS, "2")), _inputs("3", "10.00"))
    assert [(s.available, s.required) for s in short.value.shortfalls] == [(D("3.000"), D("4"))]
    errors = stock_write_off.rules(None, _doc((GOODS, "1"), (SERVICE, "1")), _inputs("3", "10.00"))
    assert [e.details["fields"] for e in errors] == [
        {"lines[1].nomenclature_id": "«Приём» — услуга, списать можно только товар"}]


async def test_posting_a_saved_draft_shows_the_cost_it_took_at_posting(api, clinic):
    """«Провести» of a draft saved earlier fills it again: the line's cost is the one the movement has."""
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    draft = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "5")))
    assert draft["posted"] is False
    await receipt(api, clinic, (clinic.goods, "10", "20.00"), date="2021-12-02T09:00:00")  # average 15.00 now
    await api.post(f"{KIND}/{draft['id']}/post")
    posted = await api.get(f"{KIND}/{draft['id']}")
    assert posted["posted"] is True
    assert [(ln["quantity"], ln["cost"]) for ln in posted["lines"]] == [("5.000", "75.00")]
    assert await moved(api, draft["id"]) == [("5.000", "75.00")]
