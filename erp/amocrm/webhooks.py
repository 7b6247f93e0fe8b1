"""Incoming webhooks: a lead lost (status 143) or deleted in amoCRM frees the doctor's time, a lead
moved to a stage that has «Действия при смене этапа» enqueues them (:mod:`erp.amocrm.stage_actions`),
and a contact changed in amoCRM (``contacts[update][N]``) changes its client (:mod:`erp.amocrm.contacts`).

amoCRM posts ``application/x-www-form-urlencoded`` bodies in PHP's nested notation
(``leads[status][0][id]=…&leads[status][0][status_id]=143&account[id]=…``) and signs nothing, so
the URL carries a secret (compared in constant time) and ``account[id]`` must be the connected
account's. For each lost or deleted lead, its posted Requests are unposted, except one that already
has a posted ServiceRendering: that one is kept, and the exchange log says why. Repeats change
nothing (there is nothing posted left to unpost), and events we do not handle are answered 200 and
ignored, as amoCRM expects. A lost or deleted lead whose id is not a positive bigint is a 422, and
nothing of that webhook is done. The leads of one webhook are released in one transaction: all of
them, or (on any failure) none.

A changed contact that is no client's is ignored; a linked one gives its client the name, phone and
email amoCRM changed (a replay, or amoCRM echoing our own change, finds nothing changed), and the
exchange log says what. A contact deleted in amoCRM (``contacts[delete][N][id]``, ``[type]`` ``contact``)
keeps its client and loses the link (:mod:`erp.amocrm.contact_gone`), logged once: a replay, or a
contact no client has, changes nothing. A contact id that is not a positive bigint is a 422, and nothing
is done.

``erp amocrm webhook register`` subscribes our URL to ``status_lead``, ``delete_lead``,
``update_contact`` and ``delete_contact``.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

import asyncpg

from erp.amocrm import connection as connections
from erp.amocrm import contact_gone, contacts, stage_actions
from erp.amocrm.client import AmoError
from erp.amocrm.gate import Gate
from erp.amocrm.oauth import AmoUnavailable, http_url
from erp.amocrm.outbox import people_number
from erp.app.settings import Settings
from erp.platform import audit
from erp.platform.db import retried
from erp.platform.errors import ErpError, Forbidden, NotFound, ValidationError
from erp.platform.posting import Engine

log = logging.getLogger("erp.amocrm")
LOST = 143
SETTINGS = ["status_lead", "delete_lead", "update_contact", "delete_contact"]
_KEY = re.compile(r"[^\[\]]+")
_LEAD_ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses
MAX_LEAD_ID = 2**63 - 1


def parse_form(body: bytes) -> dict[str, Any]:
    """``a[b][0][c]=1`` → ``{"a": {"b": {"0": {"c": "1"}}}}``."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        path = _KEY.findall(key)
        if not path:
            continue
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return out


def _items(tree: dict[str, Any], event: str) -> list[dict[str, Any]]:
    leads = tree.get("leads")
    group = leads.get(event) if isinstance(leads, dict) else None
    return [item for item in group.values() if isinstance(item, dict)] if isinstance(group, dict) else []


def _lead_id(item: dict[str, Any]) -> int:
    raw = item.get("id")
    if not isinstance(raw, str) or not _LEAD_ID.fullmatch(raw) or not 0 < int(raw) <= MAX_LEAD_ID:
        shown = raw[:40] if isinstance(raw, str) else "—"
        raise ValidationError(f"Номер сделки в вебхуке — не положительное целое число: {shown!r}",
                              code="webhook_malformed", details={"fields": {"leads": "номер сделки"}})
    return int(raw)


def _tree(body: bytes, account_id: int | None) -> dict[str, Any]:
    tree = parse_form(body)
    account = tree.get("account")
    sender = account.get("id") if isinstance(account, dict) else None
    if account_id is None or sender != str(account_id):
        raise Forbidden("Вебхук пришёл от другого аккаунта amoCRM", code="webhook_account")
    return tree


def read_events(body: bytes, account_id: int | None) -> tuple[list[int], list[int]]:
    """The leads lost (status 143) and deleted in a webhook body from account ``account_id``.

    Pure, and it raises nothing but :class:`ErpError`: 403 when the body is from another account
    (or names none), 422 when an event we handle carries a lead id that is not one."""
    tree = _tree(body, account_id)
    lost = [_lead_id(i) for i in _items(tree, "status") if i.get("status_id") == str(LOST)]
    return lost, [_lead_id(i) for i in _items(tree, "delete")]


