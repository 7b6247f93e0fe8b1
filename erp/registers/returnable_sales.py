"""Продажи к возврату: what each ServiceRendering sold that may still come back.

A posted rendering adds every line (quantity, amount, VAT and, for goods, the cost its stock
expense took); a posted «Возврат от клиента» takes back what it returns, at the rendering's own
prices and costs (a share of what is left, the last unit taking the rest). Balance control keeps
the quantity and the amount from going below zero, so under concurrency too no return takes more
than was sold less the earlier returns, and a rendering cannot be unposted or cut below what was
returned. A service's cost of materials is not here: consumed materials do not come back.
"""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

returnable_sales = AccumulationRegister(
    "returnable-sales", kind="balance", title="Продажи к возврату", timezone=timezone_name(),
    dimensions=(Field("service_rendering_id", "ref", "Оказание услуг", ref="service-renderings", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True)),
    resources=(Field("quantity", "quantity", "Количество"), Field("amount", "money", "Сумма"),
               Field("vat", "money", "НДС"), Field("cost", "money", "Себестоимость")),
    no_negative=("quantity", "amount"),
)
