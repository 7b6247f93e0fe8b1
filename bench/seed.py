"""The data generator behind ``erp bench seed`` and the benchmark's large data sets.

* **Stock history**: N movements of the stock register over its keys
  (warehouses × goods) and Y years ending now, streamed with ``COPY`` while a
  thread generates the next chunk. The register's secondary indexes are
  dropped during the load and rebuilt after it (one sort per index is far
  cheaper than N index insertions). The generator adds the movements up as
  it goes, per month in the register's time zone and per key, and those
  totals go into the register's own totals tables with ``COPY`` too (``erp
  totals check`` proves them against the movements); the tables are then
  vacuumed and analysed. Each key opens with a receipt large enough that its
  balance never goes negative; then, day by day in time order, movements
  pick a random key and mix receipts (1–20) and expenses (1–10) priced at the
  item's price, so a key's movements are scattered over the table as in a
  live database. They belong to synthetic recorders of the kind
  :data:`HISTORY_RECORDER` (one per day): no document is behind them, and
  nothing that reads balances or totals looks at recorders.
* **A skewed history** (:func:`seed_skewed_history`) for history independence:
  a few keys of a long history (e.g. 100 000 movements each) and many of a
  short one (100 each), on a warehouse of their own, each key with exactly its
  count, interleaved in time the same way; recorders :data:`SKEWED_RECORDER`.
* **ServiceRenderings** for the lists: N unposted documents (drafts: a
  posted one would need its movements too) of three lines each, over Y
  years, numbered per year through the kind's own counters, copied with
  ``COPY``.
* **A day of appointments**: a posted WorkSchedule for every doctor on the
  day and posted Requests spread over it, through the posting engine.

Every step reports to an optional ``progress(description, advance, total)``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from erp.platform.numbering import format_number
from erp.platform.register import AccumulationRegister, q

from .clinic import Clinic

HISTORY_RECORDER = "bench-history"
SKEWED_RECORDER = "bench-skewed-history"
CHUNK_BYTES = 1 << 20
Progress = Callable[[str, int, int], None]


def _quiet(_description: str, _advance: int, _total: int) -> None:
    pass


@dataclass(frozen=True)
class SeedReport:
    rows: int
    seconds: float
    steps: dict[str, float]  # step → seconds


# -- streaming ------------------------------------------------------------------------------


async def _prefetched(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Yield ``chunks`` while a thread already builds the next one."""
    loop = asyncio.get_running_loop()
    pending = loop.run_in_executor(None, next, chunks, None)
    while (chunk := await pending) is not None:
        pending = loop.run_in_executor(None, next, chunks, None)
        yield chunk


def _batched(lines: Iterator[str], advance: Callable[[int], None]) -> Iterator[bytes]:
    buffer, size, count = [], 0, 0
    for text, n in lines:
        buffer.append(text)
        size += len(text)
        count += n
        if size >= CHUNK_BYTES:
            advance(count)
            yield "".join(buffer).encode()
            buffer, size, count = [], 0, 0
    if buffer:
        advance(count)
        yield "".join(buffer).encode()


