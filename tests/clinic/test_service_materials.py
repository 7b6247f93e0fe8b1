"""Материалы услуги (issue 16 point 4): a service lists the goods it consumes; posting a rendering of
it writes them off the rendering's warehouse at the moving-average cost without billing the client,
a shortage lists every short item (goods lines and materials together) and writes nothing, the cost
goes to the sales register, unposting gives the materials back, and a catalog edit of the list
leaves posted renderings alone until they are re-posted (which reads the list in force then)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from erp.configuration import registry
from erp.documents import service_rendering
from erp.platform.document import Doc
from erp.platform.errors import ErpError
from erp.platform.posting import Engine
from erp.platform.posting.inputs import Inputs
from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import debt, receipt, rendering, stock
from tests.ui.conftest import browser, login_as  # noqa: F401  (the UI's fixtures, for the form tests)
from tests.ui.test_reports import sheet_rows

ITEM = "/api/catalogs/nomenclature"
KIND = "/api/documents/service-renderings"


async def gloves(api) -> int:
    return (await api.item("nomenclature", {"name": "Перчатки", "kind": "goods", "price": "15"}))["id"]


async def with_materials(api, service: int, *rows: tuple[int, str]) -> dict:
    return await api.patch(f"{ITEM}/{service}",
                           {"materials": [{"nomenclature_id": n, "quantity": q} for n, q in rows]})


def line(item: int, quantity: str = "1", price: str = "1500") -> dict:
    return {"nomenclature_id": item, "quantity": quantity, "price": price}


async def sales_cost(api, clinic) -> list[tuple]:
    rows = await api.turnovers("sales", start="2021-12-01", end="2021-12-31")
    return sorted((r["nomenclature_id"], r["amount"], r["cost"]) for r in rows)


async def test_the_materials_are_a_tabular_part_of_the_service_read_and_replaced_through_the_api(api, clinic):
    glove = await gloves(api)
    item = await with_materials(api, clinic.service, (clinic.goods, "2"), (glove, "0.5"))
    assert [(m["line_no"], m["nomenclature_id"], m["quantity"]) for m in item["materials"]] == [
        (1, clinic.goods, "2.000"), (2, glove, "0.500")]
    read = await api.get(f"{ITEM}/{clinic.service}")
    assert read["materials"] == item["materials"]
    # a PATCH without the list leaves it; with it, replaces it as a whole
    renamed = await api.patch(f"{ITEM}/{clinic.service}", {"name": "Приём терапевта (первичный)"})
    assert len(renamed["materials"]) == 2
    replaced = await with_materials(api, clinic.service, (glove, "1"))
    assert [(m["nomenclature_id"], m["quantity"]) for m in replaced["materials"]] == [(glove, "1.000")]
    # a new service comes with its list; an item read back can be sent back as it is
    created = await api.item("nomenclature", {"name": "Перевязка", "kind": "service",
                                              "materials": [{"nomenclature_id": glove, "quantity": "2"}]})
    assert [(m["nomenclature_id"], m["quantity"]) for m in created["materials"]] == [(glove, "2.000")]
    again = await api.patch(f"{ITEM}/{created['id']}", created)
    assert again["materials"] == created["materials"]
    # a good used as a material is not deleted outright
    refused = await api.call("DELETE", f"{ITEM}/{glove}", status=409)
    assert refused["code"] == "item_in_use"


async def test_bad_materials_are_a_422_naming_every_row_and_nothing_is_written(api, db, clinic):
    glove = await gloves(api)
    other = await api.item("nomenclature", {"name": "Массаж", "kind": "service"})
    await with_materials(api, clinic.service, (glove, "1"))
    before = await counts(db)
    refused = await api.patch(f"{ITEM}/{clinic.service}", {"materials": [
        {"nomenclature_id": clinic.goods, "quantity": "0"},
        {"nomenclature_id": other["id"], "quantity": "1"},
        {"nomenclature_id": clinic.service, "quantity": "1"},
        {"nomenclature_id": glove, "quantity": "-1"},
        {"nomenclature_id": glove, "quantity": "1"},
    ]}, status=422)
    fields = refused["details"]["fields"]
    assert fields["materials[0].quantity"] == "количество должно быть больше нуля"
    assert fields["materials[3].quantity"] == "количество должно быть больше нуля"
    assert fields["materials[4].nomenclature_id"] == "этот материал уже есть в списке"
    assert await counts(db) == before
    missing = await api.patch(f"{ITEM}/{clinic.service}", {"materials": [{"nomenclature_id": 999999, "quantity": "1"}]},
                              status=422)
    assert list(missing["details"]["fields"]) == ["materials[0].nomenclature_id"]
    # once the quantities are right, the references are judged: a service, the service itself
    refused = await api.patch(f"{ITEM}/{clinic.service}", {"materials": [
        {"nomenclature_id": other["id"], "quantity": "1"}, {"nomenclature_id": clinic.service, "quantity": "1"}]},
        status=422)
    assert refused["details"]["fields"] == {
        "materials[0].nomenclature_id": "«Массаж» — услуга: материалами могут быть только товары",
        "materials[1].nomenclature_id": "услуга не может быть собственным материалом"}
    # goods have no materials
    refused = await api.patch(f"{ITEM}/{clinic.goods}", {"materials": [{"nomenclature_id": glove, "quantity": "1"}]},
                              status=422)
    assert refused["details"]["fields"] == {"materials": "материалы бывают только у услуг: у товара их нет"}
    assert [m["nomenclature_id"] for m in (await api.get(f"{ITEM}/{clinic.service}"))["materials"]] == [glove]


async def test_a_rendering_writes_the_materials_off_at_the_average_cost_and_bills_only_the_service(api, clinic):
    glove = await gloves(api)
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), (glove, "6", "15.00"))
    await with_materials(api, clinic.service, (clinic.goods, "2"), (glove, "0.5"))
    doc = await api.create("service-renderings", rendering(clinic, line(clinic.service, "2"),
                                                           line(clinic.goods, "1", "25")), post=True)
    assert doc["amount_total"] == "3025.00"  # the client pays for the service and the syringe sold, not the materials
    assert await debt(api, clinic) == "3025.00"
    # 1 syringe sold + 2 × 2 used; 2 × 0.5 gloves used
    assert await stock(api, clinic, clinic.goods) == ("5.000", "50.00")
    assert await stock(api, clinic, glove) == ("5.000", "75.00")
    moves = await api.get(f"{KIND}/{doc['id']}/movements")
    assert [(m["nomenclature_id"], m["quantity"], m["cost"]) for m in moves["stock"]] == [
        (clinic.goods, "1.000", "10.00"), (clinic.goods, "4.000", "40.00"), (glove, "1.000", "15.00")]
    # the cost of sales: the syringe's own, the service's materials
    assert await sales_cost(api, clinic) == sorted([(clinic.service, "3000.00", "55.00"),
                                                    (clinic.goods, "25.00", "10.00")])
    # unposting gives the materials back
    await api.post(f"{KIND}/{doc['id']}/unpost")
    assert await stock(api, clinic, clinic.goods) == ("10.000", "100.00")
    assert await stock(api, clinic, glove) == ("6.000", "90.00")


async def test_a_shortage_of_materials_lists_every_short_item_and_writes_nothing(api, db, clinic):
    glove = await gloves(api)
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    await with_materials(api, clinic.service, (clinic.goods, "2"), (glove, "1"))
    before = await counts(db)
    short = await api.create("service-renderings", rendering(clinic, line(clinic.service, "1"),
                                                             line(clinic.goods, "2", "25")), status=409, post=True)
    assert short["code"] == "balance_shortage"
    assert [(s["dimensions"]["nomenclature_id"], s["available"], s["required"])
            for s in short["details"]["shortfalls"]] == [(clinic.goods, "3.000", "4.000"), (glove, "0.000", "1.000")]
    assert short["message"] == ("Недостаточно товара на складе «Основной склад» — «Шприц 5 мл»: доступно 3.000, "
                                "требуется 4.000; «Перчатки»: доступно 0.000, требуется 1.000")
    assert await counts(db) == before
    # a service with materials needs a warehouse
    no_store = {**rendering(clinic, line(clinic.service)), "warehouse_id": None}
    refused = await api.create("service-renderings", no_store, status=422, post=True)
    assert refused["details"]["fields"] == {"warehouse_id": "услуги документа списывают материалы: укажите склад"}
    assert await counts(db) == before


async def test_a_catalog_edit_leaves_a_posted_rendering_alone_and_a_re_post_reads_the_list_in_force(api, clinic):
    glove = await gloves(api)
    await receipt(api, clinic, (clinic.goods, "10", "10.00"), (glove, "10", "15.00"))
    await with_materials(api, clinic.service, (clinic.goods, "1"))
    doc = await api.create("service-renderings", rendering(clinic, line(clinic.service)), post=True)
    await with_materials(api, clinic.service, (glove, "2"))
    # the posted rendering still took what the list said when it was posted
    moves = await api.get(f"{KIND}/{doc['id']}/movements")
    assert [(m["nomenclature_id"], m["quantity"]) for m in moves["stock"]] == [(clinic.goods, "1.000")]
    assert await stock(api, clinic, clinic.goods) == ("9.000", "90.00")
    # re-posting it (as 1C does) writes off the list in force: the syringe comes back, the gloves go
    await api.put(f"{KIND}/{doc['id']}", {**doc, "comment": "исправлено"})
    moves = await api.get(f"{KIND}/{doc['id']}/movements")
    assert [(m["nomenclature_id"], m["quantity"]) for m in moves["stock"]] == [(glove, "2.000")]
    assert (await stock(api, clinic, clinic.goods), await stock(api, clinic, glove)) == (
        ("10.000", "100.00"), ("8.000", "120.00"))


def test_the_rule_takes_materials_after_the_goods_lines_from_one_balance():
    """Posting rules on plain data: a material and a goods line of one item draw on the same balance in
    turn, and the last unit takes the last kopeck."""
    moment = dt.datetime(2021, 12, 22, 12, tzinfo=dt.UTC)
    doc = Doc(kind="service-renderings", id=1, number="", date=moment, posted=True, deletion_mark=False,
              header={"organization_id": 1, "client_id": 1, "doctor_id": 1, "warehouse_id": 7,
                      "amount_total": D("1525.00")},
              lines=({"nomenclature_id": 2, "quantity": D("1"), "amount": D("25.00")},
                     {"nomenclature_id": 1, "quantity": D("2"), "amount": D("1500.00")}))
    inputs = Inputs({"organization": {"vat_rate": "none"}, "warehouse": {"name": "Склад"},
                     "items": {1: {"kind": "service", "name": "Приём"}, 2: {"kind": "goods", "name": "Шприц"}},
                     "stock": {(7, 1): {"quantity": D(0), "cost": D(0)},
                               (7, 2): {"quantity": D(3), "cost": D("10.00")}},
                     "materials": {1: [{"nomenclature_id": 2, "quantity": D("1"), "kind": "goods", "name": "Шприц"}]},
                     "material_stock": {(7, 2): {"quantity": D(3), "cost": D("10.00")}}})
    moves = service_rendering.movements(doc, inputs)
    by_register = {reg.name: recs for reg, recs in moves.items()}
    assert [(m.dimensions["nomenclature_id"], m.resources["quantity"], m.resources["cost"])
            for m in by_register["stock"]] == [(2, D("1"), D("3.33")), (2, D("2.000"), D("6.67"))]
    assert [(m.dimensions["nomenclature_id"], m.resources["cost"]) for m in by_register["sales"]] == [
        (2, D("3.33")), (1, D("6.67"))]


async def test_the_item_form_edits_the_materials_and_shows_a_bad_row_in_its_cell(browser, api, db, clinic):  # noqa: F811
    glove = await gloves(api)
    form = (await browser.get(f"/catalogs/nomenclature/{clinic.service}")).text
    assert "Материалы услуги" in form and 'data-lines="materials"' in form
    fields = {"name": "Приём терапевта", "kind": "service", "unit": "усл", "article": "", "vat_rate": "none",
              "price": "1 500,00", "duration_minutes": "", "parent_id": "",
              "materials-0-nomenclature_id": str(clinic.goods), "materials-0-quantity": "2",
              "materials-1-nomenclature_id": "", "materials-1-quantity": "",  # an empty row is dropped
              "materials-2-nomenclature_id": str(glove), "materials-2-quantity": "0,5"}
    r = await browser.post(f"/catalogs/nomenclature/{clinic.service}", fields)
    assert r.status_code == 303
    item = await api.get(f"{ITEM}/{clinic.service}")
    assert [(m["nomenclature_id"], m["quantity"]) for m in item["materials"]] == [(clinic.goods, "2.000"),
                                                                                  (glove, "0.500")]
    page = (await browser.get(f"/catalogs/nomenclature/{clinic.service}")).text
    assert 'name="materials-1-quantity" value="0.5"' in page and "Перчатки" in page
    before = await counts(db)
    refused = await browser.post(f"/catalogs/nomenclature/{clinic.service}",
                                 {**fields, "materials-2-quantity": "0"}, status=422)
    # the error lands in the row the user typed it in (the third, the empty second one notwithstanding)
    cell = refused.text[refused.text.index('name="materials-2-quantity"'):][:600]
    assert "количество должно быть больше нуля" in cell
    assert await counts(db) == before


async def test_the_sales_report_shows_cost_margin_and_margin_percent(browser, api, clinic):  # noqa: F811
    glove = await gloves(api)
    await receipt(api, clinic, (glove, "10", "15.00"))
    await with_materials(api, clinic.service, (glove, "2"))
    await api.create("service-renderings", rendering(clinic, line(clinic.service, "2", "100")), post=True)
    period = "start=2021-12-01&end=2021-12-31"
    for group in ("service", "doctor", "client"):
        rows = sheet_rows((await browser.get(f"/reports/sales?{period}&group={group}&format=xlsx")).content)
        assert rows[0][1:] == ("Количество", "Сумма", "НДС", "Себестоимость", "Маржа", "Маржа, %")
        # 200 revenue (no VAT), 4 gloves at 15.00 = 60.00 cost: 140.00 margin, 70 %
        assert [float(v) for v in rows[1][2:]] == [200.0, 0.0, 60.0, 140.0, 70.0]
    page = (await browser.get(f"/reports/sales?{period}&group=service")).text.replace("\xa0", " ")
    row = page[page.index("<tbody>"):]
    assert "Приём терапевта" in row and "60,00" in row and "140,00" in row and "70" in row


async def test_a_batch_posts_and_re_posts_materials_and_a_later_rendering_sees_what_an_earlier_one_took(
        api, db, clinic, settings):
    glove = await gloves(api)
    await receipt(api, clinic, (glove, "3", "10.00"))
    await with_materials(api, clinic.service, (glove, "1"))
    engine = Engine(registry(), settings)
    kind = registry().documents["service-renderings"]
    docs = await engine.create_many(db, kind, [
        rendering(clinic, line(clinic.service, "1"), date="2021-12-20T10:00:00"),
        rendering(clinic, line(clinic.service, "2"), date="2021-12-21T10:00:00")], post=True)
    assert [d.posted for d in docs] == [True, True]
    assert await stock(api, clinic, glove) == ("0", "0")
    moves = await api.get(f"{KIND}/{docs[1].id}/movements")
    assert [(m["quantity"], m["cost"]) for m in moves["stock"]] == [("2.000", "20.00")]
    # re-posting both reads their materials and balances once, and gives the same
    reads: list[str] = []
    db.add_query_logger(lambda record: reads.append(record.query))
    await engine.repost(db, kind, [d.id for d in docs])
    assert len([q for q in reads if "jsonb_array_elements" in q]) == 1
    assert [(m["quantity"], m["cost"]) for m in (await api.get(f"{KIND}/{docs[1].id}/movements"))["stock"]] == [
        ("2.000", "20.00")]
    assert await stock(api, clinic, glove) == ("0", "0")
    # a third would find nothing left: the batch is refused as a whole, naming the short material
    with pytest.raises(ErpError) as refused:
        await engine.create_many(db, kind, [rendering(clinic, line(clinic.service, "1"))], post=True)
    assert refused.value.code == "balance_shortage"
    assert "«Перчатки»: доступно 0.000, требуется 1.000" in refused.value.message
