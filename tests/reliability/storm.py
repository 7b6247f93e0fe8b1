"""The posting storm: users render services on the basis of Requests of amoCRM leads, re-post them
with new prices, unpost them and post them again, through the HTTP API of one or more ``erp serve``.

Every answer is recorded, so that after a crash the database can be held to what each user was
told: an acknowledged posting is there with exactly the outbox events its operations made, and an
operation that got no answer (its server was killed under it) either happened whole or not at all.
Each storm worker touches only the renderings it made, one operation at a time, so a rendering's
expected state follows from its own history.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import httpx

from erp.configuration import registry
from tests.amocrm.conftest import _item, request_for_lead

SR = "/api/documents/service-renderings"
AFTER = {"repost": True, "post": True, "unpost": False}  # the posted flag an operation leaves


class NotSent(Exception):
    """The server refused the connection: the request never reached it."""


@dataclass
class Rendering:
    lead: int
    posted: bool  # as its user was last told
    events: int  # the outbox events its acknowledged operations made: one per post, re-post and unpost
    unsure: str | None = None  # an operation that got no answer; the rendering is left alone after it


@dataclass(frozen=True)
class Basis:
    """What a rendering is made of: the clinic's ids and the Requests ``(id, lead)`` to render."""

    org: int
    warehouse: int
    doctor: int
    client: int
    service: int
    goods: int
    requests: tuple[tuple[int, int], ...]


async def storm_basis(db, engine, clinic, leads: list[int], *, stock: int = 100_000) -> Basis:
    """What the storm renders: an unposted Request of each lead, a client, and goods in stock."""
    client = await _item(db, "clients", {"name": "Иванов Иван Иванович", "kind": "person"})
    supplier = await _item(db, "clients", {"name": "ООО «МедСнаб»", "kind": "company"})
    goods = await _item(db, "nomenclature", {"name": "Шприц 5 мл", "kind": "goods", "price": "10.00"})
    await engine.create(db, registry().documents["goods-receipts"], {
        "date": "2021-12-01T09:00:00", "supplier_id": supplier, "warehouse_id": clinic.warehouse,
        "lines": [{"nomenclature_id": goods, "quantity": str(stock), "price": "1.00"}]}, post=True)
    requests = tuple([((await request_for_lead(db, engine, clinic, lead)).id, lead) for lead in leads])
    return Basis(clinic.org, clinic.warehouse, clinic.efimova, client, clinic.service, goods, requests)


