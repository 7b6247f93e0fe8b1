"""Client card row (11, issue 20 point 2): ``GET /api/clients/{id}/summary`` of a client with 1 000
documents (100 at smoke size), HTTP p95 ≤ 50 ms.

The client gets renderings (posted: sales and a debt), invoices (posted: an amount due), payments
(posted, against the invoices) and Requests, spread over the two years before today, written
through the posting engine like any document. They sit among everything else the run wrote (the
lists' ServiceRenderings of other clients among them), so the card must find this client's rows by
its indexes, not by reading the tables. Every answer is checked: the client's counts add up to the
documents made, and its debt is the renderings less the payments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx

from .clinic import add_items
from .core import Context, Row, limit, ms, percentile, thousands
from .datasets import renderings
from .http import floor_p95, floor_text, latencies

ORDER = 72
PRICE = Decimal("1500.00")
PAID = Decimal("1000.00")


async def _client_with_documents(ctx: Context, n: int) -> tuple[int, Decimal]:
    """A new client with ``n`` documents; the debt they leave."""
    clinic = await ctx.clinic()
    docs = ctx.registry.documents
    tz = ctx.settings.tz
    now = dt.datetime.now(tz).replace(microsecond=0)
    split = {"service-renderings": n * 4 // 10, "invoices": n // 4, "payments": n // 4}
    split["requests"] = n - sum(split.values())
    service, doctor = clinic.services[0], clinic.doctors[0]
    lines = [{"nomenclature_id": service, "quantity": "1", "price": str(PRICE)}]

    def when(i: int, of: int) -> str:
        return (now - dt.timedelta(days=730) + dt.timedelta(days=730 * i / max(of, 1))).isoformat()

    async with ctx.connection() as conn:
        (client,) = await add_items(conn, ctx.registry.catalogs["clients"], [
            {"name": "Клиент карточки (бенчмарк)", "kind": "person", "phone": "+7 900 000-00-00"}])
        (desk,) = await add_items(conn, ctx.registry.catalogs["cash-desks"], [
            {"name": "Касса карточки (бенчмарк)", "organization_id": clinic.organization}])
        org = {"organization_id": clinic.organization, "client_id": client}
        await ctx.engine.create_many(conn, docs["service-renderings"], [
            {**org, "date": when(i, split["service-renderings"]), "doctor_id": doctor, "lines": lines}
            for i in range(split["service-renderings"])], post=True)
        invoices = await ctx.engine.create_many(conn, docs["invoices"], [
            {**org, "date": when(i, split["invoices"]), "lines": lines} for i in range(split["invoices"])], post=True)
        await ctx.engine.create_many(conn, docs["payments"], [
            {**org, "date": when(i, split["payments"]), "amount": str(PAID), "method": "cash", "cash_desk_id": desk,
             "invoice_id": invoices[i % len(invoices)].id if invoices else None}
            for i in range(split["payments"])], post=True)
        await ctx.engine.create_many(conn, docs["requests"], [  # drafts: booking needs a schedule, a card does not
            {"client_id": client, "doctor_id": doctor, "date": when(i, split["requests"]),
             "starts_at": (now + dt.timedelta(days=i - split["requests"] // 2, hours=1)).isoformat(),
             "lines": lines} for i in range(split["requests"])])
    return client, PRICE * split["service-renderings"] - PAID * split["payments"]


def _complete(n: int, debt: Decimal):
    def check(response: httpx.Response) -> bool:
        card = response.json()
        return sum(card["counts"].values()) == n and Decimal(str(card["debt_total"])) == debt

    return check


async def rows(ctx: Context) -> list[Row]:
    await renderings(ctx)  # the other clients' documents around this one
    n = ctx.pick(smoke=100, full=1_000)
    samples = ctx.pick(smoke=60, full=400)
    client, debt = await _client_with_documents(ctx, n)
    floor = await floor_p95(ctx, samples)
    server = await ctx.server()
    async with server.client() as http:
        times = await latencies(http, [(f"/api/clients/{client}/summary", {})] * samples, check=_complete(n, debt))
    return [limit("11", "Client card of a client with 1 000 documents, HTTP p95",
                  f"{thousands(n)} documents of one client (renderings, invoices, payments, Requests over two "
                  f"years) among the run's others; {samples} sequential GET /api/clients/{{id}}/summary",
                  ms(percentile(times, 95)), "ms", at_most=50, comparison=floor_text(floor),
                  note=f"p50 {ms(percentile(times, 50)):.2f} ms")]
