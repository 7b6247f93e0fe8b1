"""PDF rows (7a, 7b): print forms through the same service the API calls.

7a prints one posted 10-line «Счёт на оплату» as ``GET …/print/invoice`` does
(load the document and its catalogs, lay out, write the PDF, keep it in the
generated documents registry) and reports the median of sequential prints
after a warm-up (WeasyPrint's import and fonts are paid once per process,
and the batch worker processes are started before timing).
7b prints 100 such invoices as one batch PDF (``POST /api/print/batch``),
which also keeps each document's own PDF in the registry. Every run is
checked to have made a PDF and kept every document.

``python -m bench --only pdf`` runs just these rows and prints the table.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from erp.platform import catalog_service

from .core import Context, Row, fmt, limit, percentile

ORDER = 70
LINES = 10
BATCH = 100


async def _invoices(ctx: Context, count: int) -> list[int]:
    """``count`` posted 10-line invoices of an organization with full requisites and a bank account."""
    clinic = await ctx.clinic()
    reg = ctx.registry
    pool = await ctx.pool()
    async with pool.acquire() as conn, conn.transaction():
        org = await catalog_service.create(conn, reg, reg.catalogs["organizations"], {
            "name": "Клиника (печать)", "full_name": "ООО «Клиника Здоровье»", "inn": "7812345675",
            "kpp": "781201001", "address": "191000, Санкт-Петербург, Невский пр., д. 1",
            "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В.", "vat_rate": "20",
            "number_prefix": "ПЧ"})
        account = await catalog_service.create(conn, reg, reg.catalogs["bank-accounts"], {
            "name": "Расчётный счёт", "organization_id": org["id"], "bank_name": "ПАО Сбербанк г. Москва",
            "bik": "044525225", "correspondent_account": "30101810400000000225",
            "account_number": "40702810938000000001", "is_default": True})
        kind = reg.documents["invoices"]
        ids = []
        for n in range(count):
            lines = [{"nomenclature_id": clinic.services[(n + i) % len(clinic.services)], "quantity": str(1 + i % 3),
                      "price": str(clinic.prices[clinic.services[(n + i) % len(clinic.services)]])}
                     for i in range(LINES)]
            doc = await ctx.engine.create(conn, kind, {
                "organization_id": org["id"], "bank_account_id": account["id"],
                "client_id": clinic.clients[n % len(clinic.clients)], "lines": lines}, post=True)
            ids.append(doc.id)
    return ids


def _cpu_seconds() -> float:
    """CPU time of this process and of the PDF worker processes so far (Linux /proc):
    on a shared machine it tells the work done from the time spent waiting for a core."""
    from erp.printing import render

    pool = render._processes()
    pids = [os.getpid(), *(pool._processes if pool else {})]  # the executor's own pid map
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def rows(ctx: Context) -> list[Row]:
    from erp.printing import service
    from erp.printing.render import WORKERS, warm_up

    ids = await _invoices(ctx, BATCH)
    pool = await ctx.pool()
    tz = ctx.settings.tz
    warm_up(processes=True)
    samples = ctx.pick(smoke=15, full=50)

    async def one(doc_id: int) -> float:
        async with pool.acquire() as conn, conn.transaction():
            started = time.perf_counter()
            printed = await service.render_pdf(conn, "invoices", doc_id, "invoice", None, False, tz=tz,
                                               config=ctx.registry)
            took = time.perf_counter() - started
        assert printed.content.startswith(b"%PDF-") and printed.generated_ids
        return took

    for doc_id in ids[:3]:
        await one(doc_id)
    single = [await one(ids[i % len(ids)]) for i in range(samples)]
    median = statistics.median(single)
    out = [limit("7a", "PDF: one 10-line invoice", f"{LINES}-line posted invoice, {samples} sequential prints "
                 "(load, lay out, write, keep in the registry)", median, "s", at_most=0.3,
                 note=f"median; p95 {fmt(percentile(single, 95), 's')}")]

    runs = ctx.pick(smoke=2, full=3)
    batch, cpu = [], []
    for _ in range(runs):
        async with pool.acquire() as conn, conn.transaction():
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            printed = await service.render_batch(conn, [("invoices", i) for i in ids], "invoice", None, False,
                                                 tz=tz, config=ctx.registry)
            batch.append(time.perf_counter() - started)
            cpu.append(_cpu_seconds() - cpu_started)
        assert printed.content.startswith(b"%PDF-") and len(printed.generated_ids) == BATCH
    out.append(limit("7b", "PDF: 100 invoices in one PDF", f"{BATCH} posted {LINES}-line invoices in one batch "
                     f"PDF, each also kept as its own PDF; {runs} runs", statistics.median(batch), "s",
                     at_most=10, note=f"median of {runs}: " + ", ".join(fmt(b, "s") for b in batch)
                     + f"; {WORKERS} worker processes, CPU {fmt(statistics.median(cpu), 's')} per run;"
                     f" load average {os.getloadavg()[0]:.1f}"))
    return out
