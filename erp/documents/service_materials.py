"""Материалы услуги: what a rendered service uses up.

A service lists the goods it consumes per unit (the nomenclature's tabular part
``materials``). Posting a ServiceRendering writes ``line quantity × material quantity``
of each off the rendering's warehouse at the moving-average cost, beside the goods
lines' own expense and under the same balance control; the client is not billed for
them, and their cost is the service line's cost of sales.

The rendering reads the materials when it posts, as 1C reads catalog data at posting:
a catalog edit leaves posted renderings (their movements) as they are, and a re-post
(saving a posted rendering, ``erp documents repost``) writes off the list in force then.
That is how this configuration treats every catalog attribute a posting reads (an item's
kind, read at posting, is the other); what may not change under posted documents is
refused at the edit instead (``fixed_once_used``). Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erp.platform.posting.inputs import PartBalances, Parts

THOUSANDTH = Decimal("0.001")


def needs(ids: tuple[int, ...], warehouse: int | None) -> dict:
    """The materials of the lines' items (with each material's kind and name) and their balances in
    the warehouse: read in the posting's one query with the rest."""
    out: dict[str, Any] = {"materials": Parts("nomenclature", "materials", ids, ("nomenclature_id", "quantity"),
                                              ("kind", "name"))}
    if warehouse:
        out["material_stock"] = PartBalances("stock", (), None, "nomenclature", "materials", ids,
                                             "nomenclature_id", {"warehouse_id": warehouse})
    return out


def consumption(lines: Sequence[Mapping[str, Any]], goods: Mapping[int, str],
                materials: Mapping[int, list[dict]]) -> list[tuple[int, int, Decimal]]:
    """``(line index, material, quantity)`` of every material the lines' services use, in line order:
    the line's quantity times the material's, to the thousandth. A material that is no longer goods,
    and a line of no quantity, writes nothing off."""
    out = []
    for i, ln in enumerate(lines):
        if ln["nomenclature_id"] in goods or not ln.get("quantity") or ln["quantity"] <= 0:
            continue
        for m in materials.get(ln["nomenclature_id"], ()):
            if m["kind"] != "goods":
                continue
            taken = (ln["quantity"] * m["quantity"]).quantize(THOUSANDTH, ROUND_HALF_UP)
            if taken > 0:
                out.append((i, m["nomenclature_id"], taken))
    return out


def names(materials: Mapping[int, list[dict]]) -> dict[int, str]:
    """Each material's name, for a shortage message."""
    return {m["nomenclature_id"]: m["name"] for rows in materials.values() for m in rows}
