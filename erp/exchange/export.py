"""Выгрузка в 1С:Бухгалтерию: an organization's posted documents of a period, with the clients and
items they name, as one EnterpriseData message (:mod:`erp.exchange.enterprise_data`).

Each object keeps its «Ссылка» (:func:`erp.exchange.read.refs`), so 1C updates what it loaded before.
Each export is logged with what it sent and the hash of each object's XML; the next export of the
organization sends only the objects whose XML differs from what was last sent (an edited client, a
re-posted document), unless everything is asked for. Bad input is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from lxml import etree

from erp.platform import audit
from erp.platform.dates import DateError, day_bounds, read_day
from erp.platform.errors import ValidationError

from . import enterprise_data as ed
from . import read

SENDER, RECIPIENT = "ERP", "БП"
# What is exported, in the order of the file, with how the log names it.
KINDS = {"clients": "Контрагенты", "nomenclature": "Номенклатура",
         "service-renderings": "Реализация (акт)", "invoices": "Счёт покупателю",
         "payments": "Поступление оплаты (ПКО, на расчётный счёт)", "goods-receipts": "Поступление товаров"}
DOCUMENT_TITLES = {"service-renderings": "Оказание услуг", "invoices": "Счёт на оплату",
                   "payments": "Поступление оплаты", "goods-receipts": "Поступление товаров"}


class ExportRequest(msgspec.Struct, frozen=True):
    organization_id: int
    start: dt.date
    end: dt.date
    only_changed: bool = True


class ExportResult(msgspec.Struct, frozen=True):
    export_id: int
    message_no: int
    xml: bytes
    counts: dict[str, int]
    unchanged: int

    @property
    def sent(self) -> int:
        return sum(self.counts.values())

    @property
    def filename(self) -> str:
        return f"enterprise-data-{self.message_no:05d}.xml"


def _day(raw: Any, field: str, title: str) -> dt.date:
    if raw is None or str(raw).strip() == "":
        raise ValidationError.field(field, f"{title}: укажите дату", code="exchange_bad_date")
    try:
        return read_day(str(raw).strip())
    except DateError as exc:
        raise ValidationError.field(field, f"{title}: {exc}", code="exchange_bad_date") from None


async def parse_request(conn: asyncpg.Connection, organization: Any, start: Any, end: Any,
                        everything: bool = False) -> ExportRequest:
    """The export the user asked for (the organization by its id, INN or name; days ``ГГГГ-ММ-ДД``),
    or a 422 naming what is wrong: a missing or impossible date, an end before the start, an
    organization that does not exist."""
    first, last = _day(start, "start", "Начало периода"), _day(end, "end", "Конец периода")
    if last < first:
        raise ValidationError.field("end", "конец периода раньше его начала", code="exchange_bad_period")
    key = str(organization or "").strip()
    if not key:
        raise ValidationError.field("organization", "выберите организацию", code="exchange_unknown_organization")
    org = await read.organization(conn, key)
    if org is None:
        raise ValidationError.field("organization", f"организация «{key}» не найдена",
                                    code="exchange_unknown_organization")
    return ExportRequest(org["id"], first, last, not everything)


def _when(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


async def export(conn: asyncpg.Connection, request: ExportRequest, tz: ZoneInfo) -> ExportResult:
    """Build, log and return the message, in one transaction (one export of an organization at a time)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('enterprise-data-export', $1))",
                           request.organization_id)
        return await _export(conn, request, tz)