def _id_or_none(raw: Any) -> int | None:
    return int(raw) if isinstance(raw, str) and _LEAD_ID.fullmatch(raw) and 0 < int(raw) <= MAX_LEAD_ID else None


def read_moves(body: bytes, account_id: int | None) -> list[tuple[Any, int, int]]:
    """Every status change of the body as (the item, pipeline id, status id); an item without a
    pipeline or a status that is a number is no move to a stage and is left out. Its lead id is
    checked (:func:`lead_of`) only when the stage has actions."""
    moves = []
    for item in _items(_tree(body, account_id), "status"):
        pipeline, status = _id_or_none(item.get("pipeline_id")), _id_or_none(item.get("status_id"))
        if pipeline is not None and status is not None:
            moves.append((item, pipeline, status))
    return moves


lead_of = _lead_id


def _contact_items(body: bytes, account_id: int | None, event: str) -> list[dict[str, Any]]:
    """The contacts of ``contacts[event][N]``; companies (``type=company``) are left out."""
    group = _tree(body, account_id).get("contacts")
    found = group.get(event) if isinstance(group, dict) else None
    items = [i for i in found.values() if isinstance(i, dict)] if isinstance(found, dict) else []
    return [i for i in items if i.get("type", "contact") == "contact"]


def read_contacts(body: bytes, account_id: int | None) -> list[contacts.Person]:
    """The contacts changed in the body (``contacts[update][N]``). Pure; 403 for another account, 422 for a
    contact id that is not one."""
    return [contacts.from_webhook(i) for i in _contact_items(body, account_id, "update")]


def read_deleted_contacts(body: bytes, account_id: int | None) -> list[int]:
    """The contacts deleted in the body (``contacts[delete][N][id]``). Pure; 403 for another account, 422 for
    a contact id that is not one."""
    return [contacts.webhook_contact_id(i.get("id")) for i in _contact_items(body, account_id, "delete")]


async def receive(conn: asyncpg.Connection, engine: Engine, settings: Settings, secret: str, body: bytes) -> dict:
    """Check the webhook, then release the Requests of every lost or deleted lead (in the audit log, by amoCRM)."""
    account = await connections.load(conn, settings.secret_key)
    if account is None or not account.webhook_secret:
        raise NotFound("amoCRM не подключён", code="amocrm_not_connected")
    if not hmac.compare_digest(secret.encode(), account.webhook_secret.encode()):
        raise Forbidden("Неверный адрес вебхука", code="webhook_secret")
    lost, deleted = read_events(body, account.account_id)
    moves = read_moves(body, account.account_id)
    people = read_contacts(body, account.account_id)
    gone = read_deleted_contacts(body, account.account_id)
    events = [(lead_id, "lead_lost", "Сделка закрыта и не реализована (143)") for lead_id in lost]
    events += [(lead_id, "lead_deleted", "Сделка удалена") for lead_id in deleted]
    with audit.acting_as(audit.AMOCRM):
        results, queued, changed, unlinked = await retried(  # the whole webhook again
            lambda: _release_all(conn, engine, events, moves, (account.account_id, people, gone)))
    for (lead_id, _, _), result in zip(events, results, strict=True):
        log.info("webhook for lead %s: %s", lead_id, result)
    return {"released_leads": sorted(set(lost + deleted)), "stage_actions": queued, "contacts": changed,
            "contacts_unlinked": unlinked}


