"""Статусы визита: "Записан", "Пришел", "Не пришел" are predefined; colour, name
and order can be edited, and more can be added."""

import re

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field

BOOKED, CAME, MISSED = "booked", "came", "missed"

visit_statuses = Catalog(
    "visit-statuses", "Статусы визита", item_title="Статус визита",
    fields=(
        Field("color", "str", "Цвет", max_length=7, default="#4a90d9",
              check=lambda v: None if re.fullmatch(r"#[0-9a-fA-F]{6}", v) else "цвет в виде #RRGGBB"),
        Field("sort_order", "int", "Порядок", default=0),
    ),
    predefined=(
        Predefined(BOOKED, "Записан", {"color": "#4a90d9", "sort_order": 1}),
        Predefined(CAME, "Пришел", {"color": "#3cb371", "sort_order": 2}),
        Predefined(MISSED, "Не пришел", {"color": "#d9534f", "sort_order": 3}),
    ),
    write_roles=("admin", "accountant", "manager"),
)
