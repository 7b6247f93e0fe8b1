"""Заказ поставщику (issue 16 point 7): an order expects goods; a «Поступление товаров» made on it
is prefilled with what is still to come and keeps the link; the order shows, per line, what arrived
and what is still to come, and its state «Ожидается / Частично получен / Получен», right through
unposting and re-posting of the receipts. Bad input is a Russian 4xx that writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from erp.documents import goods_receipt, supplier_order
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from tests.clinic.conftest import counts
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)
from tests.ui.test_reports import sheet_rows

KIND = "/api/documents/supplier-orders"


def order(clinic, *lines: tuple[int, str, str], date: str = "2021-12-01T09:00:00", **header) -> dict:
    return {"date": date, "organization_id": clinic.org, "supplier_id": clinic.supplier,
            "warehouse_id": clinic.warehouse, **header,
            "lines": [{"nomenclature_id": n, "quantity": q, "price": p} for n, q, p in lines]}


async def receive(api, order_id: int, status: int = 201, **changes) -> dict:
    """«Создать на основании» → «Поступление товаров», as filled, with ``changes`` to its lines' quantities."""
    filled = await api.get(f"{KIND}/{order_id}/based/goods-receipts")
    for i, quantity in changes.get("quantities", {}).items():
        filled["lines"][i]["quantity"] = quantity
    return await api.create("goods-receipts", {**filled, "date": "2021-12-05T10:00:00"}, status=status, post=True)


def execution(doc: dict) -> list[tuple[str, str, str]]:
    return [(ln["quantity"], ln["received"], ln["remaining"]) for ln in doc["lines"]]


