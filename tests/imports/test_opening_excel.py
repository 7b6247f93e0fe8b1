"""Issue 19 points 2 and 5: «Заполнить из Excel» of «Ввод начальных остатков». A section's rows are
read from a workbook (references by code, article, INN, account number or name), every bad row is
named with what is wrong, a bad file is one Russian 4xx, and nothing is ever written until the user
writes the document — over the REST API and on the document's form."""

from __future__ import annotations

import re

import pytest

from tests.clinic.conftest import counts
from tests.clinic.test_service_rendering import debt, stock
from tests.imports.conftest import xlsx
from tests.imports.test_bad_files import CASES

FILL = "/api/documents/opening-balances/fill-from-excel"


async def fill(client, headers, content: bytes, section: str, org: int | None = None, status: int = 200,
               filename: str = "остатки.xlsx") -> dict:
    data = {"section": section, **({"organization_id": str(org)} if org else {})}
    r = await client.post(FILL, headers=headers, files={"file": (filename, content)}, data=data)
    assert r.status_code == status, f"{r.status_code} {r.text[:2000]}"
    return r.json()


def problems(answer: dict) -> dict[int, list[str]]:
    return {r["row"]: [f"{e['column']}: {e['message']}" for e in r["errors"]] for r in answer["rows"] if r["errors"]}


async def test_a_stock_file_fills_the_lines_that_post_to_the_balances(client, admin, api, clinic, db):
    gloves = await api.item("nomenclature", {"name": "Перчатки нитриловые", "kind": "goods", "article": "GL-7"})
    code = int((await api.get(f"/api/catalogs/nomenclature/{clinic.goods}"))["code"])  # Excel drops the zeros
    content = xlsx(["Склад", "Номенклатура", "Количество", "Сумма"],
                   ["Основной склад", code, 40, 400],
                   ["основной  склад", "GL-7", "2,5", 123.45],
                   ["Основной склад", "ПЕРЧАТКИ НИТРИЛОВЫЕ", 0.1 + 0.2, 0.1 + 0.2])  # binary fractions of Excel
    before = await counts(db)
    answer = await fill(client, admin, content, "stock")
    assert (answer["errors"], answer["total"], answer["sheet"]) == (0, 3, "Лист1")
    assert [(ln["warehouse_id"], ln["nomenclature_id"], ln["quantity"], ln["balance"]) for ln in answer["lines"]] == [
        (clinic.warehouse, clinic.goods, "40.000", "400.00"), (clinic.warehouse, gloves["id"], "2.500", "123.45"),
        (clinic.warehouse, gloves["id"], "0.300", "0.30")]
    assert answer["rows"][1]["names"] == {"warehouse_id": "Основной склад", "nomenclature_id": "Перчатки нитриловые"}
    assert await counts(db) == before  # nothing is written by reading

    doc = await api.create("opening-balances", {"date": "2021-11-30T23:00:00", "organization_id": clinic.org,
                                                "section": "stock", "lines": answer["lines"]}, post=True)
    assert doc["posted"] is True
    assert await stock(api, clinic, clinic.goods) == ("40.000", "400.00")
    assert await stock(api, clinic, gloves["id"]) == ("2.800", "123.75")


async def test_every_bad_row_is_named_and_no_line_is_given(client, admin, api, clinic, db):
    content = xlsx(["Склад", "Номенклатура", "Количество", "Сумма"],
                   ["Основной склад", "Шприц 5 мл", 1, 10],
                   ["Основной склад", "Бинт 7×14", 1, 10],
                   ["Основной склад", "Приём терапевта", 1, 10],
                   ["Основной склад", "Шприц 5 мл", "много", 10],
                   ["Основной склад", "Шприц 5 мл", -3, -1],
                   ["Чердак", "Шприц 5 мл", 1, None],
                   [None, "Шприц 5 мл", 1e12, 5])
    before = await counts(db)
    answer = await fill(client, admin, content, "stock")
    assert (answer["errors"], answer["lines"]) == (6, [])
    assert problems(answer) == {
        3: ["Номенклатура: Номенклатура «Бинт 7×14» не найдена (ищется по коду, артикулу, наименованию)"],
        4: ["Номенклатура: «Приём терапевта» — услуга, ввести остатком можно только товар"],
        5: ["Количество: ожидается число (в ячейке «много»)"],
        6: ["Количество: количество должно быть больше нуля",
            "Сумма: сумма (себестоимость остатка) не может быть отрицательной"],
        7: ["Склад: Склад «Чердак» не найден (ищется по коду, наименованию)", "Сумма: не заполнено"],
        8: ["Количество: слишком большое число (в ячейке «1000000000000»)", "Склад: не заполнено"]}
    assert await counts(db) == before


