"""Резервы (issue 16 point 6): a posted Request's goods lines hold their quantity in its warehouse
until it is rendered. «Доступно = остаток − резерв» is what every stock document's balance control
weighs; the «Оказание услуг» made on the Request takes the reserve away; every path that could
break it (unposting the Request or the rendering, re-posting, a rendering made on its own) is
refused with a 409 or keeps the reserve right."""

from __future__ import annotations

from decimal import Decimal as D

from erp.documents import request_reserve
from tests.clinic.conftest import counts
from tests.clinic.test_requests import DAY, work
from tests.clinic.test_service_rendering import receipt
from tests.clinic.test_write_off import write_off
from tests.ui.conftest import browser  # noqa: F401  (the pickers and the stock report)


def request(clinic, *lines: tuple[int, str], at: str = "09:05", warehouse: bool = True) -> dict:
    return {"doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": f"{DAY}T{at}:00",
            **({"warehouse_id": clinic.warehouse} if warehouse else {}),
            "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]
            + [{"nomenclature_id": n, "quantity": q, "price": "25"} for n, q in lines]}


async def held(api, clinic, item: int) -> tuple[str, str]:
    """(quantity, reserved) of the item in the warehouse, as the stock register's balance shows them."""
    rows = await api.balance("stock", warehouse_id=clinic.warehouse, nomenclature_id=item)
    return tuple(_n(rows[0][r]) if rows else "0" for r in ("quantity", "reserved"))


def _n(value: str) -> str:
    return f"{D(value).normalize():f}"


async def reserve_of(api, request_id: int) -> list[tuple[int, str]]:
    rows = await api.balance("stock-reserves", request_id=request_id)
    return [(r["nomenclature_id"], _n(r["quantity"])) for r in rows if D(r["quantity"])]


async def render(api, request_id: int, status: int = 201) -> dict:
    filled = await api.get(f"/api/documents/requests/{request_id}/based/service-renderings")
    return await api.create("service-renderings", filled, post=True, status=status)


async def test_a_request_reserves_its_goods_and_the_rendering_made_on_it_takes_them(api, db, clinic):
    await work(api, clinic)
    await receipt(api, clinic, (clinic.goods, "5", "50.00"))
    first = await api.create("requests", request(clinic, (clinic.goods, "3")), post=True)
    assert await held(api, clinic, clinic.goods) == ("5", "3")
    assert await reserve_of(api, first["id"]) == [(clinic.goods, "3")]
    moves = await api.get(f"/api/documents/requests/{first['id']}/movements")
    assert [(m["quantity"], m["reserved"]) for m in moves["stock"]] == [("0.000", "3.000")]

    # only 2 are available: a write-off of 3 and a second request for 3 are refused, naming what is available
    before = await counts(db)
    short = await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "3")), post=True, status=409)
    assert short["code"] == "balance_shortage"
    assert [(s["available"], s["required"]) for s in short["details"]["shortfalls"]] == [("2.000", "3.000")]
    other = await api.create("requests", request(clinic, (clinic.goods, "3"), at="10:00"), post=True, status=409)
    assert other["code"] == "balance_shortage" and "доступно 2.000, требуется 3.000" in other["message"]
    assert await counts(db) == before
    await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "2")), post=True)
    assert await held(api, clinic, clinic.goods) == ("3", "3")

    # a rendering made on its own cannot take the reserved units either
    alone = {"date": f"{DAY}T12:00:00", "organization_id": clinic.org, "client_id": clinic.client,
             "doctor_id": clinic.efimova, "warehouse_id": clinic.warehouse,
             "lines": [{"nomenclature_id": clinic.goods, "quantity": "1", "price": "25"}]}
    refused = await api.create("service-renderings", alone, post=True, status=409)
    assert "доступно 0.000, требуется 1.000" in refused["message"]

    # the rendering made on the request takes its own reserve with the goods
    rendered = await render(api, first["id"])
    assert await held(api, clinic, clinic.goods) == ("0", "0")
    assert await reserve_of(api, first["id"]) == []

    # the request cannot be unposted under the rendering; re-posting it keeps its reserve closed
    refused = await api.post(f"/api/documents/requests/{first['id']}/unpost", status=409)
    assert refused["code"] == "request_reserve_released" and f"№ {rendered['number'].lstrip('0')}" in refused["message"]
    kept = await api.get(f"/api/documents/requests/{first['id']}")
    await api.put(f"/api/documents/requests/{first['id']}", {**kept, "comment": "перенесли кабинет"})
    assert await held(api, clinic, clinic.goods) == ("0", "0")
    fewer = [kept["lines"][0], {**kept["lines"][1], "quantity": "2"}]
    changed = await api.put(f"/api/documents/requests/{first['id']}", {**kept, "lines": fewer}, status=409)
    assert changed["code"] == "request_rendered" and "товары и склад не меняются" in changed["message"]

    # unposting the rendering gives the goods and the reserve back; then the request can go
    await receipt(api, clinic, (clinic.goods, "1", "10.00"))
    await api.post(f"/api/documents/service-renderings/{rendered['id']}/unpost")
    assert await held(api, clinic, clinic.goods) == ("4", "3")
    assert await reserve_of(api, first["id"]) == [(clinic.goods, "3")]
    await api.post(f"/api/documents/requests/{first['id']}/unpost")
    assert await held(api, clinic, clinic.goods) == ("4", "0")


