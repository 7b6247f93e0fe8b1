"""Issue 15 point 8: the cash orders КО-1 (приходный, ОКУД 0310001) for a payment taken into a cash
desk and КО-2 (расходный, ОКУД 0310002) for money paid out of one, laid out as the unified forms:
the number, the date, the accounts, the amount and the amount in words, who paid or receives it,
the basis, the signature lines and, in КО-1, the tear-off receipt. A bank payment has no cash order:
the menu does not offer one and the API refuses it in Russian."""

from __future__ import annotations

from tests.printing.conftest import Api, Clinic, generated_count, invoice_data, pdf_text
from tests.ui.conftest import login_as  # noqa: F401  (the UI's fixture)


async def desk(api: Api, clinic: Clinic) -> int:
    return (await api.item("cash-desks", {"name": "Касса регистратуры", "organization_id": clinic.org,
                                          "responsible": "Петрова О.Н."}))["id"]


def cash_payment(clinic: Clinic, desk_id: int, amount: str, **header) -> dict:
    return {"date": "2021-12-23T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
            "amount": amount, "method": "cash", "cash_desk_id": desk_id, **header}


async def test_ko1_prints_the_number_the_amount_in_words_and_the_receipt(api, clinic, db):
    desk_id = await desk(api, clinic)
    invoice = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1234.56")), post=True)
    paid = await api.create("payments", cash_payment(clinic, desk_id, "1234.56", invoice_id=invoice["id"]),
                            post=True)
    before = await generated_count(db)
    text = pdf_text(await api.pdf(f"/api/documents/payments/{paid['id']}/print/ko1"))
    assert "Унифицированная форма № КО-1" in text and "0310001" in text
    assert "ПРИХОДНЫЙ КАССОВЫЙ ОРДЕР" in text and "ООО «Клиника Здоровье»" in text
    assert "Номер документа Дата составления 1 23.12.2021" in text
    assert "50.01" in text and "62.01" in text and "1 234,56" in text
    assert "Принято от Иванов Иван Иванович" in text
    assert "Основание: Оплата по счёту № 1 от 22.12.2021" in text
    assert text.count("Одна тысяча двести тридцать четыре рубля 56 копеек") == 2, "the order and its receipt"
    assert "КВИТАНЦИЯ к приходному кассовому ордеру № 1 от 23 декабря 2021 г." in text
    assert "Сумма 1 234 руб. 56 коп." in text
    assert "Главный бухгалтер" in text and "Кузнецова Т.В." in text and "Получил кассир" in text
    assert "Петрова О.Н." in text and "Без налога (НДС)" in text
    assert await generated_count(db) == before + 1, "kept in the generated documents registry"
    listed = await api.get("/api/generated-documents", form="ko1")
    assert listed["items"][0]["file_name"] == "Приходный кассовый ордер № 1 от 23.12.2021.pdf"


async def test_ko2_prints_to_whom_the_basis_and_the_accounts_of_the_operation(api, clinic):
    desk_id = await desk(api, clinic)
    await api.create("payments", cash_payment(clinic, desk_id, "5000.00"), post=True)
    out = await api.create("outgoing-payments", {
        "date": "2021-12-24T11:00:00", "organization_id": clinic.org, "operation": "to_supplier", "method": "cash",
        "cash_desk_id": desk_id, "recipient_id": clinic.company, "amount": "2021.05",
        "purpose": "Оплата по счёту поставщика № 15 от 20.12.2021"}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/outgoing-payments/{out['id']}/print/ko2"))
    assert "Унифицированная форма № КО-2" in text and "0310002" in text
    assert "РАСХОДНЫЙ КАССОВЫЙ ОРДЕР" in text and "Номер документа Дата составления 1 24.12.2021" in text
    assert "60.01" in text and "50.01" in text and "2 021,05" in text
    assert "Выдать ООО «МедСнаб»" in text and "Основание: Оплата по счёту поставщика № 15 от 20.12.2021" in text
    assert "Две тысячи двадцать один рубль 05 копеек" in text
    assert "Руководитель организации" in text and "Смирнов А.А." in text and "Выдал кассир Петрова О.Н." in text

    refund = await api.create("outgoing-payments", {
        "date": "2021-12-24T12:00:00", "organization_id": clinic.org, "operation": "to_client", "method": "cash",
        "cash_desk_id": desk_id, "recipient_id": clinic.client, "amount": "100.00"}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/outgoing-payments/{refund['id']}/print/ko2"))
    assert "62.01" in text and "Выдать Иванов Иван Иванович" in text and "Сто рублей 00 копеек" in text
    assert "Основание: Оплата от покупателей" in text, "no purpose: the cash-flow item"


async def test_a_bank_payment_has_no_cash_order(api, clinic, db):
    paid = await api.create("payments", {"date": "2021-12-23T10:00:00", "organization_id": clinic.org,
                                         "client_id": clinic.client, "amount": "700.00", "method": "bank",
                                         "bank_account_id": clinic.account}, post=True)
    before = await generated_count(db)
    refused = await api.get(f"/api/documents/payments/{paid['id']}/print/ko1", status=422)
    assert refused["code"] == "not_a_cash_document"
    assert "оплата безналичная" in refused["message"] and "приходный кассовый ордер (КО-1)" in refused["message"]
    refused = await api.get(f"/api/documents/payments/{paid['id']}/print/ko1", status=422, format="html")
    assert refused["code"] == "not_a_cash_document"
    assert await generated_count(db) == before, "nothing kept"


async def test_the_print_menu_offers_a_cash_order_only_for_cash(login_as, clinic, api):  # noqa: F811
    desk_id = await desk(api, clinic)
    cash = await api.create("payments", cash_payment(clinic, desk_id, "300.00"), post=True)
    bank = await api.create("payments", {"date": "2021-12-23T10:00:00", "organization_id": clinic.org,
                                         "client_id": clinic.client, "amount": "300.00", "method": "bank",
                                         "bank_account_id": clinic.account}, post=True)
    browser = await login_as("admin")
    page = await browser.get(f"/documents/payments/{cash['id']}")
    assert "Приходный кассовый ордер" in page.text and f"/print/payments/{cash['id']}/ko1" in page.text
    page = await browser.get(f"/documents/payments/{bank['id']}")
    assert f"/print/payments/{bank['id']}/ko1" not in page.text and "Приходный кассовый ордер" not in page.text