class Storm:
    def __init__(self, servers: list[str], headers: dict[str, str], basis: Basis, *, seed: int,
                 max_ops: int) -> None:
        self.servers, self.headers, self.basis = servers, headers, basis
        self.seed, self.max_ops = seed, max_ops
        self.renderings: dict[int, Rendering] = {}
        self.lost_renders = 0
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self.sent = 0

    @property
    def acknowledged(self) -> int:
        return sum(n for (_, outcome), n in self.outcomes.items() if outcome in ("201", "200"))

    def body(self, rng: random.Random, request: tuple[int, int] | None) -> dict:
        b = self.basis
        amount = Decimal(rng.randint(4, 400_000)) / 4  # quarters: totals ending in ,50 test the rounding
        lines = [{"nomenclature_id": b.service, "quantity": "1", "price": f"{amount:.2f}"}]
        if rng.random() < 0.3:
            lines.append({"nomenclature_id": b.goods, "quantity": "1", "price": "10.00"})
        data = {"date": "2021-12-22T10:00:00", "organization_id": b.org, "client_id": b.client, "doctor_id": b.doctor,
                "warehouse_id": b.warehouse, "lines": lines}
        if request:
            data["based_on"] = {"kind": "requests", "id": request[0]}
        return data

    @contextlib.asynccontextmanager
    async def running(self, workers: int):
        """The storm's workers at it for the body of the ``async with``, stopped (within 30 s) at its end."""
        stop = asyncio.Event()
        load = asyncio.gather(*(self._worker(n, stop) for n in range(workers)))
        try:
            yield self
        finally:
            stop.set()
            await asyncio.wait_for(load, 30)

    async def _worker(self, n: int, stop: asyncio.Event) -> None:
        rng = random.Random(self.seed * 1000 + n)
        mine: list[int] = []
        async with httpx.AsyncClient(timeout=15.0, headers=self.headers) as http:
            while not stop.is_set() and self.sent < self.max_ops:
                server = self.servers[(self.sent + n) % len(self.servers)]
                sure = [i for i in mine if self.renderings[i].unsure is None]
                try:
                    if not sure or rng.random() < 0.5:
                        await self._render(http, server, rng, mine)
                    else:
                        doc_id = rng.choice(sure)
                        op = rng.choice(["repost", "unpost"]) if self.renderings[doc_id].posted else "post"
                        await self._change(http, server, rng, op, doc_id)
                except NotSent:
                    await asyncio.sleep(0.05)  # the server is down: wait for it to be started again

    async def _send(self, http: httpx.AsyncClient, op: str, method: str, url: str, **kw) -> httpx.Response | None:
        """The answer; ``None`` when none came (the request may or may not have been carried out).
        A refused connection means the request never left: :class:`NotSent`, and it is not counted."""
        try:
            response = await http.request(method, url, **kw)
        except httpx.ConnectError:
            self.outcomes[(op, "server down")] += 1
            raise NotSent from None
        except httpx.HTTPError:
            self.sent += 1
            self.outcomes[(op, "no answer")] += 1
            return None
        self.sent += 1
        self.outcomes[(op, str(response.status_code))] += 1
        return response

    async def _render(self, http, server: str, rng: random.Random, mine: list[int]) -> None:
        request = rng.choice(self.basis.requests)
        r = await self._send(http, "render", "POST", f"{server}{SR}", params={"post": "true"},
                             json=self.body(rng, request))
        if r is None:
            self.lost_renders += 1
        elif r.status_code == 201:
            self.renderings[r.json()["id"]] = Rendering(request[1], posted=True, events=1)
            mine.append(r.json()["id"])

    async def _change(self, http, server: str, rng: random.Random, op: str, doc_id: int) -> None:
        if op == "repost":
            r = await self._send(http, op, "PUT", f"{server}{SR}/{doc_id}", json=self.body(rng, None))
        else:
            r = await self._send(http, op, "POST", f"{server}{SR}/{doc_id}/{op}")
        rendering = self.renderings[doc_id]
        if r is None:
            rendering.unsure = op
        elif r.status_code == 200:
            rendering.posted, rendering.events = AFTER[op], rendering.events + 1

    async def disagreements(self, db) -> list[str]:
        """Where the database differs from what the users were told; empty when nothing was lost."""
        rows = {r["id"]: (r["posted"], r["events"]) for r in await db.fetch(
            "SELECT s.id, s.posted, (SELECT count(*) FROM amocrm_events e WHERE e.kind = 'budget'"
            " AND e.document_kind = 'service-renderings' AND e.document_id = s.id) AS events"
            " FROM doc_service_renderings s WHERE s.based_on_kind = 'requests' AND s.based_on_id = ANY($1::bigint[])",
            [request_id for request_id, _ in self.basis.requests])}
        wrong = []
        for doc_id, r in self.renderings.items():
            told = (r.posted, r.events)
            allowed = {told} if r.unsure is None else {told, (AFTER[r.unsure], r.events + 1)}
            if rows.get(doc_id) not in allowed:
                wrong.append(f"rendering {doc_id}: database {rows.get(doc_id)}, expected one of {allowed}")
        orphans = {doc_id: row for doc_id, row in rows.items() if doc_id not in self.renderings}
        if len(orphans) > self.lost_renders or any(row != (True, 1) for row in orphans.values()):
            wrong.append(f"{len(orphans)} renderings nobody was told of ({self.lost_renders} went unanswered):"
                         f" {orphans}")
        return wrong
