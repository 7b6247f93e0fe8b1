"""Возврат от клиента (issue 16 point 5): based on a posted ServiceRendering, the chosen lines and
quantities come back (never more than sold less the earlier returns, on every path); goods return to
stock at the cost they left with; the sales register and the client's debt are reversed; a service
brings no materials back; the rendering is neither unposted nor cut below its returns."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from decimal import Decimal as D

from erp.app.application import create_app
from erp.documents import client_return
from erp.migrations.erp_2026_12_06t18_10_00_000000 import statements
from erp.platform.document import Doc
from erp.platform.posting.inputs import Inputs
from erp.registers.returnable_sales import returnable_sales
from erp.registers.sales import sales as sales_register
from erp.registers.stock import stock as stock_register
from tests.clinic.conftest import counts
from tests.clinic.test_service_materials import with_materials
from tests.clinic.test_service_rendering import debt, receipt, rendering, stock
from tests.conftest import concurrent_client
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)
from tests.ui.test_reports import sheet_rows

KIND = "/api/documents/client-returns"
RENDERINGS = "/api/documents/service-renderings"


def line(item: int, quantity: str = "1", price: str = "1500") -> dict:
    return {"nomenclature_id": item, "quantity": quantity, "price": price}


async def sold(api, clinic) -> dict[int, tuple[str, str, str]]:
    """The sales register's turnovers for December by item: quantity, amount, cost."""
    rows = await api.turnovers("sales", start="2021-12-01", end="2021-12-31")
    return {r["nomenclature_id"]: (r["quantity"], r["amount"], r["cost"]) for r in rows}


async def filled(api, rendering_id: int, status: int = 200) -> dict:
    return await api.get(f"{RENDERINGS}/{rendering_id}/based/client-returns", expect=status)


def returned(base: dict, *lines: tuple[int, str], date: str = "2021-12-23T10:00:00") -> dict:
    return {**base, "date": date, "lines": [{"nomenclature_id": n, "quantity": q} for n, q in lines]}


async def sale(api, clinic, *lines: dict, date: str = "2021-12-22T12:00:00") -> dict:
    return await api.create("service-renderings", rendering(clinic, *lines, date=date), post=True)


async def test_goods_come_back_at_the_cost_they_left_with_and_sales_and_debt_are_reversed(api, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.service), line(clinic.goods, "4", "25"))
    assert await debt(api, clinic) == "1600.00"
    # the average moves on after the sale: 6 left at 10.00, 10 more at 20.00
    await receipt(api, clinic, (clinic.goods, "10", "20.00"), date="2021-12-22T15:00:00")
    assert await stock(api, clinic, clinic.goods) == ("16.000", "260.00")

    base = await filled(api, doc["id"])
    assert base["based_on"] == {"kind": "service-renderings", "id": doc["id"]}
    assert (base["organization_id"], base["client_id"], base["warehouse_id"]) == (
        clinic.org, clinic.client, clinic.warehouse)
    assert [(ln["nomenclature_id"], ln["quantity"]) for ln in base["lines"]] == [
        (clinic.service, "1.000"), (clinic.goods, "4.000")]

    back = await api.create("client-returns", returned(base, (clinic.goods, "3")), post=True)
    assert back["posted"] is True and back["number"].startswith("К")
    assert [(ln["quantity"], ln["amount"], ln["cost"]) for ln in back["lines"]] == [("3.000", "75.00", "30.00")]
    assert back["amount_total"] == "75.00"
    # 3 syringes back at the 10.00 they left with, not at today's 16.25
    assert await stock(api, clinic, clinic.goods) == ("19.000", "290.00")
    assert await debt(api, clinic) == "1525.00"
    assert (await sold(api, clinic))[clinic.goods] == ("1.000", "25.00", "10.00")
    moves = await api.get(f"{KIND}/{back['id']}/movements")
    assert [(m["nomenclature_id"], m["quantity"], m["cost"]) for m in moves["stock"]] == [
        (clinic.goods, "3.000", "30.00")]
    assert [(m["quantity"], m["amount"], m["cost"]) for m in moves["sales"]] == [("-3.000", "-75.00", "-30.00")]
    assert [m["amount"] for m in moves["settlements"]] == ["75.00"]
    tree = await api.get(f"{RENDERINGS}/{doc['id']}/subordination")
    assert [(c["kind"], c["id"]) for c in tree["tree"]["children"]] == [("client-returns", back["id"])]

    # what is left to return: the service and the last syringe
    again = await filled(api, doc["id"])
    assert [(ln["nomenclature_id"], ln["quantity"]) for ln in again["lines"]] == [
        (clinic.service, "1.000"), (clinic.goods, "1.000")]
    rest = await api.create("client-returns", returned(again, *((ln["nomenclature_id"], ln["quantity"])
                                                              for ln in again["lines"])), post=True)
    assert rest["amount_total"] == "1525.00"
    assert await debt(api, clinic) == "0"
    assert await stock(api, clinic, clinic.goods) == ("20.000", "300.00")
    assert clinic.goods not in await sold(api, clinic)  # sold and returned: no turnover left
    nothing = await filled(api, doc["id"], status=409)
    assert nothing["code"] == "nothing_to_return"


