"""Issue 15 point 7: the reconciliation act (Акт сверки взаиморасчётов) of a client or a supplier
for a period — the opening balance, every rendering, payment (for an invoice too) and refund, or
every receipt and payment of a supplier, as a debit or a credit, the closing balance in figures and
in words, both parties' requisites and signature lines — as JSON, an HTML preview and a PDF kept in
the generated documents registry, emailed to the counterparty, and reached from the client card and
the supplier debts report. Bad input is a Russian 422 with a code, and nothing is kept."""

from __future__ import annotations

import io

import pdfplumber

from tests.printing.conftest import Api, Clinic, generated_count, invoice_data, rendering_data
from tests.printing.test_email import configure, smtp_server  # noqa: F401  (the SMTP fixture)
from tests.ui.conftest import login_as  # noqa: F401  (the UI's fixture)

ACT = "/api/reconciliation-acts"


def pdf_lines(content: bytes) -> list[str]:
    """The PDF's text, line by line, as pdfplumber lays it out."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [line for page in pdf.pages for line in (page.extract_text() or "").splitlines()]


async def history(api: Api, clinic: Clinic) -> dict:
    """Before the period a rendering of 1 000; in it a rendering of 1 500, an invoice of 500 paid by bank,
    300 paid in cash and 100 refunded in cash; after it another rendering."""
    desk = (await api.item("cash-desks", {"name": "Касса", "organization_id": clinic.org}))["id"]
    await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "1000"),
                                                          date="2021-11-20T10:00:00"), post=True)
    rendering = await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "1500"),
                                                                      date="2021-12-01T10:00:00"), post=True)
    invoice = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "500"),
                                                        date="2021-12-02T10:00:00"), post=True)
    await api.create("payments", {"date": "2021-12-03T10:00:00", "organization_id": clinic.org,
                                  "client_id": clinic.client, "amount": "500.00", "method": "bank",
                                  "bank_account_id": clinic.account, "invoice_id": invoice["id"]}, post=True)
    await api.create("payments", {"date": "2021-12-04T10:00:00", "organization_id": clinic.org,
                                  "client_id": clinic.client, "amount": "300.00", "method": "cash",
                                  "cash_desk_id": desk}, post=True)
    await api.create("outgoing-payments", {"date": "2021-12-05T10:00:00", "organization_id": clinic.org,
                                           "operation": "to_client", "method": "cash", "cash_desk_id": desk,
                                           "recipient_id": clinic.client, "amount": "100.00"}, post=True)
    await api.create("service-renderings", rendering_data(clinic, (clinic.service, "1", "700"),
                                                          date="2022-01-10T10:00:00"), post=True)
    return {"rendering": rendering, "desk": desk}


async def test_the_clients_act_lists_the_period_and_agrees_with_the_register(api, clinic, db):
    await history(api, clinic)
    period = {"counterparty_id": clinic.client, "start": "2021-12-01", "end": "2021-12-31"}
    act = await api.get(ACT, **period)
    assert (act["opening"], act["debit"], act["credit"], act["closing"]) == ("1000.00", "1600.00", "800.00",
                                                                              "1800.00")
    assert [(r["date"], r["document"], r["debit"], r["credit"]) for r in act["rows"]] == [
        ("2021-12-01", "Оказание услуг № 2 от 01.12.2021", "1500.00", "0.00"),
        ("2021-12-03", "Поступление оплаты № 1 от 03.12.2021 (оплата по счёту № 1 от 02.12.2021)", "0.00", "500.00"),
        ("2021-12-04", "Поступление оплаты № 2 от 04.12.2021", "0.00", "300.00"),
        ("2021-12-05", "Списание денежных средств № 1 от 05.12.2021", "100.00", "0.00")]
    register = await api.get("/api/registers/settlements/balance-and-turnovers", start="2021-12-01T00:00:00",
                             end="2021-12-31T23:59:59", organization_id=clinic.org, client_id=clinic.client)
    [row] = register if isinstance(register, list) else register["rows"]
    assert (row["amount_opening"], row["amount_receipt"], row["amount_expense"], row["amount_closing"]) == (
        act["opening"], act["debit"], act["credit"], act["closing"])
    assert act["balance_text"] == ("на 31.12.2021 задолженность в пользу ООО «Клиника Здоровье» 1 800,00 руб. "
                                   "(Одна тысяча восемьсот рублей 00 копеек)")

    before = await generated_count(db)
    r = await api.raw("GET", ACT, params={**period, "format": "pdf"})
    assert r.headers["content-type"] == "application/pdf"
    lines = pdf_lines(r.content)
    text = "\n".join(lines)
    assert "Акт сверки" in lines and "взаимных расчётов за период: 01.12.2021 – 31.12.2021" in text
    assert "Сальдо начальное 1 000,00 Сальдо начальное" in text
    assert any(line.startswith("01.12.2021 Оказание услуг № 2 от 01.12.2021 1 500,00") for line in lines), lines
    assert any(line.startswith("04.12.2021 Поступление оплаты № 2 от 04.12.2021 300,00") for line in lines), lines
    assert "Обороты за период 1 600,00 800,00 Обороты за период" in text
    assert "Сальдо конечное 1 800,00 Сальдо конечное" in text
    assert "Одна тысяча восемьсот рублей 00 копеек" in " ".join(lines)
    assert "ИНН 7707083893, КПП 773601001" in text and "Главный бухгалтер" in text and "(Кузнецова Т.В.)" in text
    assert "От Иванов Иван Иванович" in text
    assert await generated_count(db) == before + 1
    [kept] = (await api.get("/api/generated-documents", form="reconciliation"))["items"]
    assert (kept["document_kind"], kept["document_id"], kept["client_id"], kept["organization_id"]) == (
        "clients", clinic.client, clinic.client, clinic.org)
    assert kept["file_name"] == "Акт сверки с Иванов Иван Иванович за 01.12.2021-31.12.2021.pdf"
    assert kept["document_date"] == "2021-12-31"

    preview = await api.raw("GET", ACT, params={**period, "format": "html"})
    assert "Сальдо конечное" in preview.text and await generated_count(db) == before + 1, "a preview keeps nothing"


async def test_a_suppliers_act_credits_the_goods_and_debits_the_payments(api, clinic):
    desk = (await api.item("cash-desks", {"name": "Касса", "organization_id": clinic.org}))["id"]
    warehouse = (await api.item("warehouses", {"name": "Склад"}))["id"]
    await api.create("payments", {"date": "2021-12-01T09:00:00", "organization_id": clinic.org,
                                  "client_id": clinic.client, "amount": "5000.00", "method": "cash",
                                  "cash_desk_id": desk}, post=True)
    await api.create("goods-receipts", {"date": "2021-12-02T10:00:00", "organization_id": clinic.org,
                                        "supplier_id": clinic.company, "warehouse_id": warehouse,
                                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "100",
                                                   "price": "25.00"}]}, post=True)
    await api.create("outgoing-payments", {"date": "2021-12-03T10:00:00", "organization_id": clinic.org,
                                           "operation": "to_supplier", "method": "cash", "cash_desk_id": desk,
                                           "recipient_id": clinic.company, "amount": "2000.00"}, post=True)
    act = await api.get(ACT, counterparty_id=clinic.company, side="suppliers", start="2021-12-01",
                        end="2021-12-31")
    assert [(r["document"], r["debit"], r["credit"]) for r in act["rows"]] == [
        ("Поступление товаров № 1 от 02.12.2021", "0.00", "2500.00"),
        ("Списание денежных средств № 1 от 03.12.2021", "2000.00", "0.00")]
    assert (act["opening"], act["debit"], act["credit"], act["closing"]) == ("0.00", "2000.00", "2500.00",
                                                                              "-500.00")
    assert act["balance_text"] == ("на 31.12.2021 задолженность в пользу ООО «МедСнаб» 500,00 руб. "
                                   "(Пятьсот рублей 00 копеек)")
    text = "\n".join(pdf_lines(await api.pdf(ACT, counterparty_id=clinic.company, side="suppliers",
                                             start="2021-12-01", end="2021-12-31", format="pdf")))
    assert "Сальдо конечное 500,00 Сальдо конечное" in text and "ИНН 7812345675, КПП 781201001" in text


async def test_bad_input_is_a_russian_422_with_a_code_and_nothing_is_kept(api, clinic, db):
    before = await generated_count(db)
    cases = [
        ({"counterparty_id": clinic.client, "start": "2021-12-31", "end": "2021-12-01", "format": "pdf"},
         "period_reversed", "Конец периода раньше его начала"),
        ({"counterparty_id": clinic.client, "start": "2021-12-01", "end": "10000-01-01", "format": "pdf"},
         "validation_error", "end: ожидается дата ГГГГ-ММ-ДД"),
        ({"counterparty_id": clinic.client, "start": "2021-12-01", "end": "9999-12-31"},
         "validation_error", "end: дата вне допустимого диапазона"),
        ({"counterparty_id": 987654321, "format": "pdf"}, "counterparty_not_found",
         "Контрагент с id 987654321 не найден"),
        ({"counterparty_id": clinic.client, "organization_id": 987654321}, "organization_not_found",
         "Организация с id 987654321 не найдена"),
        ({"counterparty_id": clinic.client, "side": "partners"}, "reconciliation_side", "side: укажите clients"),
        ({}, "validation_error", "counterparty_id: выберите контрагента"),
    ]
    for params, code, message in cases:
        answer = await api.get(ACT, status=422, **params)
        assert answer["code"] == code and answer["message"].startswith(message), (params, answer)
    assert await generated_count(db) == before


async def test_the_act_is_emailed_to_the_counterparty_and_kept_with_the_address(api, clinic, smtp_server, db):  # noqa: F811
    await history(api, clinic)
    await configure(api, smtp_server.port)
    sent = await api.post(f"{ACT}/send", {"counterparty_id": clinic.client, "start": "2021-12-01",
                                           "end": "2021-12-31"})
    assert sent["to"] == "ivanov@example.com"
    [message] = smtp_server.messages
    assert message["Subject"].startswith("Акт сверки взаимных расчётов за период 01.12.2021 – 31.12.2021")
    assert "в пользу ООО «Клиника Здоровье» 1 800,00 руб." in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert "Одна тысяча восемьсот рублей 00 копеек" in " ".join(pdf_lines(attachment.get_content()))
    [kept] = (await api.get("/api/generated-documents", form="reconciliation"))["items"]
    assert kept["id"] == sent["generated_id"] and kept["sent_to"] == "ivanov@example.com"

    before = await generated_count(db)
    refused = await api.post(f"{ACT}/send", {"counterparty_id": clinic.company, "side": "suppliers"}, status=422)
    assert refused["code"] == "client_email_missing" and "ООО «МедСнаб»" in refused["message"]
    assert await generated_count(db) == before and len(smtp_server.messages) == 1


async def test_the_act_is_reached_from_the_client_card_and_the_supplier_debts(login_as, api, clinic, db):  # noqa: F811
    await history(api, clinic)
    browser = await login_as("accountant")
    card = await browser.get(f"/clients/{clinic.client}")
    assert f"/reports/reconciliation?counterparty_id={clinic.client}&amp;side=clients" in card.text
    page = await browser.get("/reports/reconciliation", params={"counterparty_id": clinic.client, "side": "clients",
                                                         "start": "2021-12-01", "end": "2021-12-31"})
    assert "Акт сверки взаиморасчётов" in page.text and "Оказание услуг № 2 от 01.12.2021" in page.text
    assert "Одна тысяча восемьсот рублей 00 копеек" in page.text
    before = await generated_count(db)
    r = await browser.get("/reports/reconciliation", params={"counterparty_id": clinic.client, "side": "clients",
                                                      "start": "2021-12-01", "end": "2021-12-31", "format": "pdf"})
    assert r.headers["content-type"] == "application/pdf" and await generated_count(db) == before + 1
    wrong = await browser.get("/reports/reconciliation", status=422, params={
        "counterparty_id": clinic.client, "start": "2021-12-31", "end": "2021-12-01"})
    assert "Конец периода раньше его начала" in wrong.text