async def test_unposting_a_rendering_cannot_bring_back_a_reserve_the_stock_no_longer_covers(api, clinic):
    await work(api, clinic)
    await receipt(api, clinic, (clinic.goods, "3", "30.00"))
    first = await api.create("requests", request(clinic, (clinic.goods, "3")), post=True)
    filled = await api.get(f"/api/documents/requests/{first['id']}/based/service-renderings")
    rendered = await api.create("service-renderings", {**filled, "lines": filled["lines"][:1]}, post=True)
    assert await held(api, clinic, clinic.goods) == ("3", "0")  # the service only: the reserve is released
    await api.create("stock-write-offs", write_off(clinic, (clinic.goods, "2")), post=True)
    refused = await api.post(f"/api/documents/service-renderings/{rendered['id']}/unpost", status=409)
    # the reserve would come back over the 1 unit left: «остаток» less «в резерве» would be −2
    assert refused["code"] == "balance_shortage" and "Количество: остаток станет -2.000" in refused["message"]
    assert await held(api, clinic, clinic.goods) == ("1", "0")


async def test_a_request_without_a_warehouse_reserves_in_the_first_one_and_a_draft_reserves_nothing(api, clinic):
    await work(api, clinic)
    await receipt(api, clinic, (clinic.goods, "2", "20.00"))
    draft = await api.create("requests", request(clinic, (clinic.goods, "2"), warehouse=False))
    assert draft["warehouse_id"] == clinic.warehouse
    assert await held(api, clinic, clinic.goods) == ("2", "0")
    posted = await api.post(f"/api/documents/requests/{draft['id']}/post")
    assert posted["posted"] is True
    assert await held(api, clinic, clinic.goods) == ("2", "2")
    # a request of services only keeps no warehouse and reserves nothing
    bare = await api.create("requests", request(clinic, at="11:00", warehouse=False), post=True)
    assert bare["warehouse_id"] is None
    assert await reserve_of(api, bare["id"]) == []


def test_the_release_takes_the_requests_whole_reserve_on_plain_data():
    import datetime as dt

    from erp.platform.document import Doc
    doc = Doc("service-renderings", 7, "1", dt.datetime(2021, 12, 22, 12, tzinfo=dt.UTC), True, False,
              {"warehouse_id": 1}, (), based_on=("requests", 5))
    moves, freed = request_reserve.release(doc, {"request_reserve": {(5, 1, 9): {"quantity": D("2.000")},
                                                                      (5, 2, 9): {"quantity": D("1.000")}}})
    assert freed == {(1, 9): D("2.000"), (2, 9): D("1.000")}
    assert [(m.record_type, m.dimensions["warehouse_id"], m.resources["reserved"]) for m in moves[
        request_reserve.stock]] == [(-1, 1, D("2.000")), (-1, 2, D("1.000"))]


async def test_the_pickers_and_the_stock_report_show_what_is_available(api, browser, clinic):  # noqa: F811
    await work(api, clinic)
    await receipt(api, clinic, (clinic.goods, "5", "50.00"))
    await api.create("requests", request(clinic, (clinic.goods, "3")), post=True)
    # the goods picker of a write-off (and of a request) names what the form's warehouse has available
    for field in ("stock-write-offs.nomenclature_id", "requests.nomenclature_id"):
        options = (await browser.get(f"/lookup/nomenclature?q=Шприц&field={field}"
                                     f"&warehouse_id={clinic.warehouse}")).text
        assert "Шприц 5 мл" in options and "доступно 2" in options
    plain = (await browser.get("/lookup/nomenclature?q=Шприц")).text
    assert "Шприц 5 мл" in plain and "доступно" not in plain
    report = (await browser.get("/reports/stock")).text
    assert "В резерве" in report and "Доступно" in report
    row = report[report.index("Шприц 5 мл"):]
    row = row[:row.index("</tr>")]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:5]] == ["5", "250,00", "3", "2"]
    # «Потребность в закупке» weighs the minimum against what is available: 5 in stock, 2 of them free, minimum 4
    await api.patch(f"/api/catalogs/nomenclature/{clinic.goods}",
                    {"minimums": [{"warehouse_id": clinic.warehouse, "minimum": "4"}]})
    needs = await api.get("/api/reports/purchase-needs")
    assert [(r["nomenclature"], r["balance"], r["minimum"]) for r in needs] == [("Шприц 5 мл", "2.000", "4.000")]


async def test_a_request_of_many_goods_posts_in_as_many_statements_as_one_of_one(api, app, db, clinic):
    """The reserve's reads (the stock of every line's item) are in the Request's one read query, its movements
    in its one write statement: «Провести и закрыть» is a read and a write, whatever the lines."""
    from bench.posting import roles, statements_of

    await work(api, clinic)
    items = [(await api.item("nomenclature", {"name": f"Расходник {i:02d}", "kind": "goods", "price": "1"}))["id"]
             for i in range(30)]
    await receipt(api, clinic, *((item, "5", "10.00") for item in items))
    engine, kind = app.state.engine, app.state.registry.documents["requests"]
    slots = iter(range(100))

    async def fresh(n: int) -> list[str]:
        minutes = 8 * 60 + 30 + 10 * next(slots)
        body = request(clinic, *((item, "1") for item in items[:n]), at=f"{minutes // 60:02d}:{minutes % 60:02d}")
        return roles(await statements_of(db, lambda: engine.create(db, kind, {**body, "duration_minutes": 10},
                                                                   post=True)))

    await fresh(1)  # the connection prepares its statements first
    one, thirty = await fresh(1), await fresh(30)
    assert thirty == one == ["read", "write"]
    assert await held(api, clinic, items[0]) == ("5", "3") and await held(api, clinic, items[29]) == ("5", "1")