async def test_more_than_sold_less_returns_is_refused_on_every_path_and_nothing_is_written(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.service), line(clinic.goods, "4", "25"))
    base = await filled(api, doc["id"])
    first = await api.create("client-returns", returned(base, (clinic.goods, "3")), post=True)
    before = await counts(db)
    for post in (True, False):  # a new posted return and a new draft alike
        over = await api.create("client-returns", returned(base, (clinic.goods, "1"), (clinic.goods, "1")),
                                status=409, post=post)
        assert over["code"] == "return_exceeds_sold"
        assert over["message"] == (
            f"Возврат больше проданного по документу «Оказание услуг» № {doc['number']} за вычетом прежних"
            " возвратов — «Шприц 5 мл»: можно вернуть 1.000, в возврате 2.000")
        assert over["details"]["items"] == [{"nomenclature_id": clinic.goods, "item": "Шприц 5 мл",
                                             "available": "1.000", "required": "2.000"}]
        assert over["details"]["fields"] == {"lines[0].quantity": "можно вернуть не больше 1.000",
                                             "lines[1].quantity": "можно вернуть не больше 1.000"}
    # an item the rendering did not sell cannot come back at all
    gloves = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods"})
    alien = await api.create("client-returns", returned(base, (gloves["id"], "1")), status=409, post=True)
    assert alien["details"]["items"][0]["available"] == "0.000"
    assert await counts(db) == {**before, "cat_nomenclature": before["cat_nomenclature"] + 1}
    before = await counts(db)

    # a draft that fitted when it was saved is refused when posted after another return took the rest
    draft = await api.create("client-returns", returned(base, (clinic.goods, "1")))
    assert draft["posted"] is False and draft["lines"][0]["amount"] == "25.00"
    await api.create("client-returns", returned(base, (clinic.goods, "1")), post=True)
    refused = await api.post(f"{KIND}/{draft['id']}/post", status=409)
    assert refused["code"] == "return_exceeds_sold"
    assert (await api.get(f"{KIND}/{draft['id']}"))["posted"] is False
    # saving the posted first return with more than is left is refused, and it stays as it was
    refused = await api.put(f"{KIND}/{first['id']}", returned(base, (clinic.goods, "4")), status=409)
    assert refused["details"]["items"][0]["available"] == "3.000"  # its own 3 plus nothing left
    assert [ln["quantity"] for ln in (await api.get(f"{KIND}/{first['id']}"))["lines"]] == ["3.000"]
    assert await stock(api, clinic, clinic.goods) == ("10.000", "100.00")
    # a re-post of the same return is not counted against itself
    same = await api.put(f"{KIND}/{first['id']}", {**returned(base, (clinic.goods, "3")), "comment": "брак"})
    assert (same["comment"], same["lines"][0]["cost"]) == ("брак", "30.00")


