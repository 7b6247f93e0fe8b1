"""Acceptance point 5: ServiceRendering («Оказание услуг»), filled on the basis
of a Request, posts sales, the client's debt and the stock expense of goods at
moving-average cost, never below zero; re-posting replaces what it wrote.
GoodsReceipt («Поступление товаров», point 6) brings the stock in."""

from tests.clinic.conftest import counts
from tests.clinic.test_work_schedule import line, ws


async def receipt(api, clinic, *lines: tuple[int, str, str], date: str = "2021-12-01T09:00:00") -> dict:
    return await api.create("goods-receipts", {
        "date": date, "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": n, "quantity": q, "price": p} for n, q, p in lines]}, post=True)


async def stock(api, clinic, item: int, **params) -> tuple[str, str]:
    rows = await api.balance("stock", warehouse_id=clinic.warehouse, nomenclature_id=item, **params)
    return (rows[0]["quantity"], rows[0]["cost"]) if rows else ("0", "0")


async def debt(api, clinic, client: int | None = None) -> str:
    rows = await api.balance("settlements", organization_id=clinic.org, client_id=client or clinic.client)
    return rows[0]["amount"] if rows else "0"


async def sales(api, **filters) -> list[tuple]:
    rows = await api.turnovers("sales", start="2021-12-01", end="2021-12-31", **filters)
    return [(r["nomenclature_id"], r["quantity"], r["amount"]) for r in rows]


def rendering(clinic, *lines: dict, date: str = "2021-12-22T12:00:00") -> dict:
    return {"date": date, "organization_id": clinic.org, "client_id": clinic.client, "doctor_id": clinic.efimova,
            "warehouse_id": clinic.warehouse, "lines": list(lines)}


async def test_based_on_a_request_it_takes_client_doctor_and_lines(api, clinic):
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-22", "08:15", "13:00")]),
                     post=True)
    await receipt(api, clinic, (clinic.goods, "2", "20.00"))  # the request's goods are reserved
    request = await api.create("requests", {
        "doctor_id": clinic.efimova, "client_id": clinic.client, "starts_at": "2021-12-22T09:05:00",
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
                  {"nomenclature_id": clinic.goods, "quantity": "2", "price": "25"}]}, post=True)
    filled = await api.get(f"/api/documents/requests/{request['id']}/based/service-renderings")
    assert filled["based_on"] == {"kind": "requests", "id": request["id"]}
    assert (filled["client_id"], filled["doctor_id"], filled["organization_id"], filled["warehouse_id"]) == (
        clinic.client, clinic.efimova, clinic.org, clinic.warehouse)
    assert [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in filled["lines"]] == [
        (clinic.service, "1.000", "1500.00"), (clinic.goods, "2.000", "25.00")]
    saved = await api.create("service-renderings", {**filled, "lines": filled["lines"][:1]}, post=True)
    assert (saved["based_on"], saved["amount_total"]) == ({"kind": "requests", "id": request["id"]}, "1500.00")
    tree = await api.get(f"/api/documents/requests/{request['id']}/subordination")
    assert [(c["kind"], c["id"]) for c in tree["tree"]["children"]] == [("service-renderings", saved["id"])]

    # an empty request gives one line "Номенклатура AmoCRM", quantity 1, at its (edited) price
    await api.patch(f"/api/catalogs/nomenclature/{clinic.amocrm_service}", {"price": "150.00"})
    empty = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T11:00:00"}, post=True)
    filled = await api.get(f"/api/documents/requests/{empty['id']}/based/service-renderings")
    assert filled["client_id"] == clinic.amocrm_client
    assert [(ln["nomenclature_id"], ln["quantity"], ln["price"]) for ln in filled["lines"]] == [
        (clinic.amocrm_service, "1.000", "150.00")]


async def test_line_amounts_are_computed_or_checked(api, db, clinic):
    doc = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500", "discount_percent": "10"},
        {"nomenclature_id": clinic.service, "quantity": "1", "price": "1000", "discount_amount": "250"},
        {"nomenclature_id": clinic.service, "quantity": "1", "price": "99.99", "amount": "99.99",
         "note": "Абонемент № 7"}))
    assert [(ln["discount_percent"], ln["discount_amount"], ln["amount"]) for ln in doc["lines"]] == [
        ("10.0000", "300.00", "2700.00"), ("25.0000", "250.00", "750.00"), ("0.0000", "0.00", "99.99")]
    assert doc["lines"][2]["note"] == "Абонемент № 7" and doc["amount_total"] == "3549.99"
    before = await counts(db)
    wrong = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500", "amount": "3100"}), status=422)
    assert "должна быть 3000.00" in wrong["details"]["fields"]["lines[0].amount"]
    assert await counts(db) == before