async def test_a_receipt_on_the_order_takes_what_is_still_to_come_and_the_order_shows_it(api, clinic):
    gloves = (await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"}))["id"]
    doc = await api.create("supplier-orders", order(clinic, (clinic.goods, "10", "20.00"), (gloves, "4", "12.50")),
                           post=True)
    assert doc["number"].startswith("К") and doc["amount_total"] == "250.00" and doc["quantity_total"] == "14.000"
    assert doc["receipt_status"] == "expected" and doc["quantity_remaining"] == "14.000"
    assert execution(doc) == [("10.000", "0.000", "10.000"), ("4.000", "0.000", "4.000")]

    filled = await api.get(f"{KIND}/{doc['id']}/based/goods-receipts")
    assert (filled["supplier_id"], filled["warehouse_id"], filled["supplier_order_id"]) == (
        clinic.supplier, clinic.warehouse, doc["id"])
    assert [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in filled["lines"]] == [
        (clinic.goods, "10.000", "20.00"), (gloves, "4.000", "12.50")]

    first = await receive(api, doc["id"], quantities={0: "6"})
    assert first["supplier_order_id"] == doc["id"] and first["based_on"] == {"kind": "supplier-orders", "id": doc["id"]}
    now = await api.get(f"{KIND}/{doc['id']}")
    assert now["receipt_status"] == "partially_received"
    assert execution(now) == [("10.000", "6.000", "4.000"), ("4.000", "4.000", "0.000")]
    rows = await api.balance("stock", warehouse_id=clinic.warehouse, nomenclature_id=clinic.goods)
    assert (rows[0]["quantity"], rows[0]["cost"]) == ("6.000", "120.00")

    # the second receipt on the order is filled with only what is still to come
    again = await api.get(f"{KIND}/{doc['id']}/based/goods-receipts")
    assert [(ln["nomenclature_id"], ln["quantity"]) for ln in again["lines"]] == [(clinic.goods, "4.000")]
    second = await receive(api, doc["id"])
    assert (await api.get(f"{KIND}/{doc['id']}"))["receipt_status"] == "received"
    error = await api.get(f"{KIND}/{doc['id']}/based/goods-receipts", expect=409)
    assert error["code"] == "supplier_order_nothing_to_receive" and "всё уже получено" in error["message"]

    # unposting a receipt gives its quantity back to the order; posting it again takes it
    await api.post(f"/api/documents/goods-receipts/{second['id']}/unpost")
    now = await api.get(f"{KIND}/{doc['id']}")
    assert now["receipt_status"] == "partially_received" and execution(now)[0] == ("10.000", "6.000", "4.000")
    await api.post(f"/api/documents/goods-receipts/{second['id']}/post")
    assert (await api.get(f"{KIND}/{doc['id']}"))["receipt_status"] == "received"

    # the list shows the state too, and the movements view the register's records
    page = await api.get(KIND)
    assert [(r["id"], r["receipt_status"]) for r in page["items"]] == [(doc["id"], "received")]
    moves = await api.get(f"{KIND}/{doc['id']}/movements")
    assert sorted((m["record_type"], m["nomenclature_id"], m["quantity"]) for m in moves["orders-to-suppliers"]) == [
        (1, clinic.goods, "10.000"), (1, gloves, "4.000")]
    received = await api.get(f"/api/documents/goods-receipts/{first['id']}/movements")
    assert sorted((m["record_type"], m["quantity"]) for m in received["orders-to-suppliers"]) == [
        (-1, "4.000"), (-1, "6.000")]


async def test_a_receipt_beyond_the_order_or_from_another_supplier_is_refused_and_writes_nothing(api, db, clinic):
    doc = await api.create("supplier-orders", order(clinic, (clinic.goods, "5", "20.00")), post=True)
    other = await api.item("clients", {"name": "ООО «Другой»", "kind": "company"})
    filled = await api.get(f"{KIND}/{doc['id']}/based/goods-receipts")
    before = await counts(db)
    filled["lines"][0]["quantity"] = "7"
    error = await api.create("goods-receipts", filled, status=422, post=True)
    assert error["code"] == "supplier_order_exceeded"
    assert error["details"]["fields"] == {
        "lines[0].quantity": "«Шприц 5 мл»: по заказу осталось получить 5, в поступлении 7"}
    filled["lines"][0]["quantity"] = "1"
    error = await api.create("goods-receipts", {**filled, "supplier_id": other["id"]}, status=422, post=True)
    assert error["details"]["fields"] == {"supplier_order_id": "заказ сделан другому поставщику"}
    assert await counts(db) == before


async def test_an_order_with_receipts_cannot_be_unposted_or_cut_below_what_arrived(api, db, clinic):
    doc = await api.create("supplier-orders", order(clinic, (clinic.goods, "5", "20.00")), post=True)
    await receive(api, doc["id"], quantities={0: "3"})
    before = await counts(db)
    error = await api.post(f"{KIND}/{doc['id']}/unpost", status=409)
    assert error["code"] == "supplier_order_received" and "отмените проведение поступлений" in error["message"]
    error = await api.put(f"{KIND}/{doc['id']}", order(clinic, (clinic.goods, "2", "20.00")), status=422)
    assert error["code"] == "supplier_order_below_received"
    assert error["details"]["fields"] == {"lines[0].quantity": "«Шприц 5 мл»: по заказу уже получено 3,"
                                                               " заказать меньше нельзя"}
    error = await api.post(f"{KIND}/{doc['id']}/mark-deletion", status=409)  # a posted one is unposted first
    assert error["code"] == "transition_refused"
    assert await counts(db) == before
    # down to what arrived is allowed: the order is then received in full
    cut = await api.put(f"{KIND}/{doc['id']}", order(clinic, (clinic.goods, "3", "20.00")))
    assert cut["receipt_status"] == "received"


async def test_bad_input_is_a_russian_422_and_writes_nothing(api, db, clinic):
    before = await counts(db)
    error = await api.create("supplier-orders", order(clinic, (clinic.goods, "0", "20.00")), status=422)
    assert error["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    error = await api.create("supplier-orders", order(clinic, (clinic.goods, "-2", "20.00")), status=422)
    assert error["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    error = await api.create("supplier-orders", order(clinic, (999999, "2", "20.00")), status=422)
    assert list(error["details"]["fields"]) == ["lines[0].nomenclature_id"]
    error = await api.create("supplier-orders", order(clinic, (clinic.service, "1", "10.00")), status=422)
    assert error["details"]["fields"] == {"lines[0].nomenclature_id": "«Приём терапевта» — услуга, заказать можно"
                                                                      " только товар"}
    error = await api.create("supplier-orders", order(clinic), status=422, post=True)
    assert error["code"] == "empty_supplier_order"
    assert await counts(db) == before
    draft = await api.create("supplier-orders", order(clinic, (clinic.goods, "2", "20.00")))
    filled = await api.get(f"{KIND}/{draft['id']}/based/goods-receipts")  # a draft gives its lines as ordered
    assert [(ln["quantity"], ln["price"]) for ln in filled["lines"]] == [("2.000", "20.00")]
    error = await api.create("goods-receipts", {**filled, "date": "2021-12-05T10:00:00"}, status=409, post=True)
    assert error["code"] == "supplier_order_not_posted" and "не проведён" in error["message"]


async def test_the_form_shows_the_state_what_arrived_and_offers_the_receipt(browser, login_as, api, clinic):  # noqa: F811
    index = (await browser.get("/documents")).text
    assert "Заказ поставщику" in index and 'href="/documents/supplier-orders"' in index
    fields = {"date": "2021-12-01T09:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
              "warehouse_id": clinic.warehouse, "comment": "", "lines-0-nomenclature_id": clinic.goods,
              "lines-0-quantity": "10", "lines-0-price": "20"}
    r = await browser.post("/documents/supplier-orders/new", {**fields, "action": "post"})
    doc_id = int(r.headers["location"].split("/")[3].split("?")[0])
    page = (await browser.get(r.headers["location"])).text
    assert "Состояние: Ожидается" in page and "Исполнение" in page
    assert f"/documents/goods-receipts/new?based_on_kind=supplier-orders&amp;based_on_id={doc_id}" in page
    new = (await browser.get(f"/documents/goods-receipts/new?based_on_kind=supplier-orders&based_on_id={doc_id}")).text
    assert 'name="lines-0-quantity" value="10"' in new.replace(",000", "").replace(".000", "")
    await receive(api, doc_id, quantities={0: "4"})
    page = (await browser.get(f"/documents/supplier-orders/{doc_id}")).text
    assert "Состояние: Частично получен" in page
    assert '<td class="num" data-col="received">4</td>' in page
    assert '<td class="num" data-col="remaining">6</td>' in page
    rows = sheet_rows((await browser.get("/documents/supplier-orders/export.xlsx")).content)
    assert "Частично получен" in rows[1] and "Состояние" in rows[0]
    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    assert "Supplier order" in (await browser.get("/documents")).text
    assert "Partially received" in (await browser.get(f"/documents/supplier-orders/{doc_id}")).text
    manager = await login_as("manager")
    assert "Заказ поставщику" in (await manager.get("/documents/supplier-orders")).text  # reads the list
    await manager.get("/documents/supplier-orders/new", status=403)  # but does not write


# -- the rules on plain data -----------------------------------------------------------------------

MOMENT = dt.datetime(2021, 12, 1, 9, tzinfo=dt.UTC)


def _doc(kind: str, header: dict, *lines: tuple[int, str], doc_id: int | None = 5, posted: bool = True) -> Doc:
    return Doc(kind, doc_id, "К00-000001", MOMENT, posted, False, header,
               tuple({"nomenclature_id": n, "quantity": D(q), "price": D("1.00")} for n, q in lines))


def test_the_order_posts_what_it_expects_and_a_receipt_takes_it_out():
    doc = _doc("supplier-orders", {"warehouse_id": 1}, (7, "3"), (9, "2"))
    moves = supplier_order.movements(doc, Inputs({}))
    [records] = moves.values()
    assert [(r.record_type, r.values["order_id"], r.values["nomenclature_id"], r.values["quantity"])
            for r in records] == [(1, 5, 7, D("3")), (1, 5, 9, D("2"))]
    receipt = _doc("goods-receipts", {"organization_id": 1, "supplier_id": 3, "warehouse_id": 1,
                                      "supplier_order_id": 5}, (7, "1"), doc_id=8)
    receipt = Doc(receipt.kind, receipt.id, receipt.number, receipt.date, True, False, receipt.header,
                  ({"nomenclature_id": 7, "quantity": D("1"), "amount": D("1.00")},))
    out = {r.name: v for r, v in goods_receipt.movements(receipt, Inputs({})).items()}
    assert [(m.record_type, m.values["order_id"], m.values["quantity"]) for m in out["orders-to-suppliers"]] == [
        (-1, 5, D("1"))]
    plain = Doc(receipt.kind, receipt.id, receipt.number, receipt.date, True, False,
                {"organization_id": 1, "supplier_id": 3, "warehouse_id": 1}, receipt.lines)
    assert "orders-to-suppliers" not in [r.name for r in goods_receipt.movements(plain, Inputs({}))]  # no order


def test_what_arrived_fills_an_items_lines_in_order_and_gives_the_state():
    lines = [{"nomenclature_id": 7, "quantity": D("3")}, {"nomenclature_id": 9, "quantity": D("2")},
             {"nomenclature_id": 7, "quantity": D("4")}]
    # 7 of item 7 ordered, 2 still to come: 5 arrived, the first line in full and 2 of the third
    assert supplier_order.split_received(lines, {7: D("2"), 9: D("2")}) == [
        {"received": D("3"), "remaining": D("0")}, {"received": D("0"), "remaining": D("2")},
        {"received": D("2"), "remaining": D("2")}]
    assert supplier_order.status_of(D("9"), D("9")) == "expected"
    assert supplier_order.status_of(D("9"), D("4")) == "partially_received"
    assert supplier_order.status_of(D("9"), D("0")) == "received"


def test_the_receipt_rule_counts_every_line_of_an_item_against_what_the_order_expects():
    new = _doc("goods-receipts", {"organization_id": 1, "supplier_id": 3, "supplier_order_id": 5}, (7, "2"), (7, "2"),
               doc_id=None)
    inputs = Inputs({"order": {"supplier_id": 3, "posted": True, "number": "К00-000001"},
                     "items": {7: {"name": "Бинт"}}, "expected": {(5, 7): {"quantity": D("3")}}})
    [error] = goods_receipt.rules(None, new, inputs)
    assert error.code == "supplier_order_exceeded"
    assert error.details["fields"] == {"lines[1].quantity": "«Бинт»: по заказу осталось получить 3, в поступлении 4"}
