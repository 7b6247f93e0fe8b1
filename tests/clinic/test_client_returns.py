"""Возврат от клиента (issue 16 point 5): based on a posted ServiceRendering, the chosen lines and
quantities come back (never more than sold less the earlier returns, on every path); goods return to
stock at the cost they left with; the sales register and the client's debt are reversed; a service
brings no materials back; the rendering is neither unposted nor cut below its returns."""

from __future__ import annotations

from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import debt, receipt, rendering, stock

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
