"""Товары на складах: quantity and cost by warehouse and item, and how much of it Requests hold in reserve.

Never negative, no cost where nothing is left, and the quantity always covers the reserve: what
balance control and the pickers call «доступно» is the quantity less the reserve (остаток − резерв).
The reserve is the sum of the Requests' reserves (:mod:`.stock_reserves`), kept in the same balance
row, so the check is made in the posting statement on the row it updates, however postings race.
"""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

stock = AccumulationRegister(
    "stock", kind="balance", title="Товары на складах", timezone=timezone_name(),
    dimensions=(Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True)),
    resources=(Field("quantity", "quantity", "Количество"), Field("cost", "money", "Себестоимость"),
               Field("reserved", "quantity", "В резерве")),
    no_negative=("quantity", "cost"), zero_with={"cost": "quantity"}, covers={"quantity": "reserved"},
)
