"""Выгрузка в 1С:Бухгалтерию (issue 19, points 3 and 6): an organization's posted documents of a period —
renderings as «Реализация (акт)», invoices, cash and bank payments, goods receipts — with the clients and
items they name, as an EnterpriseData 1.8 file that validates against the official format's schema (the
part we write, transcribed from 1C's XDTO package into ``xsd/``). Every object keeps its «Ссылка»: a second
export names it the same, an unchanged object is not sent again (unless everything is asked for), an
edited client is, with its old «Ссылка». Bad input writes nothing."""

from __future__ import annotations

import copy
from decimal import Decimal as D

from erp import demo
from tests.clinic.conftest import make_clinic

from .conftest import ED, objects, schema, valid

PAGE = "/admin/enterprise-data"
DAY = "2026-11-20"


async def documents(api, clinic) -> dict:
    """One posted document of each kind in November, plus what must stay out: a draft, a December
    rendering, another organization's rendering."""
    receipt = await api.create("goods-receipts", {
        "date": f"{DAY}T09:00:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
        "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "20.00"}]}, post=True)
    rendering = {"organization_id": clinic.org, "client_id": clinic.client, "doctor_id": clinic.efimova,
                 "warehouse_id": clinic.warehouse,
                 "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500.00"},
                           {"nomenclature_id": clinic.goods, "quantity": "2", "price": "25.00"}]}
    act = await api.create("service-renderings", {"date": f"{DAY}T10:00:00", **rendering}, post=True)
    bill = await api.create("invoices", {
        "date": f"{DAY}T11:00:00", "organization_id": clinic.org, "client_id": clinic.supplier,
        "bank_account_id": clinic.account,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "2", "price": "1500.00"}]}, post=True)
    cash = await api.create("payments", {"date": f"{DAY}T12:00:00", "organization_id": clinic.org,
                                         "client_id": clinic.client, "amount": "1550.00", "method": "cash",
                                         "cash_desk_id": clinic.desk}, post=True)
    bank = await api.create("payments", {"date": f"{DAY}T13:00:00", "organization_id": clinic.org,
                                         "client_id": clinic.supplier, "amount": "3000.00", "method": "bank",
                                         "bank_account_id": clinic.account,
                                         "invoice_id": bill["id"]}, post=True)
    await api.create("service-renderings", {"date": f"{DAY}T15:00:00", **rendering})  # a draft
    await api.create("service-renderings", {"date": "2026-12-01T10:00:00", **rendering}, post=True)
    other = await api.item("organizations", {"name": "Вторая клиника", "inn": "7736050003", "kpp": "773601001"})
    await api.create("service-renderings", {"date": f"{DAY}T16:00:00", **rendering, "organization_id": other["id"]},
                     post=True)
    return {"receipt": receipt, "act": act, "invoice": bill, "cash": cash, "bank": bank}


async def download(browser, org, *, start="2026-11-01", end="2026-11-30", only_changed=True):
    form = {"organization": str(org), "start": start, "end": end}
    if only_changed:
        form["only_changed"] = "on"
    r = await browser.post(PAGE, form, status=200)
    assert r.headers["content-type"].startswith("application/xml")
    assert "attachment" in r.headers["content-disposition"]
    return valid(r.content)


