"""The lead's custom fields, found by name: nobody types field ids by hand.

``GET /api/v4/leads/custom_fields`` is paginated, so the whole list is read by following
``_links.next``. The five fields the integration writes or reads are cached on the connection as
``{name: {"id", "type", "enums": {value: enum_id}}}``. A missing one is named in the error; with
``--create-fields`` the missing ones are created (``POST /api/v4/leads/custom_fields``): "Врач" as a
list of the clinic's doctors, the others as plain fields.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from erp.amocrm import connection as connections
from erp.amocrm.client import AmoError
from erp.amocrm.gate import Gate
from erp.platform.errors import ErpError

SUM = "Сумма1С"
DATE = "Дата записи к врачу"
DOCTOR = "Врач"
TIME = "Время записи"
CLIENT = "ФИО клиента"
NAMES = (SUM, DATE, DOCTOR, TIME, CLIENT)
TYPES = {SUM: "numeric", DATE: "date", DOCTOR: "select", TIME: "text", CLIENT: "text"}
ENUM_TYPES = {"select", "multiselect", "radiobutton"}
MAX_PAGES = 100


class MissingFields(ErpError):
    status = 422
    code = "amocrm_fields_missing"

    def __init__(self, missing: list[str]) -> None:
        names = ", ".join(f"«{n}»" for n in missing)
        super().__init__(
            f"В amoCRM нет полей сделки: {names}. Создайте их в amoCRM (Настройки → Поля → Сделки) и выполните "
            "«erp amocrm fields», или создайте их автоматически: «erp amocrm fields --create-fields»",
            details={"missing_fields": missing})


def describe(field: dict[str, Any]) -> dict[str, Any]:
    enums = {e["value"]: e["id"] for e in field.get("enums") or () if isinstance(e, dict) and "value" in e}
    return {"id": field["id"], "type": field.get("type") or "text", "enums": enums}


async def list_fields(gate: Gate) -> list[dict[str, Any]]:
    """Every lead field of the account, page after page."""
    url: str | None = "/api/v4/leads/custom_fields?limit=250"
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    while url and url not in seen and len(seen) < MAX_PAGES:
        seen.add(url)
        body = await gate.call("GET", url)
        if not body:
            break
        out += (body.get("_embedded") or {}).get("custom_fields") or []
        url = ((body.get("_links") or {}).get("next") or {}).get("href")
    return out


async def _create(gate: Gate, conn: asyncpg.Connection, names: list[str]) -> list[dict[str, Any]]:
    doctors = [r["name"] for r in await conn.fetch(
        "SELECT name FROM cat_doctors WHERE active AND NOT deletion_mark ORDER BY name")]
    specs = []
    for i, name in enumerate(names):
        spec: dict[str, Any] = {"name": name, "type": TYPES[name], "sort": 500 + i * 10, "request_id": str(i)}
        if TYPES[name] in ENUM_TYPES:
            spec["enums"] = [{"value": d, "sort": (k + 1) * 10} for k, d in enumerate(doctors or ["—"])]
        specs.append(spec)
    body = await gate.call("POST", "/api/v4/leads/custom_fields", json=specs)
    created = ((body or {}).get("_embedded") or {}).get("custom_fields") or []
    if len(created) != len(names):
        raise AmoError("amoCRM не создал поля сделки: " + ", ".join(names))
    return created


async def resolve(gate: Gate, conn: asyncpg.Connection, *, create: bool = False) -> dict[str, Any]:
    """Find the five fields (creating the missing ones if asked), store them on the connection, and
    raise :class:`MissingFields` for those still missing."""
    found: dict[str, dict[str, Any]] = {}
    for field in await list_fields(gate):
        if isinstance(field, dict) and field.get("name") in NAMES:
            found.setdefault(field["name"], describe(field))
    missing = [n for n in NAMES if n not in found]
    if missing and create:
        for field in await _create(gate, conn, missing):
            found[field["name"]] = describe(field)
        missing = [n for n in NAMES if n not in found]
    resolved = {n: found[n] for n in NAMES if n in found}
    await connections.save_fields(conn, resolved)
    if missing:
        raise MissingFields(missing)
    return resolved
