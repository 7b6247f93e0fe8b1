"""Заказы поставщикам: what is still to come from each supplier order, by order and item.

A posted «Заказ поставщику» adds what it orders (приход); a posted «Поступление товаров» made on
the order takes away what arrived (расход). The balance is what is still to come; it is never
negative, so a receipt cannot take more than the order still expects, and an order cannot be
cut below (or unposted under) what has already arrived. Unposting a receipt gives its quantity
back to the order, so the received figure stays right through unposting and re-posting.
"""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

supplier_orders = AccumulationRegister(
    "orders-to-suppliers", kind="balance", title="Заказы поставщикам", timezone=timezone_name(),
    dimensions=(Field("order_id", "ref", "Заказ поставщику", ref="supplier-orders", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True)),
    resources=(Field("quantity", "quantity", "Осталось получить"),),
    no_negative=("quantity",),
)
