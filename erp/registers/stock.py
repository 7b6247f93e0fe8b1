"""Товары на складах: quantity and cost by warehouse and item; never negative, and no cost where nothing is left."""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

stock = AccumulationRegister(
    "stock", kind="balance", title="Товары на складах", timezone=timezone_name(),
    dimensions=(Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
                Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True)),
    resources=(Field("quantity", "quantity", "Количество"), Field("cost", "money", "Себестоимость")),
    no_negative=("quantity", "cost"), zero_with={"cost": "quantity"},
)