async def test_a_period_of_the_clinic_exports_every_kind_and_validates(browser, api, clinic):
    await documents(api, clinic)
    root = await download(browser, clinic.org)
    kinds = [kind for kind, _ref in objects(root)]
    assert kinds == ["Справочник.Контрагенты"] * 2 + ["Справочник.Номенклатура"] * 2 + [
        "Документ.РеализацияТоваровУслуг", "Документ.СчетПокупателю", "Документ.ПКОРасчетыСКонтрагентами",
        "Документ.ПБДСРасчетыСКонтрагентами", "Документ.ПоступлениеТоваровУслуг"]
    msg = "{http://www.1c.ru/SSL/Exchange/Message}"
    assert root.findtext(f"{msg}Header/{msg}Format") == "http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"
    assert root.findtext(f"{msg}Header/{msg}Confirmation/{msg}MessageNo") == "1"

    act = root.find(f"{ED}Body/{ED}Документ.РеализацияТоваровУслуг")
    assert act.findtext(f"{ED}КлючевыеСвойства/{ED}Номер") == "К0000000001"
    assert act.findtext(f"{ED}КлючевыеСвойства/{ED}Дата") == f"{DAY}T10:00:00"
    assert act.findtext(f"{ED}КлючевыеСвойства/{ED}Организация/{ED}ИНН") == "7707083893"
    assert act.findtext(f"{ED}Контрагент/{ED}Наименование") == "Иванов Иван Иванович"
    assert D(act.findtext(f"{ED}Сумма")) == D("1550.00")
    service = act.find(f"{ED}Услуги/{ED}Строка")
    assert service.findtext(f"{ED}Номенклатура/{ED}Наименование") == "Приём терапевта"
    assert (D(service.findtext(f"{ED}Сумма")), service.findtext(f"{ED}СтавкаНДС")) == (D("1500.00"), "БезНДС")
    assert act.find(f"{ED}Товары/{ED}Строка/{ED}Количество").text == "2.000"
    supplier = root.find(f"{ED}Body/{ED}Справочник.Контрагенты[2]/{ED}КлючевыеСвойства")
    assert (supplier.findtext(f"{ED}ИНН"), supplier.findtext(f"{ED}КПП"),
            supplier.findtext(f"{ED}ЮридическоеФизическоеЛицо")) == ("7812345675", "781201001", "ЮридическоеЛицо")
    goods = [el for el in root.iterfind(f"{ED}Body/{ED}Справочник.Номенклатура")
             if el.findtext(f"{ED}ТипНоменклатуры") == "Товар"]
    assert [g.findtext(f"{ED}КлючевыеСвойства/{ED}Наименование") for g in goods] == ["Шприц 5 мл"]
    # the document names its client by the same «Ссылка» the catalog object has
    client_ref = root.findtext(f"{ED}Body/{ED}Справочник.Контрагенты[1]/{ED}КлючевыеСвойства/{ED}Ссылка")
    assert act.findtext(f"{ED}Контрагент/{ED}Ссылка") == client_ref
    # what the format requires and we keep no data for: roubles by code, the client's main contract
    assert act.findtext(f"{ED}Валюта/{ED}ДанныеКлассификатора/{ED}Код") == "643"
    contract = act.find(f"{ED}ДанныеВзаиморасчетов/{ED}Договор")
    assert (contract.findtext(f"{ED}ВидДоговора"), contract.findtext(f"{ED}Контрагент/{ED}Ссылка"),
            contract.findtext(f"{ED}Наименование")) == ("СПокупателем", client_ref, "Основной договор")
    assert act.find(f"{ED}Товары/{ED}Строка/{ED}ДанныеНоменклатуры/{ED}Номенклатура/{ED}Наименование").text == (
        "Шприц 5 мл")
    # the bank payment names the account it came to; the goods receipt, the supplier's contract
    bank = root.find(f"{ED}Body/{ED}Документ.ПБДСРасчетыСКонтрагентами")
    assert bank.findtext(f"{ED}ОбщиеДанные/{ED}БанковскийСчетОрганизации/{ED}НомерСчета") == "40702810938000000001"
    assert bank.findtext(f"{ED}ОбщиеДанные/{ED}ДатаВыписки") == DAY
    assert D(bank.findtext(f"{ED}РасшифровкаПлатежа/{ED}Строка/{ED}Сумма")) == D("3000.00")
    cash = root.find(f"{ED}Body/{ED}Документ.ПКОРасчетыСКонтрагентами")
    assert cash.findtext(f"{ED}ОбщиеДанные/{ED}ПринятоОт") == "Иванов Иван Иванович"
    receipt = root.find(f"{ED}Body/{ED}Документ.ПоступлениеТоваровУслуг")
    assert (receipt.findtext(f"{ED}ВидОперации"),
            receipt.findtext(f"{ED}ДанныеВзаиморасчетов/{ED}Договор/{ED}ВидДоговора")) == (
        "ПокупкаУПоставщика", "СПоставщиком")


