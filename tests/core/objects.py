"""A tiny configuration of the tests' own: the platform core must work for any
configuration, so these tests never touch the clinic's objects."""

from __future__ import annotations

import asyncpg

from erp.platform.catalog import Catalog, Predefined
from erp.platform.ddl import create_tables
from erp.platform.document import BasedOn, Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.metadata import Registry
from erp.platform.register import AccumulationRegister

shops = Catalog("shops", "Магазины", fields=(Field("prefix", "str", "Префикс", max_length=5),))
things = Catalog("things", "Вещи", hierarchical=True,
                 fields=(Field("price", "money", "Цена", nonnegative=True),),
                 predefined=(Predefined("default_thing", "Вещь по умолчанию", {"price": "1.00"}),))
boxes = AccumulationRegister(
    "boxes", kind="balance", title="Коробки",
    dimensions=(Field("shop_id", "ref", ref="shops", required=True),
                Field("thing_id", "ref", ref="things", required=True)),
    resources=(Field("qty", "quantity"), Field("value", "money")), no_negative=("qty",))
sold = AccumulationRegister(
    "sold", kind="turnover", title="Продано",
    dimensions=(Field("thing_id", "ref", ref="things", required=True),),
    resources=(Field("qty", "quantity"),))

LINES = (Field("thing_id", "ref", "Вещь", ref="things", required=True),
         Field("qty", "quantity", "Количество", required=True),
         Field("value", "money", "Сумма"))


def _positive(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    bad = {f"lines[{i}].qty": "количество должно быть больше нуля" for i, ln in enumerate(lines) if ln["qty"] <= 0}
    if bad:
        raise ValidationError.fields(bad)
    return header, lines


def arrive(doc: Doc, _inputs) -> dict:
    return {boxes: [boxes.receipt(doc.date, shop_id=doc.shop_id, thing_id=ln["thing_id"], qty=ln["qty"],
                                  value=ln["value"] or 0) for ln in doc.lines]}


def depart(doc: Doc, _inputs) -> dict:
    return {boxes: [boxes.expense(doc.date, shop_id=doc.shop_id, thing_id=ln["thing_id"], qty=ln["qty"],
                                  value=ln["value"] or 0) for ln in doc.lines],
            sold: [sold.turnover(doc.date, thing_id=ln["thing_id"], qty=ln["qty"]) for ln in doc.lines]}


def from_arrival(base: Doc, _inputs) -> dict:
    return {"header": {"shop_id": base.shop_id},
            "lines": [{"thing_id": ln["thing_id"], "qty": ln["qty"]} for ln in base.lines]}


arrivals = DocumentKind("arrivals", "Приход", header=(Field("shop_id", "ref", "Магазин", ref="shops", required=True),),
                        lines=LINES, registers=(boxes,), movements=arrive, prepare=_positive,
                        prefix_from=("shop_id", "shops", "prefix"), organization_field="shop_id")
departures = DocumentKind("departures", "Расход", header=(Field("shop_id", "ref", "Магазин", ref="shops",
                                                                required=True),),
                          lines=LINES, registers=(boxes, sold), movements=depart, prepare=_positive,
                          based_on=(BasedOn("arrivals", from_arrival),), organization_field="shop_id")
notes = DocumentKind("notes", "Заметка", header=(Field("text", "text", "Текст"),),
                     based_on=(BasedOn("departures", lambda d, _inputs: {"header": {"text": f"по {d.number}"}}),))


def build() -> Registry:
    return Registry([shops, things, boxes, sold, arrivals, departures, notes])


async def install(conn: asyncpg.Connection, registry: Registry) -> None:
    from erp.platform.catalog_service import ensure_predefined

    await create_tables(conn, registry.tables(), extra=registry.extra_ddl())
    for catalog in registry.catalogs.values():
        await ensure_predefined(conn, catalog)
