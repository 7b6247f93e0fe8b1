"""Продажи: turnover by organization, client, item and doctor.

``cost`` is the cost of what was sold (себестоимость продаж, as 1C:УТ keeps it beside the
revenue): for goods, what their stock expense took; for a service, what its materials took
(«Материалы услуги»). Revenue less cost is the margin the sales report shows.
"""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

sales = AccumulationRegister(
    "sales", kind="turnover", title="Продажи", timezone=timezone_name(),
    dimensions=(Field("organization_id", "ref", "Организация", ref="organizations", required=True),
                Field("client_id", "ref", "Клиент", ref="clients", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
                Field("doctor_id", "ref", "Врач", ref="doctors", required=True)),
    resources=(Field("quantity", "quantity", "Количество"), Field("amount", "money", "Сумма"),
               Field("vat", "money", "НДС"), Field("cost", "money", "Себестоимость")),
)
