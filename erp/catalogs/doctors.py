"""Врачи (сотрудники, ведущие приём)."""

from erp.platform.catalog import Catalog
from erp.platform.fields import Field

doctors = Catalog(
    "doctors", "Врачи", item_title="Врач",
    fields=(
        Field("full_name", "str", "ФИО полностью", max_length=300),
        Field("specialty", "str", "Специальность", max_length=200),
        Field("active", "bool", "Ведёт приём", default=True),
    ),
    search_fields=("full_name", "specialty"),
)