async def test_debts_and_money_by_inn_name_and_account_number(client, admin, api, clinic, db):
    clients = await fill(client, admin, xlsx(["Контрагент", "Сумма долга"], ["Иванов Иван Иванович", 1500],
                                             ["7812345675", -250.5]), "clients")
    assert [(ln["client_id"], ln["balance"]) for ln in clients["lines"]] == [(clinic.client, "1500.00"),
                                                                            (clinic.supplier, "-250.50")]
    suppliers = await fill(client, admin, xlsx(["Поставщик", "Сумма"], ["ООО «МедСнаб»", 7300.5]), "suppliers")
    assert [(ln["supplier_id"], ln["balance"]) for ln in suppliers["lines"]] == [(clinic.supplier, "7300.50")]

    stranger = await api.item("organizations", {"name": "Другая", "full_name": "ООО «Другая»", "inn": "7728168971",
                                                "kpp": "772801001", "vat_rate": "none", "number_prefix": "Д"})
    await api.item("cash-desks", {"name": "Касса филиала", "organization_id": stranger["id"]})
    content = xlsx(["Касса", "Банковский счёт", "Сумма"], ["Основная касса", None, 12000],
                   [None, "40702810938000000001", 250000], ["Касса филиала", None, 5], [None, None, 7])
    money = await fill(client, admin, content, "money", clinic.org)
    assert problems(money) == {
        4: ["Касса: Касса «Касса филиала» не найдена у организации документа (ищется по коду, наименованию)"],
        5: ["Касса: укажите кассу или банковский счёт"]}
    good = await fill(client, admin, content[:0] + xlsx(["Касса", "Банковский счёт", "Сумма"],
                                                        ["Основная касса", None, 12000],
                                                        [None, "40702810938000000001", 250000]), "money", clinic.org)
    assert [(ln["cash_desk_id"], ln["bank_account_id"], ln["balance"]) for ln in good["lines"]] == [
        (clinic.desk, None, "12000.00"), (None, clinic.account, "250000.00")]
    refused = await fill(client, admin, content, "money", status=422)
    assert refused["details"]["fields"] == {"organization_id": "укажите организацию: кассы и счета ищутся у неё"}

    await api.create("opening-balances", {"date": "2021-11-30T23:00:00", "organization_id": clinic.org,
                                          "section": "clients", "lines": clients["lines"]}, post=True)
    assert await debt(api, clinic) == "1500.00"


async def test_a_file_without_the_section_s_columns_is_refused_whole(client, admin, clinic):
    refused = await fill(client, admin, xlsx(["Наименование", "Цена"], ["Шприц", 5]), "stock", status=422)
    assert refused["code"] == "missing_columns"
    assert refused["message"] == (
        "В файле нет колонок «Склад», «Количество», «Сумма». Для раздела «Товары на складах» первая строка листа"
        " называет колонки: «Склад», «Номенклатура», «Количество», «Сумма»")


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_bad_file_is_a_russian_4xx_and_nothing_is_written(client, admin, clinic, db, name):
    content, code, words = CASES[name]
    before = await counts(db)
    refused = await fill(client, admin, content, "stock", status=422)
    assert (refused["code"], words in refused["message"]) == (code, True), refused
    assert await counts(db) == before


async def test_a_100_mb_file_is_refused_as_too_large_over_the_api_and_on_the_form(client, admin, browser, clinic, db):
    huge = b"PK\x03\x04" + bytes(100 * 1024 * 1024)
    before = await counts(db)
    refused = await fill(client, admin, huge, "stock", status=413)
    assert refused["code"] == "file_too_large" and "Файл слишком большой" in refused["message"]
    await browser.get("/documents/opening-balances/new")
    page = await browser.client.post("/documents/opening-balances/new", files={"excel_file": ("big.xlsx", huge)},
                                     data={"_csrf_token": browser.token, "action": "excel"})
    assert page.status_code == 413 and "Файл слишком большой" in page.text and "не больше 10 МБ" in page.text
    assert await counts(db) == before


async def test_only_those_who_write_documents_may_fill_one(client, users, clinic):
    manager = await users.headers("manager")
    r = await client.post(FILL, headers=manager, files={"file": ("a.xlsx", b"x")}, data={"section": "stock"})
    assert r.status_code == 403


# -- the form ------------------------------------------------------------------------------------------------

def _form_fields(clinic, section: str, action: str) -> dict:
    return {"_csrf_token": "", "action": action, "date": "2021-11-30T23:00", "organization_id": str(clinic.org),
            "section": section, "comment": ""}


