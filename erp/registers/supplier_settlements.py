"""Расчёты с поставщиками: positive means the organization owes the supplier.

A goods receipt adds its total to the debt; an outgoing payment to the supplier takes
the paid amount off it. An advance paid before the goods arrive leaves a negative
balance (the supplier owes the goods), so the register has no balance control."""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

supplier_settlements = AccumulationRegister(
    "supplier-settlements", kind="balance", title="Расчёты с поставщиками", timezone=timezone_name(),
    dimensions=(Field("organization_id", "ref", "Организация", ref="organizations", required=True),
                Field("counterparty_id", "ref", "Поставщик", ref="clients", required=True)),
    resources=(Field("amount", "money", "Долг поставщику"),),
)