async def test_bad_returns_are_a_russian_4xx_and_write_nothing(api, db, clinic):
    doc = await sale(api, clinic, line(clinic.service))
    base = await filled(api, doc["id"])
    other = await api.item("clients", {"name": "Петров Пётр", "kind": "person"})
    before = await counts(db)
    zero = await api.create("client-returns", returned(base, (clinic.service, "0")), status=422)
    assert zero["details"]["fields"] == {"lines[0].quantity": "количество должно быть больше нуля"}
    alone = await api.create("client-returns", {k: v for k, v in returned(base, (clinic.service, "1")).items()
                                                if k != "based_on"}, status=422, post=True)
    assert alone["code"] == "return_without_base"
    assert alone["message"] == "Возврат от клиента оформляется на основании документа «Оказание услуг»"
    wrong = await api.create("client-returns", {**returned(base, (clinic.service, "1"), date="2021-12-21T10:00:00"),
                                                "client_id": other["id"]}, status=422, post=True)
    assert wrong["details"]["fields"] == {
        "client_id": "клиент возврата — тот же, что в документе «Оказание услуг»",
        "date": "возврат не может быть раньше документа «Оказание услуг»"}
    empty = await api.create("client-returns", returned(base), status=422, post=True)
    assert empty["code"] == "empty_return"
    foreign = await api.create("client-returns", {**returned(base, (clinic.service, "1")),
                                                  "based_on": {"kind": "requests", "id": doc["id"]}}, status=422)
    assert "based_on" in foreign["details"]["fields"]
    assert await counts(db) == before

    # a rendering that is not posted gives nothing to return, on every path
    await api.post(f"{RENDERINGS}/{doc['id']}/unpost")
    assert (await filled(api, doc["id"], status=409))["code"] == "base_not_posted"
    for post in (True, False):
        refused = await api.create("client-returns", returned(base, (clinic.service, "1")), status=409, post=post)
        assert refused["code"] == "base_not_posted"
        assert refused["message"] == (f"Документ «Оказание услуг» № {doc['number']} не проведён:"
                                      " возврат по нему невозможен")
    assert await db.fetchval("SELECT count(*) FROM doc_client_returns") == 0


async def test_a_rendering_is_neither_unposted_nor_cut_below_its_returns(api, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.service), line(clinic.goods, "4", "25"))
    body = rendering(clinic, line(clinic.service), line(clinic.goods, "4", "25"), date="2021-12-22T12:00:00")
    back = await api.create("client-returns", returned(await filled(api, doc["id"]), (clinic.goods, "3")), post=True)

    refused = await api.post(f"{RENDERINGS}/{doc['id']}/unpost", status=409)
    assert refused["code"] == "rendering_has_returns"
    assert refused["message"] == (f"По документу оформлены возвраты от клиента (№ {back['number']}):"
                                  " сначала отмените их проведение")
    cut = await api.put(f"{RENDERINGS}/{doc['id']}", {**body, "lines": [line(clinic.service),
                                                                        line(clinic.goods, "2", "25")]}, status=409)
    assert cut["code"] == "rendering_has_returns"
    assert cut["details"]["items"] == [{"nomenclature_id": clinic.goods, "item": "Шприц 5 мл",
                                        "returned_quantity": "3.000", "returned_amount": "75.00",
                                        "quantity": "2.000", "amount": "50.00"}]
    cheaper = await api.put(f"{RENDERINGS}/{doc['id']}", {**body, "lines": [line(clinic.goods, "3", "20")]},
                            status=409)
    assert "«Шприц 5 мл»: возвращено 3.000 на 75.00, в документе 3.000 на 60.00" in cheaper["message"]
    rendered = await api.get(f"{RENDERINGS}/{doc['id']}")
    assert (rendered["posted"], rendered["amount_total"]) == (True, "1600.00")
    assert await debt(api, clinic) == "1525.00"

    # what stays at or above the returns is saved; the service, never returned, may go
    kept = await api.put(f"{RENDERINGS}/{doc['id']}", {**body, "lines": [line(clinic.goods, "3", "25")]})
    assert kept["amount_total"] == "75.00"
    assert await debt(api, clinic) == "0"
    assert (await filled(api, doc["id"], status=409))["code"] == "nothing_to_return"
    # once the return is unposted, the rendering may be unposted too
    await api.post(f"{KIND}/{back['id']}/unpost")
    await api.post(f"{RENDERINGS}/{doc['id']}/unpost")
    assert await stock(api, clinic, clinic.goods) == ("10.000", "100.00")
    assert await debt(api, clinic) == "0"


