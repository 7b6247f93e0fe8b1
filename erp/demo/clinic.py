"""The clinic's demo data: an organization with a bank account, three doctors,
the seed's December 2021 schedule (exactly as in its table), a schedule for
the current and the next month so the demo is alive today, goods with stock,
services, clients, a cash desk, and some posted Requests, ServiceRenderings, Invoices,
Payments, an outgoing payment to the supplier and a transfer of cash to the bank.
Every object is found by a stable key before it is created, so loading twice
changes nothing, on the same day or a later one (a later month only adds its own
schedule). The organization has a stamp and its director (the demo admin) a
facsimile, so «Печать с факсимиле» works. Each step takes the connection and,
optionally, the settings (the CLI's come from the environment)."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files

import asyncpg

from erp.app.settings import Settings, load_settings
from erp.configuration import registry
from erp.demo import ADMIN, demo_step
from erp.platform import catalog_service
from erp.platform.posting import Engine
from erp.printing import images

EFIMOVA, THIRD, ISHAEVA = "Ефимова Е.В.", "Петрова О.Н.", "Ишаева М.И."
M, A, E, S, L = "08:15-13:00", "15:30-20:00", "08:00-16:00", "08:30-15:00", "15:30-19:45"
# The seed's table: day → (column 1 Ефимова Е.В., column 2 the third doctor, column 3 Ишаева М.И.)
SEED_DECEMBER_2021: dict[int, tuple[str, str, str]] = {
    8: ("", "", E), 9: ("", "", E), 10: ("", "", E), 11: ("", "", S),
    13: (M, M, E), 14: (A, M, E), 15: ("", "", E), 16: (A, M, E), 17: (M, "", E), 18: ("", "", S),
    20: (M, M, E), 21: (M, M, E), 22: (M, "", E), 23: (L, M, E), 24: (M, "", M),
    27: (M, M, ""), 28: (L, M, ""), 29: (M, "", ""),
}


def seed_schedule_lines(doctor_ids: tuple[int, int, int]) -> list[dict]:
    lines = []
    for day, cells in sorted(SEED_DECEMBER_2021.items()):
        for doctor_id, cell in zip(doctor_ids, cells, strict=True):
            if cell:
                start, end = cell.split("-")
                lines.append({"doctor_id": doctor_id, "day": f"2021-12-{day:02d}", "start": start, "end": end})
    return lines


def month_schedule_lines(month: dt.date, doctor_ids: tuple[int, int, int]) -> list[dict]:
    """A plausible month: weekdays for all, Saturdays for Ишаева М.И."""
    lines, day = [], month
    while day.month == month.month:
        wd = day.weekday()
        if wd < 5:
            lines.append({"doctor_id": doctor_ids[0], "day": day.isoformat(),
                          "start": "08:15" if wd % 2 == 0 else "15:30", "end": "13:00" if wd % 2 == 0 else "20:00"})
            if wd in (0, 1, 3):
                lines.append({"doctor_id": doctor_ids[1], "day": day.isoformat(), "start": "08:15", "end": "13:00"})
            lines.append({"doctor_id": doctor_ids[2], "day": day.isoformat(), "start": "08:00", "end": "16:00"})
        elif wd == 5:
            lines.append({"doctor_id": doctor_ids[2], "day": day.isoformat(), "start": "08:30", "end": "15:00"})
        day += dt.timedelta(days=1)
    return lines


async def _item(conn: asyncpg.Connection, catalog_name: str, name: str, values: dict | None = None) -> int:
    catalog = registry().catalogs[catalog_name]
    found = await conn.fetchval(f'SELECT id FROM "{catalog.table}" WHERE name = $1 ORDER BY id LIMIT 1', name)
    if found:
        return found
    return (await catalog_service.create(conn, registry(), catalog, {"name": name, **(values or {})}))["id"]


async def _document(conn: asyncpg.Connection, engine: Engine, kind_name: str, key: str, data: dict,
                    post: bool = True) -> int:
    kind = registry().documents[kind_name]
    marker = f"Демо: {key}"
    found = await conn.fetchval(f'SELECT id FROM "{kind.table}" WHERE comment = $1', marker)
    if found:
        return found
    return (await engine.create(conn, kind, {**data, "comment": marker}, post=post)).id


async def _documents(conn: asyncpg.Connection, engine: Engine, kind_name: str,
                     items: list[tuple[str, dict]]) -> dict[str, int]:
    """Several documents of one kind written and posted as one batch (the engine's batch API), each
    only once: the ones already there (by their marker) are found, not written again."""
    kind = registry().documents[kind_name]
    markers = {key: f"Демо: {key}" for key, _ in items}
    found = {r["comment"]: r["id"] for r in await conn.fetch(
        f'SELECT id, comment FROM "{kind.table}" WHERE comment = ANY($1::text[])', list(markers.values()))}
    missing = [(key, data) for key, data in items if markers[key] not in found]
    created = await engine.create_many(conn, kind, [{**data, "comment": markers[key]} for key, data in missing],
                                       post=True)
    new = {key: doc.id for (key, _), doc in zip(missing, created, strict=True)}
    return {key: found.get(markers[key]) or new[key] for key, _ in items}


@demo_step("Справочники клиники")
async def catalogs(conn: asyncpg.Connection, settings: Settings | None = None) -> None:
    org = await _item(conn, "organizations", "Клиника «Здоровье»", {
        "full_name": "Общество с ограниченной ответственностью «Клиника Здоровье»", "inn": "7812345675",
        "kpp": "781201001", "ogrn": "1027800123450", "address": "191000, Санкт-Петербург, Невский пр., д. 1",
        "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В.", "vat_rate": "none"})
    await _item(conn, "bank-accounts", "Расчётный счёт в ПАО Сбербанк", {
        "organization_id": org, "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810200000012345",
        "is_default": True})
    await _item(conn, "cash-desks", "Основная касса", {"organization_id": org, "responsible": "Кузнецова Т.В."})
    for name, full, specialty in ((EFIMOVA, "Ефимова Елена Викторовна", "Терапевт"),
                                  (THIRD, "Петрова Ольга Николаевна", "Невролог"),
                                  (ISHAEVA, "Ишаева Марина Игоревна", "Врач УЗИ")):
        await _item(conn, "doctors", name, {"full_name": full, "specialty": specialty, "active": True})
    warehouse = await _item(conn, "warehouses", "Основной склад")
    for name, price, minutes in (("Первичный приём терапевта", "1500", 30), ("Повторный приём", "1000", 20),
                                 ("УЗИ брюшной полости", "2500", 40), ("Консультация невролога", "1800", 30)):
        await _item(conn, "nomenclature", name, {"kind": "service", "unit": "усл", "price": price,
                                                 "duration_minutes": minutes})
    # minimums (the demo receipts leave the syringes and gloves below theirs: «Потребность в закупке» has rows)
    for name, price, article, minimum in (("Бахилы, пара", "10", "B-01", "100"), ("Шприц 5 мл", "25", "S-05", "300"),
                                          ("Перчатки нитриловые, пара", "15", "G-02", "150")):
        await _item(conn, "nomenclature", name, {"kind": "goods", "unit": "шт", "price": price, "article": article,
                                                 "minimums": [{"warehouse_id": warehouse, "minimum": minimum}]})
    for name, values in (("Иванов Иван Иванович", {"kind": "person", "phone": "+7 911 123-45-67",
                                                   "email": "ivanov@example.com"}),
                         ("Сидорова Анна Петровна", {"kind": "person", "phone": "+7 921 555-00-11"}),
                         ("ООО «Ромашка»", {"kind": "company", "inn": "7712345600", "kpp": "771201001",
                                            "email": "buh@romashka.example"}),
                         ("ООО «МедСнаб»", {"kind": "company"})):
        await _item(conn, "clients", name, values)


async def _ids(conn: asyncpg.Connection, table: str, names: list[str]) -> list[int]:
    rows = await conn.fetch(f'SELECT id, name FROM "{table}" WHERE name = ANY($1::text[])', names)
    by_name = {r["name"]: r["id"] for r in rows}
    return [by_name[n] for n in names]


@demo_step("Графики работы врачей")
async def schedules(conn: asyncpg.Connection, settings: Settings | None = None) -> None:
    engine = Engine(registry(), settings or load_settings())
    doctors = tuple(await _ids(conn, "cat_doctors", [EFIMOVA, THIRD, ISHAEVA]))
    await _document(conn, engine, "work-schedules", "ws-2021-12", {
        "date": "2021-12-08T00:00:00", "month": "2021-12-01", "lines": seed_schedule_lines(doctors)})
    today = dt.datetime.now(engine.tz).date()
    this_month = today.replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    await _documents(conn, engine, "work-schedules", [(f"ws-{month:%Y-%m}", {
        "date": dt.datetime.combine(month - dt.timedelta(days=5), dt.time(9)).isoformat(),
        "month": month.isoformat(), "lines": month_schedule_lines(month, doctors)})
        for month in (this_month, next_month)])


@demo_step("Документы: поступление, заявки, услуги, счета, оплаты")
async def documents(conn: asyncpg.Connection, settings: Settings | None = None) -> None:
    engine = Engine(registry(), settings or load_settings())
    org, = await _ids(conn, "cat_organizations", ["Клиника «Здоровье»"])
    account, = await _ids(conn, "cat_bank_accounts", ["Расчётный счёт в ПАО Сбербанк"])
    desk, = await _ids(conn, "cat_cash_desks", ["Основная касса"])
    warehouse, = await _ids(conn, "cat_warehouses", ["Основной склад"])
    ishaeva, = await _ids(conn, "cat_doctors", [ISHAEVA])
    ivanov, sidorova, romashka, supplier = await _ids(conn, "cat_clients", [
        "Иванов Иван Иванович", "Сидорова Анна Петровна", "ООО «Ромашка»", "ООО «МедСнаб»"])
    therapy, repeat, uzi = await _ids(conn, "cat_nomenclature", [
        "Первичный приём терапевта", "Повторный приём", "УЗИ брюшной полости"])
    covers, syringe, gloves = await _ids(conn, "cat_nomenclature", [
        "Бахилы, пара", "Шприц 5 мл", "Перчатки нитриловые, пара"])
    today = dt.datetime.now(engine.tz).date()
    month_start = today.replace(day=1)
    receipt = await _document(conn, engine, "goods-receipts", "receipt", {
        "date": dt.datetime.combine(month_start, dt.time(9)).isoformat(), "supplier_id": supplier,
        "warehouse_id": warehouse, "lines": [
            {"nomenclature_id": covers, "quantity": "500", "price": "4.50"},
            {"nomenclature_id": syringe, "quantity": "200", "price": "11.00"},
            {"nomenclature_id": gloves, "quantity": "8", "price": "7.25"}]})
    day = _next_workday(today)
    bookings = [("req-1", ivanov, ishaeva, "09:00", uzi, "2500"), ("req-2", sidorova, ishaeva, "10:00", repeat, "1000"),
                ("req-3", romashka, ishaeva, "11:00", therapy, "1500")]
    requests = await _documents(conn, engine, "requests", [(key, {
        "date": dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12)).isoformat(),
        "client_id": client, "doctor_id": doctor, "starts_at": f"{day}T{time}:00",
        "amocrm_lead_id": 219219 if key == "req-1" else None, "warehouse_id": warehouse,
        "lines": [{"nomenclature_id": service, "quantity": "1", "price": price}]
        # the repeat visit's gloves are held in reserve until it is rendered
        + ([{"nomenclature_id": gloves, "quantity": "2", "price": "15"}] if key == "req-2" else [])})
        for key, client, doctor, time, service, price in bookings])
    rendering = await _document(conn, engine, "service-renderings", "sr-1", {
        "date": f"{day}T10:00:00", "organization_id": org, "client_id": ivanov, "doctor_id": ishaeva,
        "warehouse_id": warehouse, "based_on": {"kind": "requests", "id": requests["req-1"]},
        "lines": [{"nomenclature_id": uzi, "quantity": "1", "price": "2500"},
                  {"nomenclature_id": covers, "quantity": "1", "price": "10"}]})
    invoice = await _document(conn, engine, "invoices", "inv-1", {
        "date": f"{day}T10:30:00", "organization_id": org, "bank_account_id": account, "client_id": ivanov,
        "due_date": (day + dt.timedelta(days=5)).isoformat(), "amocrm_lead_id": 219219,
        "based_on": {"kind": "service-renderings", "id": rendering},
        "lines": [{"nomenclature_id": uzi, "quantity": "1", "price": "2500"},
                  {"nomenclature_id": covers, "quantity": "1", "price": "10"}]})
    await _document(conn, engine, "payments", "pay-1", {
        "date": f"{day}T11:00:00", "organization_id": org, "client_id": ivanov, "amount": "1000.00",
        "method": "cash", "cash_desk_id": desk, "invoice_id": invoice})
    await _document(conn, engine, "outgoing-payments", "out-1", {
        "date": f"{day}T15:00:00", "organization_id": org, "recipient_id": supplier, "amount": "600.00",
        "operation": "to_supplier", "method": "cash", "cash_desk_id": desk, "goods_receipt_id": receipt,
        "purpose": "Частичная оплата поставки расходных материалов"})
    await _document(conn, engine, "money-transfers", "mt-1", {
        "date": f"{day}T17:00:00", "organization_id": org, "amount": "300.00", "method": "cash",
        "cash_desk_id": desk, "method_to": "bank", "bank_account_to_id": account})
    await _document(conn, engine, "invoices", "inv-romashka", {
        "date": f"{day}T12:00:00", "organization_id": org, "bank_account_id": account, "client_id": romashka,
        "due_date": (day + dt.timedelta(days=10)).isoformat(),
        "lines": [{"nomenclature_id": therapy, "quantity": "2", "price": "1500"},
                  {"nomenclature_id": gloves, "quantity": "4", "price": "15", "discount_percent": "10"}]})


@demo_step("Печать организации и факсимиле руководителя")
async def signatures(conn: asyncpg.Connection, settings: Settings | None = None) -> None:
    """Small generated images (erp/demo/images), loaded only where none is: an image an
    administrator uploaded instead is kept."""
    org, = await _ids(conn, "cat_organizations", ["Клиника «Здоровье»"])
    owner = await conn.fetchval("SELECT id FROM users WHERE username = $1", ADMIN)
    if not await conn.fetchval("SELECT true FROM printing_stamps WHERE organization_id = $1", org):
        await images.set_stamp(conn, org, _demo_image("stamp.png"), owner)
    if owner and not await conn.fetchval("SELECT true FROM printing_facsimiles WHERE organization_id = $1", org):
        others = [r["id"] for r in await conn.fetch("SELECT id FROM users WHERE id <> $1", owner)]
        await images.set_facsimile(conn, owner, organization_id=org, position="director", allowed_user_ids=others,
                                   content=_demo_image("facsimile.png"), uploaded_by=owner)


def _demo_image(name: str) -> bytes:
    return files("erp.demo").joinpath("images", name).read_bytes()


def _next_workday(day: dt.date) -> dt.date:
    """Today, or Monday when today is Sunday (nobody works on Sundays in the demo)."""
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return day
