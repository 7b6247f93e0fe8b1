"""Товары в резерве: what each posted Request holds of an item in a warehouse until it is rendered.

A posted Request with goods lines adds them here (приход) and to the reserve of the stock register
(:mod:`.stock`), which balance control weighs against the quantity; the «Оказание услуг» made on
the Request takes the Request's whole reserve away (расход) in its own posting, so the reserve
comes back when the rendering is unposted. Never negative. The request is the first dimension, so
a rendering reads its Request's reserve by the key's prefix.
"""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

stock_reserves = AccumulationRegister(
    "stock-reserves", kind="balance", title="Товары в резерве", timezone=timezone_name(),
    dimensions=(Field("request_id", "ref", "Заявка", ref="requests", required=True),
                Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True)),
    resources=(Field("quantity", "quantity", "Количество"),),
    no_negative=("quantity",),
)
