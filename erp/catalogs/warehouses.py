"""Склады."""

from erp.platform.catalog import Catalog

warehouses = Catalog("warehouses", "Склады", item_title="Склад")
