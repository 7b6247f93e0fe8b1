"""Golden statements: the SQL each document kind's posting compiles to.

For a fixed example of every kind of the clinic configuration, the plan of
"write and post a new document" and of "re-post a saved one" is built (pure,
no database) and compiled; the statement must equal ``golden/<kind>.sql``.
A change of the compiler or of a kind's declaration changes the file, so a
reviewer sees the SQL diff. ``ERP_GOLDEN=write pytest tests/platform/test_golden.py``
rewrites the files after a deliberate change.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from erp.app.settings import Settings
from erp.configuration import registry as clinic_registry
from erp.platform.document import Doc
from erp.platform.posting import Engine
from erp.platform.posting.compile import compile_plan, values

GOLDEN = Path(__file__).parent / "golden"
MSK = dt.timezone(dt.timedelta(hours=3))
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
D = Decimal
SETTINGS = Settings(database_url=None, secret_key="golden", timezone="Europe/Moscow", data_dir=Path("/nonexistent"))

# A new document of each kind (header, lines) and what its needs would read.
EXAMPLES: dict[str, tuple[dict, list[dict], dict]] = {
    "goods-receipts": ({"organization_id": 1, "supplier_id": 3, "warehouse_id": 1, "supplier_order_id": None,
                        "comment": ""},
                       [{"nomenclature_id": 7, "quantity": D("10.000"), "price": D("5.00"), "amount": D("50.00")}],
                       {}),
    "inventory-counts": ({"organization_id": 1, "warehouse_id": 1, "responsible": "Петрова О.Н.", "comment": ""},
                         [{"nomenclature_id": 7, "quantity": D("8.000"), "price": None},
                          {"nomenclature_id": 9, "quantity": D("3.000"), "price": D("5.50")}],
                         {"kind.warehouse": {"name": "Основной"},
                          "kind.items": {7: {"kind": "goods", "name": "Бинт"}, 9: {"kind": "goods", "name": "Шприц"}},
                          "kind.book": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")},
                                        (1, 9): {"quantity": D("1.000"), "cost": D("5.00")}},
                          "kind.stock": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")},
                                         (1, 9): {"quantity": D("1.000"), "cost": D("5.00")}},
                          "kind.last": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")}}}),
    "supplier-orders": ({"organization_id": 1, "supplier_id": 3, "warehouse_id": 1, "quantity_total": D("12.000"),
                         "amount_total": D("60.00"), "comment": ""},
                        [{"nomenclature_id": 7, "quantity": D("10.000"), "price": D("5.00"), "amount": D("50.00")},
                         {"nomenclature_id": 9, "quantity": D("2.000"), "price": D("5.00"), "amount": D("10.00")}],
                        {"kind.items": {7: {"kind": "goods", "name": "Бинт"}, 9: {"kind": "goods", "name": "Шприц"}}}),
    "invoices": ({"organization_id": 1, "bank_account_id": 2, "client_id": 5, "due_date": None,
                  "amocrm_lead_id": None, "comment": ""},
                 [{"nomenclature_id": 8, "quantity": D("1.000"), "price": D("1000.00"), "discount_percent": None,
                   "discount_amount": None, "vat_rate": None, "vat_amount": None, "amount": D("1000.00")}],
                 {"kind.organization": {"vat_rate": "none"}, "kind.client": {"organization_id": 1},
                  "kind.account": {"organization_id": 1}}),
    "payments": ({"organization_id": 1, "client_id": 5, "amount": D("1000.00"), "method": "bank",
                  "cash_desk_id": None, "bank_account_id": 3, "cash_flow_item_id": None,
                  "invoice_id": None, "comment": ""}, [],
                 {"kind.account": {"organization_id": 1, "name": "40702810938000000001 в ПАО Сбербанк"},
                  "kind.default_item": {"id": 1}}),
    "requests": ({"client_id": 5, "doctor_id": 4, "room_id": 2, "equipment_id": None, "starts_at": AT,
                  "duration_minutes": 30,
                  "amocrm_lead_id": None, "visit_status_id": None, "comment": ""}, [],
                 {"kind.client": {"id": 5}, "kind.booked": {"id": 1}, "kind.durations": {}, "kind.preferences": {},
                  "kind.performers": {}, "kind.service_rooms": {}, "kind.doctor": {"active": True, "name": "Ефимова"},
                  "kind.status": None,
                  "kind.room_id": {"name": "Кабинет 1", "kind": "room", "always_available": True},
                  "kind.equipment_id": None,
                  "kind.intervals": [{"doctor_id": 4, "day": AT.date(), "start_time": dt.time(9),
                                      "end_time": dt.time(18)}]}),
    "service-renderings": ({"organization_id": 1, "client_id": 5, "doctor_id": 4, "warehouse_id": 1, "comment": "",
                            "amount_total": D("1100.00")},
                           [{"nomenclature_id": 8, "quantity": D("1.000"), "price": D("1000.00"),
                             "discount_percent": None, "discount_amount": None, "amount": D("1000.00"), "note": ""},
                            {"nomenclature_id": 7, "quantity": D("2.000"), "price": D("50.00"),
                             "discount_percent": None, "discount_amount": None, "amount": D("100.00"), "note": ""}],
                           {"kind.organization": {"vat_rate": "none"}, "kind.warehouse": {"name": "Основной"},
                            "kind.items": {7: {"kind": "goods", "name": "Бинт"},
                                           8: {"kind": "service", "name": "Приём"}},
                            "kind.stock": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")}}}),
    "opening-balances": ({"organization_id": 1, "section": "stock", "comment": ""},
                         [{"warehouse_id": 1, "nomenclature_id": 7, "quantity": D("10.000"), "client_id": None,
                           "supplier_id": None, "cash_desk_id": None, "bank_account_id": None,
                           "balance": D("50.00")}],
                         {"kind.items": {7: {"kind": "goods", "name": "Бинт"}}}),
    "stock-write-offs": ({"organization_id": 1, "warehouse_id": 1, "reason": "Истёк срок годности", "comment": ""},
                         [{"nomenclature_id": 7, "quantity": D("2.000")},
                          {"nomenclature_id": 9, "quantity": D("1.000")}],
                         {"kind.warehouse": {"name": "Основной"},
                          "kind.items": {7: {"kind": "goods", "name": "Бинт"}, 9: {"kind": "goods", "name": "Шприц"}},
                          "kind.stock": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")},
                                         (1, 9): {"quantity": D("1.000"), "cost": D("5.00")}}}),
    "stock-transfers": ({"organization_id": 1, "warehouse_id": 1, "warehouse_to_id": 2, "comment": ""},
                        [{"nomenclature_id": 7, "quantity": D("2.000")},
                         {"nomenclature_id": 9, "quantity": D("1.000")}],
                        {"kind.warehouse": {"name": "Основной"},
                         "kind.items": {7: {"kind": "goods", "name": "Бинт"}, 9: {"kind": "goods", "name": "Шприц"}},
                         "kind.stock": {(1, 7): {"quantity": D("10.000"), "cost": D("50.00")},
                                        (1, 9): {"quantity": D("1.000"), "cost": D("5.00")}}}),
    "outgoing-payments": ({"organization_id": 1, "operation": "to_supplier", "method": "cash", "cash_desk_id": 2,
                           "bank_account_id": None, "recipient_id": 6, "amount": D("700.00"), "cash_flow_item_id": None,
                           "purpose": "Оплата по счёту № 15", "goods_receipt_id": None, "comment": ""}, [],
                          {"kind.account": {"organization_id": 1, "name": "Основная касса"},
                           "kind.default_item": {"id": 2},
                           "kind.money": {(1, "cash-desks", 2): {"amount": D("1000.00")}}}),
    "money-transfers": ({"organization_id": 1, "method": "cash", "cash_desk_id": 2, "bank_account_id": None,
                         "method_to": "bank", "cash_desk_to_id": None, "bank_account_to_id": 3,
                         "amount": D("900.00"), "cash_flow_item_id": None, "comment": ""}, [],
                        {"kind.account": {"organization_id": 1, "name": "Основная касса"},
                         "kind.account_to": {"organization_id": 1, "name": "40702810938000000001 в ПАО Сбербанк"},
                         "kind.money": {(1, "cash-desks", 2): {"amount": D("1000.00")}}}),
    "client-returns": ({"organization_id": 1, "client_id": 5, "warehouse_id": 1, "reason": "Не подошло",
                        "comment": ""},
                       [{"nomenclature_id": 7, "quantity": D("1.000")}, {"nomenclature_id": 8, "quantity": D("1.000")}],
                       {"kind.base": {"number": "К00000000055", "date": AT, "posted": True, "organization_id": 1,
                                      "client_id": 5, "doctor_id": 4},
                        "kind.items": {7: {"kind": "goods", "name": "Бинт"}, 8: {"kind": "service", "name": "Приём"}},
                        "kind.left": {(55, 7): {"quantity": D("2.000"), "amount": D("100.00"), "vat": D("0.00"),
                                                "cost": D("20.00")},
                                      (55, 8): {"quantity": D("1.000"), "amount": D("1000.00"), "vat": D("0.00"),
                                                "cost": D("0.00")}}}),
    "work-schedules": ({"month": dt.date(2026, 3, 1), "comment": ""},
                       [{"doctor_id": 4, "day": dt.date(2026, 3, 2), "start": dt.time(9), "end": dt.time(18)}], {}),
    "resource-schedules": ({"month": dt.date(2026, 3, 1), "comment": ""},
                           [{"resource_id": 2, "day": dt.date(2026, 3, 2), "start": dt.time(8),
                             "end": dt.time(20)}], {}),
}

# The document a kind's example is based on, where the kind needs one (a return is of a rendering).
BASED_ON = {"client-returns": ("service-renderings", 55)}


def _plans(kind_name: str):
    registry = clinic_registry()
    engine = Engine(registry, SETTINGS)
    kind = registry.documents[kind_name]
    header, lines, found = EXAMPLES[kind_name]
    new = Doc(kind.name, 101, "", AT, True, False, header, tuple(lines), BASED_ON.get(kind_name))
    created = engine.plan(kind, "create", None, new, found, None, author_id=1, prefix="")
    saved = Doc(kind.name, 101, "00000000007", AT, True, False, {**header, **created.document.header},
                created.lines.rows if created.lines else (), BASED_ON.get(kind_name), number_year=2026)
    reposted = engine.plan(kind, "write", saved, saved, found, None)
    return registry, created, reposted


def _text(registry, plan) -> str:
    statement = compile_plan(registry, plan)
    assert set(statement.names) <= set(values(registry, plan)), "every parameter has a value"
    numbered = "\n".join(f"-- ${i}: {name}" for i, name in enumerate(statement.names, start=1))
    return f"{numbered}\n{statement.sql};\n"


@pytest.mark.parametrize("kind_name", sorted(EXAMPLES))
def test_each_kind_compiles_to_its_golden_statement(kind_name):
    registry, created, reposted = _plans(kind_name)
    assert set(EXAMPLES) == set(registry.documents), "every kind of the configuration has an example"
    text = (f"-- {kind_name}: a new document written and posted at once\n{_text(registry, created)}\n"
            f"-- {kind_name}: a posted document saved (re-posted)\n{_text(registry, reposted)}")
    path = GOLDEN / f"{kind_name}.sql"
    if os.environ.get("ERP_GOLDEN") == "write":
        path.write_text(text)
    assert path.read_text() == text, f"the statement of {kind_name} changed: review it, then ERP_GOLDEN=write"


def test_the_statement_depends_on_the_shape_not_on_the_values():
    registry, created, _ = _plans("service-renderings")
    other = EXAMPLES["service-renderings"]
    header, lines, found = other
    engine = Engine(registry, SETTINGS)
    kind = registry.documents["service-renderings"]
    more = [*lines, {**lines[1], "nomenclature_id": 9}]
    found = {**found, "kind.items": {**found["kind.items"], 9: {"kind": "goods", "name": "Шприц"}},
             "kind.stock": {**found["kind.stock"], (1, 9): {"quantity": D("5.000"), "cost": D("5.00")}}}
    bigger = engine.plan(kind, "create", None, Doc(kind.name, 202, "", AT, True, False, header, tuple(more)),
                         found, None, author_id=1, prefix="К")
    assert compile_plan(registry, bigger).sql == compile_plan(registry, created).sql
    assert values(registry, bigger)["_1.nomenclature_id"] != values(registry, created)["_1.nomenclature_id"]
