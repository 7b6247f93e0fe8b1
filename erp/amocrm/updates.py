"""What goes into a lead's update: the current total, the appointment fields, the stage.

A lead's total is the sum of the posted ServiceRenderings based on Requests with that lead id,
less the posted «Возврат от клиента» of those renderings, read when the update is sent, so events
coalesce: however many postings happened, one update carries the latest total. ``price`` is an
integer in amoCRM, so it gets the total rounded half-up to whole rubles; the "Сумма1С" field gets the exact decimal.

Field values take the shape of the field amoCRM has: a list field gets the ``enum_id`` of the
matching option, a date field a Unix timestamp, anything else the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.amocrm.fields import DATE, ENUM_TYPES, SUM

WON = 142


async def totals(conn: asyncpg.Connection, lead_ids: list[int]) -> dict[int, Decimal]:
    rows = await conn.fetch(
        "SELECT l.lead_id, coalesce(sum(s.amount_total), 0) - coalesce(sum(c.returned), 0) AS total"
        " FROM unnest($1::bigint[]) AS l(lead_id)"
        " LEFT JOIN doc_requests r ON r.amocrm_lead_id = l.lead_id"
        " LEFT JOIN doc_service_renderings s ON s.based_on_kind = 'requests' AND s.based_on_id = r.id AND s.posted"
        " LEFT JOIN LATERAL (SELECT sum(c.amount_total) AS returned FROM doc_client_returns c"
        "                    WHERE c.based_on_kind = 'service-renderings' AND c.based_on_id = s.id AND c.posted) c"
        " ON true GROUP BY l.lead_id", lead_ids)
    return {r["lead_id"]: Decimal(r["total"]).quantize(Decimal("0.01")) for r in rows}


def price_of(total: Decimal) -> int:
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _enum_id(enums: dict[str, int], value: str) -> int | None:
    candidates = [value]
    if len(value) == 5 and value[2] == ":" and value.startswith("0"):
        candidates.append(value[1:])  # "09:05" is "9:05" in many accounts
    for candidate in candidates:
        if candidate in enums:
            return enums[candidate]
    folded = {k.casefold().strip(): v for k, v in enums.items()}
    return next((folded[c.casefold()] for c in candidates if c.casefold() in folded), None)


def field_value(info: dict[str, Any], name: str, value: str, tz: ZoneInfo) -> list[dict[str, Any]] | None:
    """``values`` for one custom field, or ``None`` when the account's field cannot hold ``value``."""
    kind = info.get("type", "text")
    if kind in ENUM_TYPES:
        enum_id = _enum_id(info.get("enums") or {}, value)
        return None if enum_id is None else [{"enum_id": enum_id}]
    if name == DATE and kind in ("date", "date_time", "birthday"):
        day = dt.date.fromisoformat(value)
        return [{"value": int(dt.datetime.combine(day, dt.time(), tz).timestamp())}]
    if name == DATE:
        day = dt.date.fromisoformat(value)
        return [{"value": f"{day:%d.%m.%Y}"}]
    return [{"value": value}]


@dataclass
class LeadUpdate:
    """One item of ``PATCH /api/v4/leads`` and what it says, for the exchange log."""

    lead_id: int
    item: dict[str, Any] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return set(self.item) <= {"id", "request_id"}


def lead_update(lead_id: int, lead_fields: dict[str, Any], tz: ZoneInfo, *, total: Decimal | None = None,
                values: dict[str, str] | None = None, pipeline_id: int | None = None) -> LeadUpdate:
    update = LeadUpdate(lead_id, {"id": lead_id, "request_id": str(lead_id)})
    custom: list[dict[str, Any]] = []
    if total is not None:
        update.item["price"] = price_of(total)
        update.said.append(f"бюджет {price_of(total)}")
        if SUM in lead_fields:
            custom.append({"field_id": lead_fields[SUM]["id"], "values": [{"value": format(total, "f")}]})
            update.said.append(f"«{SUM}» {format(total, 'f')}")
        else:
            update.said.append(f"поля «{SUM}» нет в amoCRM")
    for name, value in (values or {}).items():
        info = lead_fields.get(name)
        converted = field_value(info, name, value, tz) if info else None
        if converted is None:
            update.said.append(f"«{name}» не записано: " + ("поля нет в amoCRM" if info is None
                                                           else f"в списке нет значения «{value}»"))
            continue
        custom.append({"field_id": info["id"], "values": converted})
        update.said.append(f"«{name}» {value}")
    if custom:
        update.item["custom_fields_values"] = custom
    if pipeline_id is not None:
        update.item.update(status_id=WON, pipeline_id=pipeline_id)
        update.said.append(f"этап {WON} «Успешно реализовано» (воронка {pipeline_id})")
    return update