async def test_returns_posted_at_once_never_take_more_than_was_sold(api, db, clinic, settings, database_url):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.goods, "4", "25"))
    base = await filled(api, doc["id"])
    drafts = [await api.create("client-returns", returned(base, (clinic.goods, "3"))) for _ in range(8)]
    # an app with a connection for every caller, so that the postings really race: the register's balance
    # control in the write statement is the guard when each read saw all 4 still there
    async with concurrent_client(create_app(settings, database_url, pool_size=8)) as client:
        responses = await asyncio.gather(*(client.post(f"{KIND}/{d['id']}/post", headers=api.headers)
                                           for d in drafts))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"return_exceeds_sold",
                                                                             "balance_shortage"}
    assert await db.fetchval("SELECT count(*) FROM doc_client_returns WHERE posted") == 1
    assert await stock(api, clinic, clinic.goods) == ("9.000", "90.00")


async def test_a_returned_service_brings_no_materials_back_and_its_cost_of_sales_stays(api, clinic):
    gloves = (await api.item("nomenclature", {"name": "Перчатки", "kind": "goods"}))["id"]
    await receipt(api, clinic, (gloves, "10", "15.00"))
    await with_materials(api, clinic.service, (gloves, "1"))
    doc = await sale(api, clinic, line(clinic.service, "2"))
    assert await stock(api, clinic, gloves) == ("8.000", "120.00")
    assert (await sold(api, clinic))[clinic.service] == ("2.000", "3000.00", "30.00")
    back = await api.create("client-returns", returned(await filled(api, doc["id"]), (clinic.service, "1")),
                            post=True)
    assert [(ln["amount"], ln["cost"]) for ln in back["lines"]] == [("1500.00", "0.00")]
    # the gloves were used up: they stay written off, and their cost stays in the cost of sales
    assert await stock(api, clinic, gloves) == ("8.000", "120.00")
    assert (await sold(api, clinic))[clinic.service] == ("1.000", "1500.00", "30.00")
    assert await debt(api, clinic) == "1500.00"
    assert not (await api.get(f"{KIND}/{back['id']}/movements")).get("stock")


async def test_the_refund_is_a_negative_settlement_the_next_payment_offsets(api, clinic):
    doc = await sale(api, clinic, line(clinic.service, "2"))
    await api.create("payments", {"date": "2021-12-22T13:00:00", "organization_id": clinic.org,
                                  "client_id": clinic.client, "amount": "3000.00", "method": "cash",
                                  "cash_desk_id": clinic.desk}, post=True)
    assert await debt(api, clinic) == "0"
    await api.create("client-returns", returned(await filled(api, doc["id"]), (clinic.service, "1")), post=True)
    assert await debt(api, clinic) == "-1500.00"  # the clinic owes the client: an advance
    await sale(api, clinic, line(clinic.service), date="2021-12-24T12:00:00")
    assert await debt(api, clinic) == "0"  # the next rendering is paid by it


