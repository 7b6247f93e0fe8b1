"""Взаиморасчёты с клиентами: positive means the client owes."""

from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister
from erp.settings import timezone_name

settlements = AccumulationRegister(
    "settlements", kind="balance", title="Взаиморасчёты с клиентами", timezone=timezone_name(),
    dimensions=(Field("organization_id", "ref", "Организация", ref="organizations", required=True),
                Field("client_id", "ref", "Клиент", ref="clients", required=True)),
    resources=(Field("amount", "money", "Сумма долга"),),
)
