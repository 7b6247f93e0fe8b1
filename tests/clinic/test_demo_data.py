"""Acceptance point 8: the demo data (``erp demo``) loads the seed's December
2021 schedule exactly as its table, a live schedule and documents, and loading
it twice changes nothing."""

import datetime as dt
from decimal import Decimal as D

from erp import demo
from erp.registers.doctor_schedule import doctor_schedule
from erp.services.scheduling import FAR_FUTURE
from tests.clinic.conftest import counts
from tests.clinic.seed import seed_intervals


async def load(db, settings) -> None:
    async with db.transaction():
        for _title, step in demo.steps():
            await step(db, settings)


async def test_demo_loads_the_seed_schedule_and_is_idempotent(db, settings):
    await load(db, settings)
    first = await counts(db)
    await load(db, settings)
    assert await counts(db) == first

    doctors = {r["name"]: r["id"] for r in await db.fetch("SELECT id, name FROM cat_doctors")}
    columns = {doctors["Ефимова Е.В."]: 0, doctors["Ишаева М.И."]: 2}
    columns |= {i: 1 for name, i in doctors.items() if name not in ("Ефимова Е.В.", "Ишаева М.И.")}
    assert len(doctors) == 3
    december = [dt.date(2021, 12, d) for d in range(1, 32)]
    rows = await doctor_schedule.slice_last(db, FAR_FUTURE, day=december)
    loaded = {(columns[r["doctor_id"]], r["day"].isoformat()): (f"{r['start_time']:%H:%M}", f"{r['end_time']:%H:%M}")
              for r in rows}
    assert len(rows) == len(loaded) == len(seed_intervals())
    assert loaded == seed_intervals()

    # the rest of the demo is alive: an organization with a bank account, goods in stock, posted documents
    assert await db.fetchval("SELECT count(*) FROM cat_bank_accounts b JOIN cat_organizations o"
                             " ON o.id = b.organization_id") == 1
    assert await db.fetchval("SELECT count(*) FROM reg_stock_balance WHERE quantity > 0") >= 3
    # a Request holds 2 pairs of gloves in reserve, and the syringes and the gloves are below their minimums
    assert await db.fetchval("SELECT sum(reserved) FROM reg_stock_balance") == 2
    assert await db.fetchval("SELECT sum(quantity) FROM reg_stock_reserves_balance") == 2
    assert sorted(r["name"] for r in await db.fetch(
        "SELECT n.name FROM cat_nomenclature_minimums AS m JOIN cat_nomenclature AS n ON n.id = m.owner_id"
        " JOIN reg_stock_balance AS b ON b.nomenclature_id = m.owner_id AND b.warehouse_id = m.warehouse_id"
        " WHERE b.quantity < m.minimum")) == ["Перчатки нитриловые, пара", "Шприц 5 мл"]
    for table in ("doc_work_schedules", "doc_requests", "doc_service_renderings", "doc_invoices", "doc_payments",
                  "doc_goods_receipts", "doc_outgoing_payments", "doc_money_transfers"):
        assert await db.fetchval(f"SELECT count(*) FROM {table} WHERE posted") >= 1, table
    # the cash desks took payments, paid the supplier and for expenses and handed money on; the bank took
    # payments of invoices and paid the rent, the utilities and a supplier
    money = {r["name"]: r["amount"] for r in await db.fetch(
        "SELECT coalesce(d.name, b.name) AS name, m.amount FROM reg_money_balance m"
        " LEFT JOIN cat_cash_desks d ON m.account_kind = 'cash-desks' AND d.id = m.account_id"
        " LEFT JOIN cat_bank_accounts b ON m.account_kind = 'bank-accounts' AND b.id = m.account_id")}
    assert money == {"Основная касса": 1100, "Касса регистратуры": 750, "Расчётный счёт в ПАО Сбербанк": 2050}
    await every_money_report_shows_data(db, settings)
    this_month = dt.datetime.now(settings.tz).date().replace(day=1)
    assert await db.fetchval("SELECT count(DISTINCT date_trunc('month', day)) FROM inf_doctor_schedule"
                             " WHERE day >= $1", this_month) == 2


async def every_money_report_shows_data(db, settings) -> None:
    """Issue 15 point 10: the cash flow has several items, suppliers are owed, and the receivables
    ageing has an invoice in every bucket, some of them overdue."""
    from erp.configuration import registry
    from erp.services import money_report, receivables, supplier_debts

    today = dt.datetime.now(settings.tz).date()
    flow = await money_report.cash_flow(db, registry(), today - dt.timedelta(days=130), today + dt.timedelta(days=1),
                                        settings.tz)
    assert {i.cash_flow_item for i in flow.items if i.outgoing} >= {
        "Аренда помещения", "Коммунальные услуги", "Оплата поставщикам", "Прочие расходы"}
    assert {i.cash_flow_item for i in flow.items if i.incoming} >= {"Оплата от покупателей"}
    debts = await supplier_debts.debts(db, registry(), today, settings.tz)
    assert {r.supplier for r in debts.rows if r.amount > 0} == {"ООО «МедСнаб»", "АО «Фарма»"}
    ageing = await receivables.ageing(db, registry(), today, settings.tz, settings.invoice_payment_days)
    assert all(v > 0 for v in ageing.bucket_totals) and ageing.overdue > 0
    assert ageing.bucket_totals[1:] == [D("600.00"), D("5000.00"), D("1000.00")]


async def test_the_demo_prints_with_the_stamp_and_the_directors_facsimile(db, settings, tmp_path):
    from erp.printing import images, service
    from tests.printing.conftest import pdf_images

    async with db.transaction():
        await demo.ensure_admin(db, tmp_path)
    await load(db, settings)
    admin = await db.fetchval("SELECT id FROM users WHERE username = $1", demo.ADMIN)
    org = await db.fetchval("SELECT id FROM cat_organizations WHERE name = 'Клиника «Здоровье»'")
    assert await images.can_sign(db, org, admin)
    invoice = await db.fetchval("SELECT id FROM doc_invoices WHERE organization_id = $1 ORDER BY id LIMIT 1", org)
    printed = await service.render_pdf(db, "invoices", invoice, "invoice", admin, True, tz=settings.tz)
    assert pdf_images(printed.content) == 2, "the director's facsimile and the stamp"
    await load(db, settings)  # loading again keeps them, one of each
    assert await db.fetchval("SELECT count(*) FROM printing_stamps") == 1
    assert await db.fetchval("SELECT count(*) FROM printing_facsimiles") == 1