async def _release_all(conn: asyncpg.Connection, engine: Engine, events: list[tuple[int, str, str]],
                       moves: list[tuple[Any, int, int]],
                       people: tuple[int | None, list[contacts.Person], list[int]]
                       ) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Release the lost and deleted leads, enqueue the actions of the stages the leads moved to
    (:mod:`erp.amocrm.stage_actions`), take the changed contacts into their clients and drop the links of
    the deleted ones, all in one transaction."""
    async with conn.transaction():
        results = [await _release(conn, engine, lead_id, kind, reason) for lead_id, kind, reason in events]
        queued = []
        for item, pipeline_id, status_id in moves:
            if await stage_actions.actions_for(conn, pipeline_id, status_id):
                lead_id = lead_of(item)
                queued += [{"lead_id": lead_id, "action": e["action"]}
                           for e in await stage_actions.enqueue(conn, lead_id, pipeline_id, status_id)]
        account_id, persons, gone = people
        changed = [c for c in [await _contact(conn, engine, account_id, p) for p in persons] if c is not None]
        unlinked = [u for u in [await contact_gone.unlink(conn, account_id, contact_id,
                                                          f"Контакт {contact_id} удалён в amoCRM")
                                for contact_id in gone] if u is not None] if account_id else []
        return results, queued, changed, unlinked


async def _contact(conn: asyncpg.Connection, engine: Engine, account_id: int | None,
                   person: contacts.Person) -> dict[str, Any] | None:
    """Take a contact changed in amoCRM into its client, and log it; ``None`` for a contact no client has."""
    link = await contacts.link_of(conn, account_id or 0, person.contact_id) if account_id else None
    if link is None or link["deleted_at"] is not None:  # a late change of a contact deleted since is no news
        return None
    said = await contacts.apply(conn, engine, link, person)
    result = "Контакт изменён в amoCRM: " + ("; ".join(said) if said else "клиенту менять нечего")
    await conn.execute(
        "INSERT INTO amocrm_events (direction, kind, contact_id, payload, state, attempts, result, delivered_at)"
        " VALUES ('in', 'contact_update', $1, $2, 'delivered', 1, $3, now())",
        person.contact_id, {"client_id": link["client_id"]}, result)
    return {"contact_id": person.contact_id, "client_id": link["client_id"], "changes": said}


async def _release(conn: asyncpg.Connection, engine: Engine, lead_id: int, kind: str, reason: str) -> str:
    """Unpost the lead's posted Requests that have no posted ServiceRendering; log what happened."""
    said = await release(conn, engine, lead_id)
    result = f"{reason}: " + ("; ".join(said) if said else "проведённых заявок нет")
    await conn.execute(
        "INSERT INTO amocrm_events (direction, kind, lead_id, state, attempts, result, delivered_at)"
        " VALUES ('in', $1, $2, 'delivered', 1, $3, now())", kind, lead_id, result)
    return result


async def release(conn: asyncpg.Connection, engine: Engine, lead_id: int) -> list[str]:
    """Unpost the lead's posted Requests that have no posted ServiceRendering; what happened to each."""
    requests_kind = engine.registry.documents["requests"]
    said: list[str] = []
    rows = await conn.fetch(
        "SELECT r.id, r.number, (SELECT s.number FROM doc_service_renderings s WHERE s.based_on_kind = 'requests'"
        " AND s.based_on_id = r.id AND s.posted ORDER BY s.id LIMIT 1) AS rendering"
        " FROM doc_requests r WHERE r.amocrm_lead_id = $1 AND r.posted ORDER BY r.id FOR UPDATE OF r", lead_id)
    for row in rows:
        number = people_number(row["number"])
        if row["rendering"]:
            said.append(f"заявка № {number} оставлена: по ней проведено «Оказание услуг» "
                        f"№ {people_number(row['rendering'])}")
            continue
        try:
            await engine.unpost(conn, requests_kind, row["id"])  # its own savepoint: a refusal undoes only it
        except ErpError as exc:
            said.append(f"заявка № {number} не отменена: {exc.message}")
        else:
            said.append(f"заявка № {number} отменена, время врача освобождено")
    return said


async def register(conn: asyncpg.Connection, settings: Settings, public_url: str | None = None,
                   transport=None) -> dict[str, Any]:
    """Subscribe ``{public_url}/api/amocrm/webhook/{secret}`` to lost and deleted leads, changed and deleted
    contacts (:data:`SETTINGS`)."""
    if public_url:  # checked here: amoCRM's refusal of a bad address would look like its own failure (502)
        public_url = http_url("public_url", public_url)
    gate = await Gate.wait_for(conn, settings, transport=transport)
    try:
        async with gate:
            account = gate.account
            if account is None:
                raise ErpError("amoCRM не подключён: выполните «erp amocrm connect»", code="amocrm_not_connected",
                               status=409)
            base = (public_url or account.our_origin).rstrip("/")
            destination = f"{base}/api/amocrm/webhook/{account.webhook_secret}"
            answer = await gate.call("POST", "/api/v4/webhooks", json={"destination": destination,
                                                                      "settings": SETTINGS})
    except AmoError as exc:
        raise AmoUnavailable(exc.message, details={"amocrm_status": exc.status}) from None
    shown = f"{base}/api/amocrm/webhook/{account.webhook_secret[:4]}…"
    return {"destination": shown, "settings": SETTINGS, "id": (answer or {}).get("id")}