async def _secondary_indexes(conn: asyncpg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no constraint."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = $1"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", table)
    return [(r["indexname"], r["indexdef"]) for r in rows]


# -- stock history ------------------------------------------------------------------------------


def _utc_days(start: dt.datetime, days: int) -> list[str]:
    return [(start + dt.timedelta(days=i)).strftime("%Y-%m-%d ") for i in range(days)]


class StockHistory:
    """The stock history as COPY text in time order, a day at a time, and the
    totals it adds up to (per month in the register's time zone, and per key).

    Day 0 opens every key with a receipt larger than all its later expenses
    can take; every later movement picks a random key, so a key's movements
    lie scattered over the table as they do in a live database. Half the
    movements are receipts of 1..20, half expenses of 1..10, at the item's price."""

    QUANTITIES = [(1, q) for q in range(1, 21)] + [(-1, q) for q in range(1, 11)] * 2

    def __init__(self, keys: Sequence[tuple[int, int]], prices: dict[int, int], movements: int,
                 start: dt.datetime, days: int, tz: dt.tzinfo, seed: int = 8, *,
                 per_key: Sequence[int] | None = None, recorder: str = HISTORY_RECORDER) -> None:
        self.keys, self.prices, self.movements = list(keys), prices, movements
        self.start, self.days, self.tz = start, days, tz
        self.per_key, self.recorder = per_key, recorder
        # exact counts per key: the picks are then a shuffled deck of keys
        if per_key is not None and (len(per_key) != len(self.keys) or min(per_key, default=1) < 1
                                    or sum(per_key) != movements):
            raise ValueError("per_key needs a count ≥ 1 for every key, adding up to movements")
        self.rnd = random.Random(seed)
        # (month, key index) → [quantity receipt, quantity expense, cost receipt, cost expense]
        self.months: dict[tuple[dt.date, int], list[int]] = {}

    def _add(self, month: dt.date, picks: Sequence[int]) -> None:
        width = len(self.QUANTITIES)
        for pick, times in Counter(picks).items():
            key, kind = divmod(pick, width)
            record_type, quantity = self.QUANTITIES[kind]
            total = self.months.setdefault((month, key), [0, 0, 0, 0])
            side = 0 if record_type == 1 else 1
            total[side] += quantity * times
            total[2 + side] += quantity * times * self.prices[self.keys[key][1]]

    def _local_month(self, moment: dt.datetime) -> dt.date:
        local = moment.astimezone(self.tz)
        return dt.date(local.year, local.month, 1)

    def lines(self) -> Iterator[tuple[str, int]]:
        """(COPY text, movements in it), ready for :func:`_batched`."""
        day_text = _utc_days(self.start, self.days)
        seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00\t" for s in range(86400)]
        tails = [f"{rt}\t{w}\t{g}\t{q}\t{q * self.prices[g]}\n" for w, g in self.keys for rt, q in self.QUANTITIES]
        # each key opens with more than its expenses can take together
        if self.per_key is None:
            openings = [10 * (self.movements // len(self.keys) + 1) + 100] * len(self.keys)
        else:
            openings = [10 * n + 100 for n in self.per_key]
        opened = min(self.movements, len(self.keys))
        first = [f"{self.recorder}\t1\t{i}\t{day_text[0]}00:00:00+00\t1\t{w}\t{g}\t{openings[i - 1]}\t"
                 f"{openings[i - 1] * self.prices[g]}\n" for i, (w, g) in enumerate(self.keys[:opened], start=1)]
        month = self._local_month(self.start)
        for key in range(opened):
            self.months[(month, key)] = [openings[key], 0, openings[key] * self.prices[self.keys[key][1]], 0]
        yield "".join(first), opened
        left, picks_range = self.movements - opened, range(len(tails))
        deck = self._deck()
        for day in range(self.days):
            n = left // (self.days - day)
            left -= n
            if n <= 0:
                continue
            moments = sorted(self.rnd.choices(range(1 if day == 0 else 0, 86400), k=n))
            picks = self.rnd.choices(picks_range, k=n) if deck is None else self._deal(deck, n)
            midnight = self.start + dt.timedelta(days=day)
            early, late = self._local_month(midnight), self._local_month(midnight + dt.timedelta(seconds=86399))
            if early == late:
                self._add(early, picks)
            else:  # the local month turns during this UTC day
                turn = dt.datetime(late.year, late.month, 1, tzinfo=self.tz)
                cut = bisect.bisect_left(moments, int((turn - midnight).total_seconds()))
                self._add(early, picks[:cut])
                self._add(late, picks[cut:])
            head, date = f"{self.recorder}\t{day + 2}\t", day_text[day]
            yield "".join([f"{head}{line}\t{date}{seconds[m]}{tails[p]}"
                           for line, m, p in zip(range(1, n + 1), moments, picks, strict=True)]), n

    def _deck(self) -> list[int] | None:
        """With ``per_key``: every key's index once for each movement after its opening, shuffled
        (dealt from the end, day by day), so each key gets exactly its count, spread over the years."""
        if self.per_key is None:
            return None
        deck = [key for key, n in enumerate(self.per_key) for _ in range(n - 1)]
        self.rnd.shuffle(deck)
        return deck

    def _deal(self, deck: list[int], n: int) -> list[int]:
        """The next ``n`` picks (key × kind of movement) from the deck."""
        width, kinds = len(self.QUANTITIES), self.rnd.choices(range(len(self.QUANTITIES)), k=n)
        picks = [key * width + kind for key, kind in zip(deck[-n:], kinds, strict=True)]
        del deck[-n:]
        return picks

    def month_text(self) -> str:
        return "".join(f"{month}\t{self.keys[k][0]}\t{self.keys[k][1]}\t{qr}\t{qe}\t{cr}\t{ce}\n"
                       for (month, k), (qr, qe, cr, ce) in self.months.items())

    def balance_text(self) -> str:
        balances: dict[int, list[int]] = {}
        for (_, k), (qr, qe, cr, ce) in self.months.items():
            total = balances.setdefault(k, [0, 0])
            total[0] += qr - qe
            total[1] += cr - ce
        return "".join(f"{self.keys[k][0]}\t{self.keys[k][1]}\t{q}\t{c}\n" for k, (q, c) in balances.items())


# The resources the generated history carries; the register's others (the reserve) keep their default 0.
HISTORY_RESOURCES = ("quantity", "cost")


async def _add_totals(conn: asyncpg.Connection, register: AccumulationRegister, history: StockHistory) -> None:
    """Add the history's totals to the register's month and current rows (COPY into a
    temporary table, then one upsert each, in key order)."""
    dims = [q(d) for d in register.dimension_names]
    # (quantity, cost) × (receipt, expense): the order of StockHistory's month columns
    month_amounts = [q(f"{r}_{side}") for r in HISTORY_RESOURCES for side in ("receipt", "expense")]
    plans = [(register.month_table, ["month", *dims], month_amounts, history.month_text()),
             (register.balance_table, dims, [q(r) for r in HISTORY_RESOURCES], history.balance_text())]
    async with conn.transaction():
        for table, keys, amounts, text in plans:
            columns = ", ".join([*keys, *amounts])
            await conn.execute(f"CREATE TEMP TABLE seed_totals ON COMMIT DROP AS SELECT {columns} FROM {table}"
                               " WITH NO DATA")
            await conn.copy_to_table("seed_totals", columns=[c.strip('"') for c in (*keys, *amounts)],
                                     source=_prefetched(iter([text.encode()])))
            await conn.execute(
                f"INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM seed_totals ORDER BY {', '.join(keys)}"
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                + ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in amounts))
            await conn.execute("DROP TABLE seed_totals")


async def _add_day_totals(conn: asyncpg.Connection, register: AccumulationRegister, recorder: str) -> None:
    """Add the day totals of the history's movements (recorder ``recorder``) up in one statement: with
    one row per key and day there are nearly as many as movements, too many to count in Python as the
    month totals are."""
    dims = ", ".join(q(d) for d in register.dimension_names)
    amounts = [q(f"{r}_{side}") for r in register.resource_names for side in ("receipt", "expense")]
    sums = [f"sum(CASE WHEN record_type = {t} THEN {q(r)} ELSE 0 END)"
            for r in register.resource_names for t in (1, -1)]
    await conn.execute(
        f"INSERT INTO {register.day_table} AS t (day, {dims}, {', '.join(amounts)})"
        f" SELECT (date_trunc('day', period AT TIME ZONE '{register.timezone}'))::date, {dims}, {', '.join(sums)}"
        f" FROM {register.movements_table} WHERE recorder_kind = $1 GROUP BY 1, {dims} ORDER BY {dims}, 1"
        f" ON CONFLICT (day, {dims}) DO UPDATE SET " + ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in amounts),
        recorder)


def _span(now: dt.datetime | None, years: int) -> tuple[dt.datetime, int]:
    """The first UTC midnight of ``years`` years ending ``now``, and the days from it to today."""
    now = now or dt.datetime.now(dt.UTC)
    start = dt.datetime.combine((now - dt.timedelta(days=365 * years)).date(), dt.time(), dt.UTC)
    return start, (now.date() - start.date()).days


async def seed_stock_history(conn: asyncpg.Connection, register: AccumulationRegister, clinic: Clinic,
                             movements: int, years: int, *, now: dt.datetime | None = None,
                             progress: Progress = _quiet) -> SeedReport:
    """Load ``movements`` stock movements over ``years`` years, with their totals."""
    start, days = _span(now, years)
    history = StockHistory(clinic.stock_keys, dict(clinic.prices), movements, start, days, register.tz)
    return await _load(conn, register, history, progress, "Движения остатков (COPY)")


@dataclass(frozen=True)
class SkewedHistory:
    """Keys of a long history and keys of a short one, on a warehouse of their own."""

    warehouse: int
    long_keys: list[tuple[int, int]]
    short_keys: list[tuple[int, int]]
    report: SeedReport


async def seed_skewed_history(conn: asyncpg.Connection, registry, clinic: Clinic, *, long_keys: int,
                              long_movements: int, short_keys: int, short_movements: int, years: int,
                              now: dt.datetime | None = None, progress: Progress = _quiet) -> SkewedHistory:
    """``long_keys`` keys of exactly ``long_movements`` stock movements each and ``short_keys`` keys of
    ``short_movements``, on a new warehouse (so no other key's history changes), over ``years`` years
    ending ``now``, interleaved in time as in :class:`StockHistory`, with their totals."""
    from .clinic import add_items

    register = registry.registers["stock"]
    needed = long_keys + short_keys
    async with conn.transaction():
        (warehouse,) = await add_items(conn, registry.catalogs["warehouses"], [{"name": "Склад долгой истории"}])
        goods, prices = list(clinic.goods[:needed]), dict(clinic.prices)
        if len(goods) < needed:
            extra = [10 + (i * 37) % 990 for i in range(needed - len(goods))]
            added = await add_items(conn, registry.catalogs["nomenclature"], [
                {"name": f"Товар истории {i + 1:05d}", "kind": "goods", "unit": "шт", "price": str(p),
                 "vat_rate": "20"} for i, p in enumerate(extra)])
            goods += added
            prices |= dict(zip(added, extra, strict=True))
    keys = [(warehouse, g) for g in goods]
    per_key = [long_movements] * long_keys + [short_movements] * short_keys
    start, days = _span(now, years)
    history = StockHistory(keys, prices, sum(per_key), start, days, register.tz, seed=20, per_key=per_key,
                           recorder=SKEWED_RECORDER)
    report = await _load(conn, register, history, progress, "Движения долгой истории (COPY)")
    return SkewedHistory(warehouse, keys[:long_keys], keys[long_keys:], report)


async def _load(conn: asyncpg.Connection, register: AccumulationRegister, history: StockHistory,
                progress: Progress, description: str) -> SeedReport:
    """COPY the history's movements and totals, then VACUUM ANALYZE. The movements' secondary indexes
    are dropped and rebuilt when the load is at least as large as what the table holds already
    (one sort per index); a smaller load goes through them."""
    steps: dict[str, float] = {}
    began = time.perf_counter()
    table, movements = register.movements_table, history.movements
    await conn.execute("SET maintenance_work_mem = '512MB'")
    held = await conn.fetchval("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::regclass", table)
    indexes = await _secondary_indexes(conn, table) if movements >= held else []
    for name, _ in indexes:
        await conn.execute(f'DROP INDEX IF EXISTS "{name}"')
    columns = ["recorder_kind", "recorder_id", "line_no", "period", "record_type",
               *register.dimension_names, *HISTORY_RESOURCES]
    chunks = _batched(history.lines(), lambda n: progress(description, n, movements))
    try:
        await conn.copy_to_table(table, source=_prefetched(chunks), columns=columns)
    finally:
        steps["copy"] = time.perf_counter() - began
        mark = time.perf_counter()
        for _, definition in indexes:
            progress("Индексы движений", 1, len(indexes))
            await conn.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        if indexes:
            steps["indexes"] = time.perf_counter() - mark
        await conn.execute("RESET maintenance_work_mem")
    mark = time.perf_counter()
    progress("Итоги (COPY)", 1, 1)
    await _add_totals(conn, register, history)
    steps["totals"] = time.perf_counter() - mark
    mark = time.perf_counter()
    progress("Итоги по дням", 1, 1)
    await conn.execute("SET work_mem = '256MB'")
    await _add_day_totals(conn, register, history.recorder)
    await conn.execute("RESET work_mem")
    steps["day totals"] = time.perf_counter() - mark
    mark = time.perf_counter()
    progress("VACUUM ANALYZE", 1, 1)
    for t in (table, register.month_table, register.day_table, register.balance_table):
        await conn.execute(f'VACUUM (ANALYZE) "{t}"')
    await settle(conn)
    steps["vacuum"] = time.perf_counter() - mark
    return SeedReport(rows=movements, seconds=time.perf_counter() - began, steps=steps)


async def settle(conn: asyncpg.Connection) -> None:
    """CHECKPOINT after a seed: its gigabyte of WAL would otherwise start a checkpoint whose writes land
    in the rounds of whichever benchmark runs next (seen as one round of four at half the rate in row 1a,
    bench/NOTES.md item 26). Needs a superuser or pg_checkpoint; without them the seed goes on as before."""
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CHECKPOINT")


# -- service renderings for the lists ----------------------------------------------------------------


async def _reserve_numbers(conn: asyncpg.Connection, kind: str, prefix: str, year: int, count: int) -> int:
    """The first of ``count`` numbers reserved for ``kind`` in ``year``."""
    last = await conn.fetchval(
        "INSERT INTO document_counters (kind, prefix, year, last) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + EXCLUDED.last"
        " RETURNING last", kind, prefix, year, count)
    return last - count + 1


async def seed_renderings(conn: asyncpg.Connection, kind, clinic: Clinic, count: int, years: int, *,
                          now: dt.datetime | None = None, tz: dt.tzinfo = dt.UTC,
                          progress: Progress = _quiet) -> SeedReport:
    """Copy ``count`` unposted ServiceRenderings (a goods line and two services each) over ``years``."""
    now = now or dt.datetime.now(dt.UTC)
    rnd = random.Random(6)
    span = int(dt.timedelta(days=365 * years).total_seconds())
    moments = sorted(now - dt.timedelta(seconds=rnd.randrange(span)) for _ in range(count))
    began = time.perf_counter()
    async with conn.transaction():
        await conn.execute(f'LOCK TABLE "{kind.table}" IN SHARE ROW EXCLUSIVE MODE')
        sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", kind.table)
        first_id = await conn.fetchval("SELECT nextval($1::regclass)", sequence)
        await conn.execute("SELECT setval($1::regclass, $2)", sequence, first_id + count - 1)
        by_year: dict[int, int] = {}
        for m in moments:
            by_year[m.astimezone(tz).year] = by_year.get(m.astimezone(tz).year, 0) + 1
        next_number = {y: await _reserve_numbers(conn, kind.name, clinic.prefix, y, n) for y, n in by_year.items()}
        docs, lines = _rendering_rows(clinic, moments, first_id, next_number, tz, rnd)
        doc_columns = ["id", "number", "number_prefix", "number_year", "date", "organization_id", "client_id",
                       "doctor_id", "warehouse_id", "amount_total"]
        line_columns = ["document_id", "line_no", "nomenclature_id", "quantity", "price", "discount_percent",
                        "discount_amount", "amount"]
        await conn.copy_to_table(kind.table, columns=doc_columns, source=_prefetched(
            _batched(docs, lambda n: progress("Оказание услуг (COPY)", n, count))))
        await conn.copy_to_table(kind.lines_table, columns=line_columns, source=_prefetched(
            _batched(lines, lambda n: progress("Строки документов (COPY)", n, 3 * count))))
    for table in (kind.table, kind.lines_table):
        await conn.execute(f'VACUUM (ANALYZE) "{table}"')
    await settle(conn)
    return SeedReport(rows=count, seconds=time.perf_counter() - began, steps={})


def _rendering_rows(clinic: Clinic, moments: list[dt.datetime], first_id: int, next_number: dict[int, int],
                    tz: dt.tzinfo, rnd: random.Random) -> tuple[Iterator[tuple[str, int]], Iterator[tuple[str, int]]]:
    plan = []
    for offset, moment in enumerate(moments):
        year = moment.astimezone(tz).year
        number = format_number(clinic.prefix, next_number[year])
        next_number[year] += 1
        goods = rnd.choice(clinic.goods)
        services = rnd.sample(clinic.services, 2) if len(clinic.services) > 1 else list(clinic.services) * 2
        items = [(goods, 1 + offset % 3), (services[0], 1), (services[1], 1)]
        plan.append((first_id + offset, number, year, moment, rnd.choice(clinic.clients),
                     rnd.choice(clinic.doctors), items))

    def docs() -> Iterator[tuple[str, int]]:
        for doc_id, number, year, moment, client, doctor, items in plan:
            total = sum(q * clinic.prices[n] for n, q in items)
            yield (f"{doc_id}\t{number}\t{clinic.prefix}\t{year}\t{moment.isoformat()}\t{clinic.organization}\t"
                   f"{client}\t{doctor}\t{clinic.warehouses[0]}\t{total}.00\n", 1)

    def lines() -> Iterator[tuple[str, int]]:
        for doc_id, *_, items in plan:
            yield "".join(f"{doc_id}\t{i}\t{n}\t{q}\t{clinic.prices[n]}\t0\t0\t{q * clinic.prices[n]}\n"
                          for i, (n, q) in enumerate(items, start=1)), 3

    return docs(), lines()


# -- a day of appointments ------------------------------------------------------------------------------


async def seed_day(conn: asyncpg.Connection, engine, clinic: Clinic, day: dt.date, requests: int, *,
                   progress: Progress = _quiet) -> list[int]:
    """Every doctor works 08:00–20:00 on ``day``; ``requests`` posted Requests spread over the doctors,
    one every hour from 08:00 (40 minutes each). Returns the Requests' ids."""
    registry = engine.registry
    schedule = registry.documents["work-schedules"]
    lines = [{"doctor_id": d, "day": day.isoformat(), "start": "08:00", "end": "20:00"} for d in clinic.doctors]
    await engine.create(conn, schedule, {"month": day.replace(day=1).isoformat(), "lines": lines}, post=True)
    kind = registry.documents["requests"]
    per_doctor = -(-requests // len(clinic.doctors))
    if per_doctor > 12:
        raise ValueError(f"{requests} Requests do not fit into 12 hours of {len(clinic.doctors)} doctors")
    ids = []
    for i in range(requests):
        doctor, hour = clinic.doctors[i % len(clinic.doctors)], 8 + i // len(clinic.doctors)
        starts = dt.datetime.combine(day, dt.time(hour, 5 * (i % 3)), engine.tz)
        doc = await engine.create(conn, kind, {
            "doctor_id": doctor, "client_id": clinic.clients[i % len(clinic.clients)], "starts_at": starts,
            "duration_minutes": 40, "lines": [{"nomenclature_id": clinic.services[0], "quantity": Decimal(1),
                                               "price": Decimal(clinic.prices[clinic.services[0]])}]}, post=True)
        ids.append(doc.id)
        progress("Заявки на день", 1, requests)
    return ids