async def test_the_migration_gives_renderings_posted_before_it_what_they_sold(api, db, clinic):
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.service), line(clinic.goods, "4", "25"))
    expected = [dict(r) for r in await db.fetch("SELECT * FROM reg_returnable_sales_balance ORDER BY id")]
    months = await db.fetch("SELECT month, quantity_receipt, amount_receipt, cost_receipt FROM"
                            " reg_returnable_sales_month ORDER BY nomenclature_id")
    # as a database of before the register: the rendering's sales movements, no «Продажи к возврату»
    for table in ("movements", "month", "day", "balance"):
        await db.execute(f"DELETE FROM reg_returnable_sales_{table}")
    for statement in statements("Europe/Moscow"):
        await db.execute(statement)
    assert [{k: v for k, v in dict(r).items() if k != "id"}
            for r in await db.fetch("SELECT * FROM reg_returnable_sales_balance ORDER BY nomenclature_id")] == [
        {k: v for k, v in r.items() if k != "id"} for r in sorted(expected, key=lambda r: r["nomenclature_id"])]
    assert await db.fetch("SELECT month, quantity_receipt, amount_receipt, cost_receipt FROM"
                          " reg_returnable_sales_month ORDER BY nomenclature_id") == months
    back = await api.create("client-returns", returned(await filled(api, doc["id"]), (clinic.goods, "4")), post=True)
    assert back["lines"][0]["cost"] == "40.00"


async def test_the_form_list_excel_and_movements(browser, login_as, api, db, clinic):  # noqa: F811
    await receipt(api, clinic, (clinic.goods, "10", "10.00"))
    doc = await sale(api, clinic, line(clinic.service), line(clinic.goods, "4", "25"))
    page = (await browser.get(f"/documents/service-renderings/{doc['id']}")).text
    link = f"/documents/client-returns/new?based_on_kind=service-renderings&amp;based_on_id={doc['id']}"
    assert "Создать на основании" in page and link in page and "Возврат от клиента" in page
    form = (await browser.get(link.replace("&amp;", "&"))).text
    assert "Основание:" in form and "Иванов Иван Иванович" in form and "Причина возврата" in form
    assert 'name="lines-0-amount"' not in form and 'name="lines-0-cost"' not in form  # computed, never typed
    fields = {"date": "2021-12-23T10:00", "organization_id": clinic.org, "client_id": clinic.client,
              "warehouse_id": clinic.warehouse, "reason": "Брак", "comment": "",
              "based_on_kind": "service-renderings", "based_on_id": doc["id"],
              "lines-0-nomenclature_id": clinic.goods, "lines-0-quantity": "3"}
    r = await browser.post("/documents/client-returns/new", {**fields, "action": "post"})
    url = r.headers["location"].split("?")[0]
    shown = (await browser.get(r.headers["location"])).text
    assert "Документ проведён" in shown and "75,00" in shown and "30,00" in shown
    moves = (await browser.get(url + "/movements")).text
    for register in ("Продажи к возврату", "Продажи", "Взаиморасчёты с клиентами", "Товары на складах"):
        assert register in moves
    over = await browser.post("/documents/client-returns/new", {**fields, "action": "post"}, status=409)
    assert "можно вернуть 1.000, в возврате 3.000" in over.text
    assert await db.fetchval("SELECT count(*) FROM doc_client_returns") == 1
    # the rendering under the return cannot be unposted from its form either
    refused = await browser.post(f"/documents/service-renderings/{doc['id']}", {"action": "unpost"}, status=409)
    assert "сначала отмените их проведение" in refused.text

    listed = (await browser.get("/documents/client-returns")).text
    assert "Возврат от клиента" in listed and "Иванов Иван Иванович" in listed
    rows = sheet_rows((await browser.get("/documents/client-returns/export.xlsx")).content)
    assert any("Иванов Иван Иванович" in [str(c) for c in row] for row in rows)
    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    assert "Return from client" in (await browser.get("/documents")).text
    manager = await login_as("manager")
    assert "Возврат от клиента" in (await manager.get("/documents/client-returns")).text
    await manager.get("/documents/client-returns/new", status=403)


# -- the posting rule on plain data --------------------------------------------------------------

