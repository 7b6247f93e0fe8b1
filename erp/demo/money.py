"""The demo's money and debts, so that «Денежные средства», «Долги поставщикам» and the receivables
ageing all show something: a second cash desk, services rendered and invoiced weeks and months ago
(some paid in part, one in full, one not yet due, the rest overdue by 15, 40, 75 and 120 days), a
second supplier whose goods are partly paid, and outgoing payments under different cash-flow items
(rent, utilities, other expenses, a supplier). Every date counts back from today, so the ages stay
the same whenever the demo is loaded; like the rest of the demo, loading twice changes nothing."""

from __future__ import annotations

import datetime as dt

import asyncpg

from erp.app.settings import Settings, load_settings
from erp.configuration import registry
from erp.demo import demo_step
from erp.demo.clinic import ISHAEVA, _document, _ids, _item
from erp.platform.posting import Engine

RENT, UTILITIES = "Аренда помещения", "Коммунальные услуги"
# key, client, days ago, days to pay, service, quantity, paid: (days ago, amount, method) or None
AGED = (("aged-120", "Сидорова Анна Петровна", 125, 5, "Консультация невролога", "1", (100, "800.00", "bank")),
        ("aged-75", "ООО «Ромашка»", 80, 5, "УЗИ брюшной полости", "2", None),
        ("aged-40", "Иванов Иван Иванович", 50, 10, "Повторный приём", "1", (35, "400.00", "cash")),
        ("aged-15", "ООО «Ромашка»", 20, 5, "Первичный приём терапевта", "3", (10, "3000.00", "bank")),
        ("aged-paid", "Иванов Иван Иванович", 30, 5, "Первичный приём терапевта", "1", (26, "1500.00", "cash")),
        ("aged-new", "Сидорова Анна Петровна", 2, 10, "УЗИ брюшной полости", "1", None))


def _at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour)).isoformat()


@demo_step("Деньги, долги поставщикам и счета разных сроков")
async def money_and_debts(conn: asyncpg.Connection, settings: Settings | None = None) -> None:
    engine = Engine(registry(), settings or load_settings())
    today = dt.datetime.now(engine.tz).date()
    org, = await _ids(conn, "cat_organizations", ["Клиника «Здоровье»"])
    account, = await _ids(conn, "cat_bank_accounts", ["Расчётный счёт в ПАО Сбербанк"])
    desk, = await _ids(conn, "cat_cash_desks", ["Основная касса"])
    reception = await _item(conn, "cash-desks", "Касса регистратуры", {"organization_id": org,
                                                                      "responsible": "Кузнецова Т.В."})
    warehouse, = await _ids(conn, "cat_warehouses", ["Основной склад"])
    ishaeva, = await _ids(conn, "cat_doctors", [ISHAEVA])
    syringe, gloves = await _ids(conn, "cat_nomenclature", ["Шприц 5 мл", "Перчатки нитриловые, пара"])
    pharma = await _item(conn, "clients", "АО «Фарма»", {"kind": "company", "inn": "7705031674", "kpp": "770501001"})
    landlord = await _item(conn, "clients", "ООО «Невский дом»", {"kind": "company"})
    utility = await _item(conn, "clients", "АО «Петербургская сбытовая компания»", {"kind": "company"})
    rent_item = await _item(conn, "cash-flow-items", RENT)
    utilities_item = await _item(conn, "cash-flow-items", UTILITIES)
    desks = {"cash": {"method": "cash", "cash_desk_id": reception}, "bank": {"method": "bank",
                                                                             "bank_account_id": account}}

    for key, client_name, ago, term, service_name, quantity, paid in AGED:
        client, = await _ids(conn, "cat_clients", [client_name])
        service, = await _ids(conn, "cat_nomenclature", [service_name])
        price = await conn.fetchval("SELECT price FROM cat_nomenclature WHERE id = $1", service)
        day = today - dt.timedelta(days=ago)
        lines = [{"nomenclature_id": service, "quantity": quantity, "price": str(price)}]
        rendering = await _document(conn, engine, "service-renderings", f"sr-{key}", {
            "date": _at(day, 10), "organization_id": org, "client_id": client, "doctor_id": ishaeva,
            "lines": lines})
        invoice = await _document(conn, engine, "invoices", f"inv-{key}", {
            "date": _at(day, 11), "organization_id": org, "bank_account_id": account, "client_id": client,
            "due_date": (day + dt.timedelta(days=term)).isoformat(),
            "based_on": {"kind": "service-renderings", "id": rendering}, "lines": lines})
        if paid:
            when, amount, method = paid
            await _document(conn, engine, "payments", f"pay-{key}", {
                "date": _at(today - dt.timedelta(days=when), 12), "organization_id": org, "client_id": client,
                "amount": amount, **desks[method], "invoice_id": invoice})

    receipt = await _document(conn, engine, "goods-receipts", "receipt-pharma", {
        "date": _at(today - dt.timedelta(days=25), 9), "organization_id": org, "supplier_id": pharma,
        "warehouse_id": warehouse, "lines": [{"nomenclature_id": gloves, "quantity": "100", "price": "7.25"},
                                             {"nomenclature_id": syringe, "quantity": "50", "price": "11.00"}]})
    for key, ago, recipient, amount, operation, item, method, purpose, extra in (
            ("out-rent", 5, landlord, "1200.00", "other_expense", rent_item, "bank", "Аренда помещения за месяц", {}),
            ("out-utilities", 3, utility, "350.00", "other_expense", utilities_item, "bank",
             "Электроэнергия за месяц", {}),
            ("out-pharma", 4, pharma, "500.00", "to_supplier", None, "bank", "Частичная оплата поставки",
             {"goods_receipt_id": receipt}),
            ("out-office", 2, landlord, "150.00", "other_expense", None, "cash", "Канцелярские товары", {})):
        await _document(conn, engine, "outgoing-payments", key, {
            "date": _at(today - dt.timedelta(days=ago), 14), "organization_id": org, "recipient_id": recipient,
            "amount": amount, "operation": operation, "cash_flow_item_id": item, **desks[method],
            "purpose": purpose, **extra})
    await _document(conn, engine, "money-transfers", "mt-reception", {
        "date": _at(today - dt.timedelta(days=1), 18), "organization_id": org, "amount": "1000.00",
        "method": "cash", "cash_desk_id": reception, "method_to": "cash", "cash_desk_to_id": desk})
