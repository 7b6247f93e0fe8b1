"""Queries the web UI needs that the API services do not have.

The lists themselves (catalogs, documents, pickers) are the platform's, the same the
REST API reads (:mod:`erp.platform.catalog_list`, :mod:`erp.platform.document_list`);
here is only what a page adds around them:

* :func:`with_derived`: a document list's derived values (an invoice's status).
* :func:`lookup`: a reference picker's options, by the picker's target.
* :func:`ref_names`: the names behind reference ids, for every target at once.
* :func:`appointments`: the Requests of a period with what a calendar block shows.

Everything here only reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform import catalog_list, document_list
from erp.platform.document import Doc, DocumentKind
from erp.platform.errors import ValidationError
from erp.platform.fields import Field
from erp.platform.listing import Page
from erp.platform.posting import derive
from erp.registers.doctor_schedule import doctor_schedule
from erp.registers.resource_schedule import resource_schedule
from erp.services import purchase_needs, reports
from erp.services.scheduling import FAR_FUTURE


async def with_derived(conn: asyncpg.Connection, registry, kind: DocumentKind, found: Page[Doc]
                       ) -> Page[tuple[Doc, dict]]:
    """The page's documents with their derived values (e.g. an invoice's status): ``(Doc, {derived})``."""
    derived = await derive(conn, registry, kind, found.rows)
    return Page([(d, derived.get(d.id, {})) for d in found.rows], found.next, found.prev)


def collect_refs(registry, fields: Iterable[Field], rows: Iterable[Mapping[str, Any]],
                 into: dict[str, set[int]] | None = None) -> dict[str, set[int]]:
    """``{target: {ids}}`` of the ref ``fields`` in ``rows``; a field whose target is another field's value
    (``extra["ref_by"]``: the money register's account, a cash desk or a bank account) counts too."""
    wanted = into if into is not None else defaultdict(set)
    refs = [f for f in fields if f.type == "ref" or f.extra.get("ref_by")]
    for row in rows:
        for f in refs:
            target = f.ref if f.type == "ref" else row.get(f.extra["ref_by"])
            if row.get(f.name) is not None and target:
                wanted.setdefault(target, set()).add(row[f.name])
    return wanted


def _document_text(title: str, number: str, date: dt.datetime) -> str:
    return f"{title} № {number} от {date:%d.%m.%Y}"


async def ref_names(conn: asyncpg.Connection, registry, wanted: Mapping[str, Iterable[int]],
                    tz: ZoneInfo | None = None,
                    document_text: Callable[[str, str, dt.datetime], str] = _document_text,
                    ) -> dict[tuple[str, int], str]:
    """``{(target, id): text}`` in one query: a catalog item's name, a document's
    ``document_text(title, number, date)`` ("Заявка № 12 от 22.12.2021")."""
    parts, args = [], []
    for target, ids in sorted(wanted.items()):
        ids = sorted({i for i in ids if i is not None})
        obj = registry.target(target)
        if not ids or obj is None:
            continue
        args.append(ids)
        if target in registry.catalogs:
            parts.append(f"SELECT '{target}' AS t, id, name AS text, NULL::timestamptz AS date"
                         f' FROM "{obj.table}" WHERE id = ANY(${len(args)}::bigint[])')
        else:
            parts.append(f"SELECT '{target}' AS t, id, number AS text, date"
                         f' FROM "{obj.table}" WHERE id = ANY(${len(args)}::bigint[])')
    if not parts:
        return {}
    out = {}
    for r in await conn.fetch(" UNION ALL ".join(parts), *args):
        if r["date"] is None:
            out[(r["t"], r["id"])] = r["text"]
        else:
            day = r["date"].astimezone(tz) if tz else r["date"]
            out[(r["t"], r["id"])] = document_text(registry.documents[r["t"]].title, r["text"], day)
    return out


async def lookup(conn: asyncpg.Connection, registry, target: str, q: str, limit: int = 25,
                 filters: Mapping[str, Any] | None = None, where: str = "") -> list[dict[str, Any]]:
    """Items for a reference picker (:func:`erp.platform.catalog_list.choices`,
    :func:`erp.platform.document_list.choices`). ``where`` is a declared condition
    (a field's ``picker_due``, never request input)."""
    if target in registry.catalogs:
        return await catalog_list.choices(conn, registry.catalogs[target], q, filters=filters, limit=limit)
    if target in registry.documents:
        return await document_list.choices(conn, registry.documents[target], q, filters=filters, condition=where,
                                           limit=limit)
    raise ValidationError.field("target", f"неизвестный справочник «{target}»")


async def available(conn: asyncpg.Connection, warehouse_id: int, ids: Iterable[int]) -> dict[int, Any]:
    """Доступно: each item's quantity in the warehouse less what Requests hold in reserve (a picker's hint)."""
    rows = await conn.fetch("SELECT nomenclature_id, quantity - reserved AS available FROM reg_stock_balance"
                            " WHERE warehouse_id = $1 AND nomenclature_id = ANY($2::bigint[])", warehouse_id, list(ids))
    return {r["nomenclature_id"]: r["available"] for r in rows}


@dataclass(frozen=True)
class Appointment:
    """A Request as a calendar block shows it."""

    id: int
    number: str
    doctor_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    posted: bool
    client: str
    service: str
    status_id: int | None
    status: str
    color: str
    resources: str = ""  # the room and the equipment it books: «Кабинет 3, УЗИ-аппарат»
    group_key: str | None = None  # a place in a group slot (a group service): the slot
    group_capacity: int | None = None  # and the group's places
    doctor: str = ""  # the doctor's name, shown on a room's or a piece of equipment's column
    room_id: int | None = None
    equipment_id: int | None = None


async def appointments(conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime,
                       doctor_ids: list[int] | None = None) -> list[Appointment]:
    """Unmarked Requests that overlap ``[start, end)``: posted ones hold the time,
    drafts are shown too, so nobody forgets them."""
    rows = await conn.fetch(
        "SELECT r.id, r.number, r.doctor_id, r.starts_at, r.ends_at, r.posted, coalesce(c.name, '') AS client,"
        " coalesce((SELECT n.name FROM doc_requests_lines l JOIN cat_nomenclature n ON n.id = l.nomenclature_id"
        "   WHERE l.document_id = r.id ORDER BY l.line_no LIMIT 1), '') AS service,"
        " r.visit_status_id, coalesce(s.name, '') AS status, coalesce(s.color, '#4a90d9') AS color,"
        " concat_ws(', ', room.name, eq.name) AS resources, nullif(r.group_key, '') AS group_key, r.group_capacity,"
        " coalesce(d.name, '') AS doctor, r.room_id, r.equipment_id"
        " FROM doc_requests r LEFT JOIN cat_clients c ON c.id = r.client_id"
        " LEFT JOIN cat_doctors d ON d.id = r.doctor_id"
        " LEFT JOIN cat_resources room ON room.id = r.room_id LEFT JOIN cat_resources eq ON eq.id = r.equipment_id"
        " LEFT JOIN cat_visit_statuses s ON s.id = r.visit_status_id"
        " WHERE NOT r.deletion_mark AND r.starts_at < $2 AND r.ends_at > $1"
        " AND ($3::bigint[] IS NULL OR r.doctor_id = ANY($3::bigint[])) ORDER BY r.starts_at, r.id",
        start, end, doctor_ids)
    return [Appointment(r["id"], r["number"], r["doctor_id"], r["starts_at"], r["ends_at"], r["posted"],
                        r["client"], r["service"], r["visit_status_id"], r["status"], r["color"], r["resources"],
                        r["group_key"], r["group_capacity"], r["doctor"], r["room_id"], r["equipment_id"])
            for r in rows]


@dataclass(frozen=True)
class Booking:
    """A posted Request as the month view counts it: who it holds and when."""

    doctor_id: int
    room_id: int | None
    equipment_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime


async def bookings(conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    """The posted, unmarked Requests that overlap ``[start, end)``."""
    rows = await conn.fetch(
        "SELECT doctor_id, room_id, equipment_id, starts_at, ends_at FROM doc_requests"
        " WHERE posted AND NOT deletion_mark AND starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id", start, end)
    return [Booking(r["doctor_id"], r["room_id"], r["equipment_id"], r["starts_at"], r["ends_at"]) for r in rows]


async def resources(conn: asyncpg.Connection, kind: str, ids: Iterable[int] = ()) -> list[dict[str, Any]]:
    """The rooms or the pieces of equipment (``kind``) not marked for deletion, and any others named in
    ``ids`` (booked in the period), by name."""
    return [dict(r) for r in await conn.fetch(
        "SELECT id, name, always_available, NOT deletion_mark AS active FROM cat_resources"
        " WHERE kind = $1 AND NOT is_group AND (NOT deletion_mark OR id = ANY($2::bigint[])) ORDER BY name, id",
        kind, list(ids))]


async def visit_statuses(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT id, name, color, predefined FROM cat_visit_statuses WHERE NOT deletion_mark"
        " ORDER BY sort_order, name, id")]


async def doctors(conn: asyncpg.Connection, ids: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Active doctors, and any others named in ``ids`` (e.g. in an old schedule), by name."""
    return [dict(r) for r in await conn.fetch(
        "SELECT id, name, active FROM cat_doctors WHERE (active AND NOT deletion_mark) OR id = ANY($1::bigint[])"
        " ORDER BY name, id", list(ids))]


def docs_refs(registry, kind: DocumentKind, docs: Iterable[Doc]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    docs = list(docs)
    collect_refs(registry, kind.header, [d.header for d in docs], wanted)
    collect_refs(registry, kind.lines, [ln for d in docs for ln in d.lines], wanted)
    for d in docs:
        if d.based_on:
            wanted[d.based_on[0]].add(d.based_on[1])
    return wanted


@dataclass(frozen=True)
class Dashboard:
    """What the home page shows: each list is cut to ``limit``, with its full count."""

    appointments: list[Appointment]
    unpaid: list[dict[str, Any]]
    unpaid_count: int
    low_stock: list[dict[str, Any]]
    low_stock_count: int
    names: dict[tuple[str, int], str]


async def dashboard(conn: asyncpg.Connection, registry, day_start: dt.datetime, limit: int = 15) -> Dashboard:
    """Today's posted appointments, invoices not fully paid, and the goods below their minimum stock
    at a warehouse (the nomenclature's «Минимальные остатки»)."""
    today = [a for a in await appointments(conn, day_start, day_start + dt.timedelta(days=1)) if a.posted]
    unpaid = [i for i in await reports.invoices(conn) if i["status"] != "paid"]
    low, low_count = await purchase_needs.below_minimum(conn, limit)
    names = await ref_names(conn, registry, {"doctors": {a.doctor_id for a in today}})
    return Dashboard(today, unpaid[:limit], len(unpaid), low, low_count, names)


async def working_intervals_on(conn: asyncpg.Connection, days: Iterable[dt.date],
                               doctor_ids: Iterable[int] | None = None) -> dict[tuple[int, dt.date], list]:
    """Each doctor's working intervals on each of ``days`` (the schedule in force:
    the latest posted WorkSchedule per doctor and day), in one query."""
    filters: dict[str, Any] = {"day": sorted(set(days))}
    if doctor_ids is not None:
        filters["doctor_id"] = sorted(set(doctor_ids))
        if not filters["doctor_id"]:
            return {}
    if not filters["day"]:
        return {}
    out: dict[tuple[int, dt.date], list] = {}
    for r in await doctor_schedule.slice_last(conn, FAR_FUTURE, **filters):
        out.setdefault((r["doctor_id"], r["day"]), []).append((r["start_time"], r["end_time"]))
    for intervals in out.values():
        intervals.sort()
    return out


async def resource_intervals_on(conn: asyncpg.Connection, days: Iterable[dt.date],
                                resource_ids: Iterable[int]) -> dict[tuple[int, dt.date], list]:
    """Each resource's working intervals on each of ``days`` (the latest posted «Установка графиков
    работы ресурсов» per resource and day), in one query."""
    filters: dict[str, Any] = {"day": sorted(set(days)), "resource_id": sorted(set(resource_ids))}
    if not filters["day"] or not filters["resource_id"]:
        return {}
    out: dict[tuple[int, dt.date], list] = {}
    for r in await resource_schedule.slice_last(conn, FAR_FUTURE, **filters):
        out.setdefault((r["resource_id"], r["day"]), []).append((r["start_time"], r["end_time"]))
    for intervals in out.values():
        intervals.sort()
    return out


async def organizations_and_accounts(conn: asyncpg.Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The organizations and their bank accounts (not marked for deletion), for the defaults screen."""
    orgs = await conn.fetch("SELECT id, name FROM cat_organizations WHERE NOT deletion_mark AND NOT is_group"
                            " ORDER BY name, id")
    accounts = await conn.fetch(
        "SELECT a.id, a.name, a.organization_id, o.name AS organization FROM cat_bank_accounts a"
        " JOIN cat_organizations o ON o.id = a.organization_id WHERE NOT a.deletion_mark"
        " ORDER BY o.name, a.is_default DESC, a.name, a.id")
    return [dict(r) for r in orgs], [dict(r) for r in accounts]