GOODS, SERVICE, RENDERING, WAREHOUSE = 11, 12, 55, 4
BASE = {"number": "К00000000055", "date": dt.datetime(2021, 12, 22, 12, tzinfo=dt.UTC), "posted": True,
        "organization_id": 1, "client_id": 2, "doctor_id": 3}


def _doc(*lines: tuple[int, str], posted: bool = True) -> Doc:
    return Doc("client-returns", 7, "К0000000007", dt.datetime(2021, 12, 23, 12, tzinfo=dt.UTC), posted, False,
               {"organization_id": 1, "client_id": 2, "warehouse_id": WAREHOUSE},
               tuple({"nomenclature_id": n, "quantity": D(q)} for n, q in lines), ("service-renderings", RENDERING))


def _inputs(quantity: str = "3", amount: str = "100.00", cost: str = "10.00", **base) -> Inputs:
    return Inputs({"base": {**BASE, **base},
                   "items": {GOODS: {"kind": "goods", "name": "Бинт"}, SERVICE: {"kind": "service", "name": "Приём"}},
                   "left": {(RENDERING, GOODS): {"quantity": D(quantity), "amount": D(amount), "vat": D("0.00"),
                                                 "cost": D(cost)},
                            (RENDERING, SERVICE): {"quantity": D("1"), "amount": D("1500.00"), "vat": D("250.00"),
                                                   "cost": D("0.00")}}})


def test_each_line_takes_its_share_of_what_is_left_and_the_last_unit_takes_the_rest():
    moves = client_return.movements(_doc((GOODS, "1"), (GOODS, "1"), (GOODS, "1"), (SERVICE, "1")), _inputs())
    taken = [returnable_sales.as_dict(m) for m in moves[returnable_sales]]
    assert [(m["quantity"], m["amount"], m["cost"]) for m in taken] == [
        (D("1"), D("33.33"), D("3.33")), (D("1"), D("33.34"), D("3.34")), (D("1"), D("33.33"), D("3.33")),
        (D("1"), D("1500.00"), D("0.00"))]
    assert all(m.record_type == -1 for m in moves[returnable_sales])
    # only the goods come back to stock, at the cost they left with
    back = [stock_register.as_dict(m) for m in moves[stock_register]]
    assert [(m["warehouse_id"], m["quantity"], m["cost"]) for m in back] == [
        (WAREHOUSE, D("1"), D("3.33")), (WAREHOUSE, D("1"), D("3.34")), (WAREHOUSE, D("1"), D("3.33"))]
    reversed_ = [sales_register.as_dict(m) for m in moves[sales_register]]
    assert reversed_[3] == {"organization_id": 1, "client_id": 2, "nomenclature_id": SERVICE, "doctor_id": 3,
                            "quantity": D("-1"), "amount": D("-1500.00"), "vat": D("-250.00"), "cost": D("0.00")}
    [owed] = moves[client_return.settlements]
    assert (owed.record_type, owed.resources["amount"]) == (-1, D("1600.00"))


def test_the_rules_on_plain_data():
    assert client_return.rules(None, _doc((GOODS, "3")), _inputs()) == []
    [over] = client_return.rules(None, _doc((GOODS, "2"), (GOODS, "2")), _inputs())
    assert (over.status, over.code, over.details["items"][0]["available"]) == (409, "return_exceeds_sold", "3.000")
    [draft] = client_return.rules(None, _doc((GOODS, "1"), posted=False), _inputs(posted=False))
    assert draft.code == "base_not_posted"
    [bad] = client_return.rules(None, _doc((GOODS, "1")), _inputs(client_id=9,
                                                                   date=dt.datetime(2021, 12, 24, tzinfo=dt.UTC)))
    assert set(bad.details["fields"]) == {"client_id", "date"}
    posted = _doc((GOODS, "5"))  # unposting asks nothing, whatever is left
    assert client_return.rules(posted, dataclasses.replace(posted, posted=False), Inputs({})) == []
