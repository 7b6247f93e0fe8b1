"""What must hold after any load, crash or race, read straight from the database and the fake amoCRM:
posted flags agree with movements, numbers are unique and gapless, no doctor is booked twice at
once, the outbox is empty, and every lead carries the total of its posted ServiceRenderings."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from erp.configuration import registry

MAY_POST_NOTHING = {"requests"}  # kinds whose posted documents may have no movements at all


async def posted_flags_disagreeing_with_movements(db) -> list[tuple[str, int, bool]]:
    """``(kind, id, posted)`` of every document whose posted flag says otherwise than its movements.
    Kinds that write no registers (a Request holds time by its posted flag alone) have nothing to compare."""
    wrong = []
    for kind in registry().documents.values():
        tables = [r.movements_table for r in kind.registers]
        if not tables:
            continue
        has = " OR ".join(f"EXISTS (SELECT 1 FROM {t} m WHERE m.recorder_kind = $1 AND m.recorder_id = d.id)"
                          for t in tables)
        # A posted Request holds its time by the flag and writes movements only for goods it reserves.
        disagree = f"(NOT d.posted AND ({has}))" if kind.name in MAY_POST_NOTHING else f"d.posted <> ({has})"
        wrong += [(kind.name, r["id"], r["posted"]) for r in await db.fetch(
            f'SELECT d.id, d.posted FROM "{kind.table}" d WHERE {disagree}', kind.name)]
    return wrong


async def numbering_faults(db) -> dict[str, list]:
    """Duplicate numbers, and gaps in each (kind, prefix, year) sequence, over every document kind."""
    duplicates, gaps = [], []
    for kind in registry().documents.values():
        rows = await db.fetch(f"SELECT number, extract(year FROM date AT TIME ZONE 'Europe/Moscow')::int AS year"
                              f' FROM "{kind.table}"')
        sequences: dict[tuple[str, int], list[int]] = defaultdict(list)
        seen: set[tuple[str, int]] = set()
        for r in rows:
            if (r["number"], r["year"]) in seen:
                duplicates.append((kind.name, r["number"], r["year"]))
            seen.add((r["number"], r["year"]))
            prefix = r["number"].rstrip("0123456789")
            sequences[(prefix, r["year"])].append(int(r["number"][len(prefix):] or 0))
        for (prefix, year), values in sequences.items():
            if sorted(values) != list(range(1, len(values) + 1)):
                gaps.append((kind.name, prefix, year, sorted(set(range(1, max(values) + 1)) - set(values))))
    return {"duplicates": duplicates, "gaps": gaps}


async def double_bookings(db) -> list[tuple[int, int, int]]:
    """Pairs of posted, unmarked Requests of one doctor whose times overlap."""
    return [(r["doctor_id"], r["a"], r["b"]) for r in await db.fetch(
        "SELECT a.doctor_id, a.id AS a, b.id AS b FROM doc_requests a JOIN doc_requests b"
        " ON a.doctor_id = b.doctor_id AND a.id < b.id"
        " AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')"
        " WHERE a.posted AND b.posted AND NOT a.deletion_mark AND NOT b.deletion_mark")]


async def undelivered(db) -> dict[str, int]:
    """Outgoing events not delivered, by state: empty when nothing was lost or left behind."""
    return {r["state"]: r["n"] for r in await db.fetch(
        "SELECT state, count(*) AS n FROM amocrm_events WHERE direction = 'out' AND state <> 'delivered'"
        " GROUP BY state")}


async def lead_totals(db, leads: list[int]) -> dict[int, Decimal]:
    """The sum of the posted ServiceRenderings based on Requests of each lead."""
    sums = {r["lead"]: r["total"] for r in await db.fetch(
        "SELECT r.amocrm_lead_id AS lead, sum(s.amount_total) AS total FROM doc_service_renderings s"
        " JOIN doc_requests r ON s.based_on_kind = 'requests' AND s.based_on_id = r.id"
        " WHERE s.posted AND r.amocrm_lead_id = ANY($1::bigint[]) GROUP BY 1", leads)}
    return {lead: sums.get(lead, Decimal("0.00")) for lead in leads}


async def wrong_leads(db, fake, leads: list[int]) -> list[tuple[int, int, str | None, Decimal]]:
    """``(lead, its price, its "Сумма1С", the right total)`` for every lead amoCRM shows wrongly: the price
    must be the total rounded half-up to whole rubles and "Сумма1С" the exact total."""
    wrong = []
    for lead, total in (await lead_totals(db, leads)).items():
        price, exact = fake.lead(lead)["price"], fake.field_value(lead, "Сумма1С")
        if price != int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)) or Decimal(exact or "0") != total:
            wrong.append((lead, price, exact, total))
    return wrong