async def test_the_form_fills_a_section_from_excel_and_posts_it(browser, clinic, db):
    page = await browser.get("/documents/opening-balances/new")
    assert 'enctype="multipart/form-data"' in page.text and 'name="excel_file"' in page.text
    assert "Заполнить из Excel" in page.text and "Раздел учёта" in page.text
    # the stock section shows its own columns; the other sections' columns are hidden
    assert re.search(r'<th[^>]*data-shown-field="section" data-shown-values="stock"\s*>Склад', page.text)
    assert re.search(r'<th[^>]*data-shown-values="clients" hidden>Клиент', page.text)

    before = await counts(db)
    content = xlsx(["Склад", "Номенклатура", "Количество", "Сумма"], ["Основной склад", "Шприц 5 мл", 40, 400])
    fields = {**_form_fields(clinic, "stock", "excel"), "_csrf_token": browser.token}
    filled = await browser.client.post("/documents/opening-balances/new", data=fields,
                                       files={"excel_file": ("остатки.xlsx", content)})
    assert filled.status_code == 200, filled.text[:2000]
    assert "Табличная часть заполнена из Excel: строк 1" in filled.text
    assert 'name="lines-0-quantity" value="40"' in filled.text and "Шприц 5 мл" in filled.text
    assert f'name="lines-0-nomenclature_id" value="{clinic.goods}"' in filled.text
    assert await counts(db) == before  # filled, not written

    bad = xlsx(["Склад", "Номенклатура", "Количество", "Сумма"], ["Основной склад", "Бинт", 1, 1])
    refused = await browser.client.post("/documents/opening-balances/new", data=fields,
                                        files={"excel_file": ("остатки.xlsx", bad)})
    assert refused.status_code == 422
    assert "в файле есть ошибки" in refused.text and "Строка 2, «Номенклатура»" in refused.text
    broken = await browser.client.post("/documents/opening-balances/new", data=fields,
                                       files={"excel_file": ("price.xls", CASES["xls"][0])})
    assert broken.status_code == 422 and "старом формате Excel 97–2003" in broken.text
    assert await counts(db) == before

    posted = await browser.client.post("/documents/opening-balances/new", data={
        **fields, "action": "post", "lines-0-warehouse_id": str(clinic.warehouse),
        "lines-0-nomenclature_id": str(clinic.goods), "lines-0-quantity": "40", "lines-0-balance": "400,00",
        "lines-0-client_id": "999"}, files={"excel_file": ("", b"")}, follow_redirects=False)
    assert posted.status_code == 303, re.findall(r"has-error.{0,600}", posted.text, re.S)
    rows = await db.fetch("SELECT quantity, cost FROM reg_stock_balance WHERE nomenclature_id = $1", clinic.goods)
    assert [(str(r["quantity"]), str(r["cost"])) for r in rows] == [("40.000", "400.00")]
    # a hidden column of another section is not kept
    assert await db.fetchval("SELECT client_id FROM doc_opening_balances_lines") is None


async def test_the_list_its_excel_the_movements_and_the_pickers(browser, login_as, api, clinic, db):
    stranger = await api.item("organizations", {"name": "Другая", "full_name": "ООО «Другая»", "inn": "7728168971",
                                                "kpp": "772801001", "vat_rate": "none", "number_prefix": "Д"})
    await api.item("cash-desks", {"name": "Касса филиала", "organization_id": stranger["id"]})
    doc = await api.create("opening-balances", {"date": "2021-11-30T23:00:00", "organization_id": clinic.org,
                                                "section": "money",
                                                "lines": [{"cash_desk_id": clinic.desk, "balance": "12000"}]},
                           post=True)
    index = (await browser.get("/documents")).text
    assert "Ввод начальных остатков" in index and 'href="/documents/opening-balances"' in index
    listed = (await browser.get("/documents/opening-balances")).text
    assert doc["number"] in listed and "Денежные средства" in listed  # the section by its label
    export = await browser.get("/documents/opening-balances/export.xlsx")
    assert export.content.startswith(b"PK") and "spreadsheetml" in export.headers["content-type"]

    form = (await browser.get(f"/documents/opening-balances/{doc['id']}")).text
    assert re.search(r'<th[^>]*data-shown-values="money"\s*>Касса', form)
    assert re.search(r'<th[^>]*data-shown-values="stock" hidden>Склад', form)
    moves = (await browser.get(f"/documents/opening-balances/{doc['id']}/movements")).text
    assert "Денежные средства" in moves and "Основная касса" in moves
    assert re.search(r"12\s000,00", moves)

    # a line's picker offers goods only, and the cash desks of the organization typed in the header
    goods = (await browser.get("/lookup/nomenclature", params={"field": "opening-balances.nomenclature_id",
                                                                "q": ""})).text
    assert "Шприц 5 мл" in goods and "Приём терапевта" not in goods
    desks = (await browser.get("/lookup/cash-desks", params={"field": "opening-balances.cash_desk_id",
                                                              "organization_id": str(clinic.org)})).text
    assert "Основная касса" in desks and "Касса филиала" not in desks

    await browser.post("/locale", {"lang": "en", "next": "/documents"})
    english = (await browser.get("/documents/opening-balances/new")).text
    assert "Opening balances" in english and "Fill from Excel" in english and "Section of the books" in english

    manager = await login_as("manager")
    assert "Ввод начальных остатков" in (await manager.get("/documents/opening-balances")).text
    await manager.get("/documents/opening-balances/new", status=403)