async def _export(conn: asyncpg.Connection, request: ExportRequest, tz: ZoneInfo) -> ExportResult:
    org = await read.organization(conn, str(request.organization_id))
    if org is None:
        raise ValidationError.field("organization", "организация не найдена", code="exchange_unknown_organization")
    lower, upper = day_bounds(request.start, request.end, tz)
    assert lower is not None
    docs = {kind: await read.documents(conn, kind, org["id"], lower, upper) for kind in read.DOCUMENTS}
    client_ids = {d["client_id"] for kind_docs in docs.values() for d in kind_docs}
    item_ids = {ln["nomenclature_id"] for kind_docs in docs.values() for d in kind_docs for ln in d.get("lines", ())}
    refs = await read.refs(conn, {"organizations": {org["id"]}, "clients": client_ids, "nomenclature": item_ids,
                                  **{kind: {d["id"] for d in kind_docs} for kind, kind_docs in docs.items()}})
    org["ref"] = refs[("organizations", org["id"])]
    clients = {i: {**c, "ref": refs[("clients", i)]} for i, c in (await read.clients(conn, client_ids)).items()}
    items = {i: {**n, "ref": refs[("nomenclature", i)]} for i, n in (await read.items(conn, item_ids)).items()}
    all_docs = [d for kind_docs in docs.values() for d in kind_docs]
    warehouses = await read.warehouses(conn, {d["warehouse_id"] for d in all_docs if d.get("warehouse_id")})
    accounts = await read.bank_accounts(conn, {d["bank_account_id"] for d in all_docs if d.get("bank_account_id")})

    no_account = [d for d in docs["payments"] if d["method"] == "bank" and d.get("bank_account_id") not in accounts]
    if no_account:  # a bank receipt names the account it came to (ОбщиеДанные/БанковскийСчетОрганизации)
        numbers = ", ".join(d["number"] for d in no_account)
        raise ValidationError.field("organization", f"в безналичной оплате № {numbers} не указан банковский счёт"
                                    " организации: укажите его в документе и повторите выгрузку",
                                    code="exchange_payment_without_account")

    objects: list[tuple[str, int, str, etree._Element]] = []
    objects += [("clients", i, c["name"], ed.counterparty(c)) for i, c in sorted(clients.items())]
    objects += [("nomenclature", i, n["name"], ed.nomenclature(n)) for i, n in sorted(items.items())]
    for kind, kind_docs in docs.items():
        for doc in kind_docs:
            local = {**doc, "ref": refs[(kind, doc["id"])], "date": _when(doc["date"], tz),
                     "warehouse": warehouses.get(doc.get("warehouse_id")),
                     "account": accounts.get(doc.get("bank_account_id"))}
            client = clients[doc["client_id"]]
            element = (ed.rendering(local, org, client, items) if kind == "service-renderings"
                       else ed.invoice(local, org, client, items) if kind == "invoices"
                       else ed.payment(local, org, client) if kind == "payments"
                       else ed.goods_receipt(local, org, client, items))
            title = f"{DOCUMENT_TITLES[kind]} № {doc['number']} от {local['date']:%d.%m.%Y}"
            objects.append((kind, doc["id"], title, element))

    before = await read.last_sent(conn, org["id"]) if request.only_changed else {}
    hashed = [(kind, i, title, element, ed.content_hash(element)) for kind, i, title, element in objects]
    to_send = [o for o in hashed if before.get((o[0], o[1])) != o[4]]
    counts = {kind: sum(1 for o in to_send if o[0] == kind) for kind in KINDS}

    actor = audit.current_actor()
    message_no = await conn.fetchval(
        "SELECT coalesce(max(message_no), 0) + 1 FROM enterprise_data_exports WHERE organization_id = $1", org["id"])
    export_id = await conn.fetchval(
        "INSERT INTO enterprise_data_exports (made_at, user_id, author, organization_id, period_start, period_end,"
        " only_changed, message_no, counts, unchanged) VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " RETURNING id",
        actor.user_id, actor.username[:200], org["id"], request.start, request.end, request.only_changed,
        message_no, json.dumps(counts), len(hashed) - len(to_send))
    if to_send:
        await conn.execute(
            "INSERT INTO enterprise_data_sent (export_id, organization_id, kind, object_id, ref, presentation,"
            " content_hash) SELECT $1, $2, k, i, r, p, h"
            " FROM unnest($3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[]) AS t(k, i, r, p, h)",
            export_id, org["id"], [o[0] for o in to_send], [o[1] for o in to_send],
            [refs[(o[0], o[1])] for o in to_send], [o[2][:300] for o in to_send], [o[4] for o in to_send])
    created = _when(await conn.fetchval("SELECT now()"), tz)
    xml = ed.message([o[3] for o in to_send], message_no=message_no, sender=SENDER, recipient=RECIPIENT,
                     created=created)
    return ExportResult(export_id, message_no, xml, counts, len(hashed) - len(to_send))


async def exports(conn: asyncpg.Connection, limit: int = 50) -> list[dict]:
    """The export log, newest first."""
    rows = await conn.fetch(
        "SELECT e.id, e.made_at, e.author, e.organization_id, o.name AS organization, e.period_start,"
        " e.period_end, e.only_changed, e.message_no, e.counts, e.unchanged FROM enterprise_data_exports e"
        " LEFT JOIN cat_organizations o ON o.id = e.organization_id ORDER BY e.id DESC LIMIT $1", limit)
    out = []
    for r in rows:
        row = dict(r)
        counts = json.loads(row["counts"]) if isinstance(row["counts"], str) else row["counts"]
        row["counts"] = {KINDS[k]: n for k, n in counts.items() if n and k in KINDS}
        row["sent"] = sum(counts.values())
        out.append(row)
    return out


async def sent_objects(conn: asyncpg.Connection, export_id: int) -> list[dict]:
    """What one export sent: each object's kind (as the log names it), presentation and «Ссылка»."""
    rows = await conn.fetch("SELECT kind, object_id, ref, presentation FROM enterprise_data_sent"
                            " WHERE export_id = $1 ORDER BY id", export_id)
    return [{**dict(r), "ref": str(r["ref"]), "title": KINDS.get(r["kind"], r["kind"])} for r in rows]


async def withdrawn(conn: asyncpg.Connection, organization_id: int | None = None) -> list[dict]:
    """Documents an export sent that are no longer posted here (unposted, or marked for deletion since).
    A message carries posted documents only, so 1C still holds these as they were sent: the page and
    the command list them for the accountant to unpost or mark in 1C by hand."""
    out: list[dict] = []
    for kind, (table, _header, _lines) in read.DOCUMENTS.items():
        rows = await conn.fetch(
            "SELECT DISTINCT ON (s.object_id) s.object_id, s.ref, d.number, d.date, d.deletion_mark, o.name AS org"
            f" FROM enterprise_data_sent s JOIN {table} d ON d.id = s.object_id"
            " LEFT JOIN cat_organizations o ON o.id = s.organization_id"
            " WHERE s.kind = $1 AND NOT d.posted AND ($2::bigint IS NULL OR s.organization_id = $2)"
            " ORDER BY s.object_id, s.export_id DESC", kind, organization_id)
        out += [{"title": DOCUMENT_TITLES[kind], "number": r["number"], "date": r["date"], "ref": str(r["ref"]),
                 "organization": r["org"] or "", "deletion_mark": r["deletion_mark"]} for r in rows]
    return sorted(out, key=lambda r: (r["date"], r["number"]))
