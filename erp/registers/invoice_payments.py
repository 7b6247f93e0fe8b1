"""Оплата счетов: what is still due on each invoice."""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

invoice_payments = AccumulationRegister(
    "invoice-payments", kind="balance", title="Оплата счетов", timezone=timezone_name(),
    dimensions=(Field("invoice_id", "ref", "Счёт", ref="invoices", required=True),),
    resources=(Field("amount", "money", "Осталось оплатить"),),
)
