"""One valid document of every kind, for the round trip and the hostile walk."""

from __future__ import annotations

from tests.clinic.conftest import Clinic
from tests.clinic.test_invoices_payments import invoice, pay
from tests.clinic.test_service_rendering import rendering
from tests.clinic.test_work_schedule import line, ws


def documents(clinic: Clinic, sold: int | None = None) -> dict[str, dict]:
    """``sold``: a posted «Оказание услуг» (:func:`sold_rendering`) the sample «Возврат от клиента» is based on;
    without it there is no such sample."""
    svc = {"nomenclature_id": clinic.service, "quantity": "2", "price": "1500"}
    returned = {"client-returns": {
        "date": "2021-12-23T10:00:00", "organization_id": clinic.org, "client_id": clinic.client,
        "warehouse_id": clinic.warehouse, "reason": "Не подошло",
        "based_on": {"kind": "service-renderings", "id": sold},
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1"}]}} if sold is not None else {}
    return {
        "work-schedules": ws("2021-12-01", [line(clinic.efimova, "2021-12-23", "08:15", "13:00")]),
        "resource-schedules": {"date": "2021-12-08T09:00:00", "month": "2021-12-01", "lines": [
            {"resource_id": clinic.room, "day": "2021-12-23", "start": "08:00", "end": "20:00"}]},
        "goods-receipts": {"date": "2021-12-20T10:00:00", "organization_id": clinic.org, "supplier_id": clinic.supplier,
                           "warehouse_id": clinic.warehouse,
                           "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "20"}]},
        "requests": {"date": "2021-12-20T10:00:00", "doctor_id": clinic.efimova, "client_id": clinic.client,
                     "room_id": clinic.room, "starts_at": "2021-12-23T09:05:00", "lines": [svc]},
        "service-renderings": rendering(clinic, svc, {"nomenclature_id": clinic.goods, "quantity": "1",
                                                      "price": "25"}),
        "invoices": invoice(clinic, {**svc, "discount_percent": "10"}),
        "payments": pay(clinic, "500.00"),
        "opening-balances": {"date": "2021-11-30T23:00:00", "organization_id": clinic.org, "section": "stock",
                             "lines": [{"warehouse_id": clinic.warehouse, "nomenclature_id": clinic.goods,
                                        "quantity": "5", "balance": "100.00"}]},
        "stock-write-offs": {"date": "2021-12-20T12:00:00", "organization_id": clinic.org,
                             "warehouse_id": clinic.warehouse, "reason": "Бой",
                             "lines": [{"nomenclature_id": clinic.goods, "quantity": "2"}]},
        "inventory-counts": {"date": "2021-12-20T18:00:00", "organization_id": clinic.org,
                             "warehouse_id": clinic.warehouse, "responsible": "Петрова О.Н.",
                             "lines": [{"nomenclature_id": clinic.goods, "quantity": "9", "price": "21.50"}]},
        "stock-transfers": {"date": "2021-12-20T12:30:00", "organization_id": clinic.org,
                            "warehouse_id": clinic.warehouse, "warehouse_to_id": clinic.cabinet,
                            "lines": [{"nomenclature_id": clinic.goods, "quantity": "1"}]},
        # from the bank account the payment above paid into
        "outgoing-payments": {"date": "2021-12-23T12:00:00", "organization_id": clinic.org, "operation": "to_supplier",
                              "method": "bank", "bank_account_id": clinic.account, "recipient_id": clinic.supplier,
                              "amount": "200.00", "purpose": "Оплата по счёту № 15 от 20.12.2021"},
        "money-transfers": {"date": "2021-12-23T13:00:00", "organization_id": clinic.org, "method": "bank",
                            "bank_account_id": clinic.account, "method_to": "cash", "cash_desk_to_id": clinic.desk,
                            "amount": "100.00"},
        "supplier-orders": {"date": "2021-12-19T09:00:00", "organization_id": clinic.org,
                            "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
                            "lines": [{"nomenclature_id": clinic.goods, "quantity": "10", "price": "20"}]},
        **returned,
    }


async def sold_rendering(api, clinic: Clinic) -> int:
    """A posted rendering of the sample's service, for returns to be based on."""
    body = rendering(clinic, {"nomenclature_id": clinic.service, "quantity": "5", "price": "1500"},
                     date="2021-12-20T09:00:00")
    return (await api.create("service-renderings", body, post=True))["id"]