async def test_the_schema_rejects_what_the_format_does_not_allow(browser, api, clinic):
    """The check is real: the same file with a property out of order, a required one missing or a value
    outside an enumeration of the format fails the schema, each with the element it names."""
    await documents(api, clinic)
    good = await download(browser, clinic.org)
    check = schema()

    def broken(change) -> str:
        root = copy.deepcopy(good)
        change(root.find(f"{ED}Body/{ED}Документ.РеализацияТоваровУслуг"))
        assert not check.validate(root)
        return str(check.error_log)

    def swap_price_and_amount(act):
        row = act.find(f"{ED}Услуги/{ED}Строка")
        price = row.find(f"{ED}Цена")
        row.remove(price)
        row.find(f"{ED}Сумма").addprevious(price)

    def drop(name):
        return lambda act: act.remove(act.find(f"{ED}{name}"))

    def vat_18_percent(act):
        act.find(f"{ED}Услуги/{ED}Строка/{ED}СтавкаНДС").text = "НДС 18%"

    assert "Цена" in broken(swap_price_and_amount)
    assert "ДанныеВзаиморасчетов" in broken(drop("ДанныеВзаиморасчетов"))
    assert "ВидОперации" in broken(drop("ВидОперации"))
    assert "СтавкаНДС" in broken(vat_18_percent)
    assert check.validate(good)


async def test_a_bank_payment_without_its_account_is_refused(browser, api, clinic, db):
    """A bank receipt must name the organization's account (the format requires it): a posted payment
    that lost it is refused in Russian with its number, and nothing is written."""
    docs = await documents(api, clinic)
    await db.execute("UPDATE doc_payments SET bank_account_id = NULL WHERE id = $1", docs["bank"]["id"])
    r = await browser.post(PAGE, {"organization": str(clinic.org), "start": "2026-11-01", "end": "2026-11-30"},
                           status=422)
    assert f"в безналичной оплате № {docs['bank']['number']} не указан банковский счёт" in r.text
    assert await db.fetchval("SELECT count(*) FROM enterprise_data_exports") == 0