async def test_posting_moves_stock_at_average_cost_sales_and_debt_and_reposting_replaces_it(api, db, clinic):
    first = await receipt(api, clinic, (clinic.goods, "10", "11.00"))
    assert [(ln["quantity"], ln["amount"]) for ln in first["lines"]] == [("10.000", "110.00")]
    assert await stock(api, clinic, clinic.goods) == ("10.000", "110.00")
    await receipt(api, clinic, (clinic.goods, "4", "14.00"), (clinic.goods, "6", "14.00"), date="2021-12-02T09:00:00")
    assert await stock(api, clinic, clinic.goods) == ("20.000", "250.00")
    doc = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"},
        {"nomenclature_id": clinic.goods, "quantity": "4", "price": "25"}), post=True)
    assert await stock(api, clinic, clinic.goods) == ("16.000", "200.00")
    assert await debt(api, clinic) == "1600.00"
    assert await sales(api, doctor_id=clinic.efimova) == [(clinic.service, "1.000", "1500.00"),
                                                          (clinic.goods, "4.000", "100.00")]
    moves = await api.get(f"/api/documents/service-renderings/{doc['id']}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("4.000", "50.00")]

    # editing a posted document re-posts it: every earlier movement is replaced
    await api.put(f"/api/documents/service-renderings/{doc['id']}", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "6", "price": "30"}))
    assert await stock(api, clinic, clinic.goods) == ("14.000", "175.00")
    assert await debt(api, clinic) == "180.00"
    assert await sales(api, doctor_id=clinic.efimova) == [(clinic.goods, "6.000", "180.00")]
    moves = await api.get(f"/api/documents/service-renderings/{doc['id']}/movements")
    assert ([(m["quantity"], m["cost"]) for m in moves["stock"]], len(moves["sales"]), len(moves["settlements"])) == (
        [("6.000", "75.00")], 1, 1)

    # the average moves with new receipts: 14 for 175.00 + 6 for 125.00 → 20 for 300.00, 15.00 each
    await receipt(api, clinic, (clinic.goods, "6", "20.83"), date="2021-12-03T09:00:00")
    assert await stock(api, clinic, clinic.goods) == ("20.000", "299.98")
    second = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "20", "price": "30"}), post=True)
    assert await stock(api, clinic, clinic.goods) == ("0", "0")
    moves = await api.get(f"/api/documents/service-renderings/{second['id']}/movements")
    assert moves["stock"][0]["cost"] == "299.98"

    await api.post(f"/api/documents/service-renderings/{second['id']}/unpost")
    await api.post(f"/api/documents/service-renderings/{doc['id']}/unpost")
    assert await stock(api, clinic, clinic.goods) == ("26.000", "374.98")
    assert (await debt(api, clinic), await sales(api)) == ("0", [])


async def test_a_shortfall_is_a_409_listing_each_item_and_writes_nothing(api, db, clinic):
    other = await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"})
    arrived = await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    before = await counts(db)
    short = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "2", "price": "25"},
        {"nomenclature_id": clinic.goods, "quantity": "2", "price": "25"},
        {"nomenclature_id": other["id"], "quantity": "1", "price": "15"}), status=409, post=True)
    assert short["code"] == "balance_shortage"
    assert sorted((s["dimensions"]["nomenclature_id"], s["available"], s["required"])
                  for s in short["details"]["shortfalls"]) == sorted(
        [(clinic.goods, "3.000", "4.000"), (other["id"], "0.000", "1.000")])
    assert short["message"] == ("Недостаточно товара на складе «Основной склад» — «Шприц 5 мл»: доступно 3.000, "
                                "требуется 4.000; «Перчатки»: доступно 0.000, требуется 1.000")
    assert await counts(db) == before
    assert await stock(api, clinic, clinic.goods) == ("3.000", "30.00")
    # goods already rendered can't be taken back by unposting their receipt
    await api.create("service-renderings", rendering(clinic, {"nomenclature_id": clinic.goods, "quantity": "3",
                                                              "price": "25"}), post=True)
    back = await api.post(f"/api/documents/goods-receipts/{arrived['id']}/unpost", status=409)
    assert back["code"] == "balance_shortage"
    assert {s["resource"] for s in back["details"]["shortfalls"]} == {"quantity", "cost"}
    assert (await api.get(f"/api/documents/goods-receipts/{arrived['id']}"))["posted"] is True
    assert await stock(api, clinic, clinic.goods) == ("0", "0")
