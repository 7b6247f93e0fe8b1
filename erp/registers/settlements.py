"""Взаиморасчёты с клиентами: positive means the client owes."""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

settlements = AccumulationRegister(
    "settlements", kind="balance", title="Взаиморасчёты с клиентами", timezone=timezone_name(),
    dimensions=(Field("organization_id", "ref", "Организация", ref="organizations", required=True),
                Field("client_id", "ref", "Клиент", ref="clients", required=True)),
    resources=(Field("amount", "money", "Сумма долга"),),
)