async def test_a_re_export_keeps_every_reference_and_sends_only_what_changed(browser, api, clinic):
    docs = await documents(api, clinic)
    first = objects(await download(browser, clinic.org))
    assert len({ref for _kind, ref in first}) == len(first) == 9

    assert objects(await download(browser, clinic.org)) == []  # nothing changed, nothing sent
    assert objects(await download(browser, clinic.org, only_changed=False)) == first  # all: the same refs

    await api.patch(f"/api/catalogs/clients/{clinic.client}", {"phone": "+7 900 000-00-00"})  # not in the file
    assert objects(await download(browser, clinic.org)) == []
    await api.patch(f"/api/catalogs/clients/{clinic.client}", {"name": "Иванов Иван Петрович"})
    again = await download(browser, clinic.org)
    # the client, and the documents that name it by its new name, each with the reference it had
    assert [kind for kind, _ref in objects(again)] == [
        "Справочник.Контрагенты", "Документ.РеализацияТоваровУслуг", "Документ.ПКОРасчетыСКонтрагентами"]
    assert set(objects(again)) <= set(first)
    assert again.findtext(f"{ED}Body/{ED}Справочник.Контрагенты/{ED}КлючевыеСвойства/{ED}Наименование") == (
        "Иванов Иван Петрович")

    # a posted act corrected (re-posted at another price): sent again under its reference, alone
    act = docs["act"]
    await api.put(f"/api/documents/service-renderings/{act['id']}", {
        **{k: act[k] for k in ("date", "organization_id", "client_id", "doctor_id", "warehouse_id")},
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1700.00"}]})
    corrected = await download(browser, clinic.org)
    assert objects(corrected) == [o for o in first if o[0] == "Документ.РеализацияТоваровУслуг"]
    assert corrected.findtext(f"{ED}Body/{ED}Документ.РеализацияТоваровУслуг/{ED}Сумма") == "1700.00"

    page = (await browser.get(PAGE)).text
    assert page.count("data-export=") == 6


async def test_the_log_shows_what_each_export_sent(browser, api, clinic, db):
    docs = await documents(api, clinic)
    await download(browser, clinic.org)
    export_id = await db.fetchval("SELECT max(id) FROM enterprise_data_exports")
    page = (await browser.get(PAGE, params={"export_id": export_id})).text
    assert "Клиника" in page and "Только изменённые" in page and "admin-user" in page  # who exported
    ref = await db.fetchval("SELECT ref::text FROM exchange_refs WHERE kind = 'service-renderings' AND object_id = $1",
                            docs["act"]["id"])
    assert f"<code>{ref}</code>" in page
    assert f"Оказание услуг № {docs['act']['number']} от 20.11.2026" in page


async def test_bad_input_is_refused_in_russian_and_writes_nothing(browser, api, clinic, db):
    await documents(api, clinic)
    cases = [({"start": "2026-11-30", "end": "2026-11-01"}, "конец периода раньше его начала"),
             ({"start": "2026-11-01", "end": "10000-01-01"}, "Конец периода"),
             ({"start": "", "end": "2026-11-30"}, "Начало периода: укажите дату"),
             ({"organization": "999999"}, "организация «999999» не найдена"),
             ({"organization": "'; DROP TABLE exchange_refs; --"}, "не найдена")]
    for change, message in cases:
        form = {"organization": str(clinic.org), "start": "2026-11-01", "end": "2026-11-30", **change}
        r = await browser.post(PAGE, form, status=422)
        assert message in r.text
    assert await db.fetchval("SELECT count(*) FROM enterprise_data_exports") == 0
    assert await db.fetchval("SELECT count(*) FROM exchange_refs") == 0


async def test_only_administrators_and_accountants_export(login_as, api, clinic):
    manager = await login_as("manager")
    await manager.get(PAGE, status=403)
    await manager.post(PAGE, {"organization": str(clinic.org), "start": "2026-11-01", "end": "2026-11-30"},
                       status=403)
    accountant = await login_as("accountant")
    page = (await accountant.get(PAGE)).text
    assert "Выгрузка в 1С:Бухгалтерию" in page
    r = await accountant.post(PAGE, {"organization": str(clinic.org), "start": "2026-11-01", "end": "2026-11-30"},
                              status=200)
    valid(r.content)


async def test_the_demo_exports_a_valid_file(browser, db, settings):
    async with db.transaction():
        for _title, step in demo.steps():
            await step(db, settings)
    org = await db.fetchval("SELECT id FROM cat_organizations ORDER BY id LIMIT 1")
    root = await download(browser, org, start="1900-01-01", end="9999-12-31")
    kinds = {kind for kind, _ref in objects(root)}
    assert kinds == {"Справочник.Контрагенты", "Справочник.Номенклатура", "Документ.РеализацияТоваровУслуг",
                     "Документ.СчетПокупателю", "Документ.ПКОРасчетыСКонтрагентами",
                     "Документ.ПБДСРасчетыСКонтрагентами", "Документ.ПоступлениеТоваровУслуг"}
    # idempotent: nothing again, everything again under the same references
    assert objects(await download(browser, org, start="1900-01-01", end="9999-12-31")) == []
    again = await download(browser, org, start="1900-01-01", end="9999-12-31", only_changed=False)
    assert objects(again) == objects(root)


async def test_a_second_organization_gets_its_own_messages(browser, api, clinic):
    await documents(api, clinic)
    await download(browser, clinic.org)
    other = await make_clinic(api)
    root = await download(browser, other.org)
    msg = "{http://www.1c.ru/SSL/Exchange/Message}"
    assert root.findtext(f"{msg}Header/{msg}Confirmation/{msg}MessageNo") == "1"
    assert objects(root) == []


async def test_a_sent_document_unposted_since_is_listed_for_the_accountant(browser, api, clinic):
    docs = await documents(api, clinic)
    await download(browser, clinic.org)
    assert "data-withdrawn" not in (await browser.get(PAGE)).text
    await api.post(f"/api/documents/payments/{docs['cash']['id']}/unpost")
    assert objects(await download(browser, clinic.org)) == []  # an unposted document is not in a message
    page = (await browser.get(PAGE)).text
    assert "Выгружены в 1С, а здесь больше не проведены" in page
    assert f"Поступление оплаты № {docs['cash']['number']} от 20.11.2026" in page
    await api.post(f"/api/documents/payments/{docs['cash']['id']}/post")
    assert "data-withdrawn" not in (await browser.get(PAGE)).text
