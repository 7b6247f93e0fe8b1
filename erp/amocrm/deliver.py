"""The deliverer: the background job that empties the outbox into amoCRM.

It runs inside ``erp serve`` (unless ``ERP_WORKER_IN_SERVE=0``) and in every ``erp worker``, woken
by ``NOTIFY amocrm_outbox`` at the commit of a posting, and every second for retries that come due.
Any number of processes may run it: the one that gets the account's gate (an advisory lock, see
:mod:`erp.amocrm.gate`) delivers, the others return at once. It claims due events with
``FOR UPDATE SKIP LOCKED``, groups them per lead, and sends:

* one ``PATCH /api/v4/leads`` per 50 leads, each lead's item carrying its current total (see
  :mod:`erp.amocrm.updates`), its appointment fields and its stage;
* one ``POST /api/v4/leads/notes`` per 50 notes (a generated PDF's note with its signed link);
* one ``PATCH /api/v4/contacts`` per 50 contacts whose client changed (:mod:`erp.amocrm.contacts`),
  each with the client's current name, phone and email; events of one contact coalesce.

What each answer means for the events of a call:

* 2xx: delivered (with what was sent, in ``result``);
* 429, 5xx, timeouts: back to pending, next attempt after an exponential backoff with jitter
  (a 429 also holds all sending for a moment);
* 401: one single-flight token refresh and one retry (in the gate); if that fails too, or the
  refresh itself is refused, delivery pauses until amoCRM is connected again;
* 400: the events amoCRM's ``validation-errors`` point at are parked as failed with those errors
  (a retry button puts them back); the rest of the batch is sent again;
* 403: the account is blocked: all delivery pauses, and the status and the UI show the alert;
* a contact PATCH refused with 404 (or 400 ``NotFound`` on an item's ``id``): the contacts that
  ``GET /api/v4/contacts/{id}`` confirms deleted lose their link to the client and their events fail
  once with that reason (:mod:`erp.amocrm.contact_gone`); the rest of the batch is sent again. An event
  of a contact whose link was dropped fails at once, without a call.

Between batches it checks whether a booking is waiting for the gate (:meth:`Gate.wanted`) and, if so,
puts back what it has not sent and leaves; it runs again a second later.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg

from erp.amocrm import connection as connections
from erp.amocrm import contact_gone, contacts, lead_links, updates
from erp.amocrm.client import Blocked, Invalid, RateLimited, Transient
from erp.amocrm.gate import DEFAULT_POLICY, Gate, Policy
from erp.amocrm.outbox import CHANNEL, CONTACT, LEAD_UPDATES
from erp.amocrm.stage_actions import KIND as LOCAL  # run here, by erp.amocrm.stage_runner, not sent
from erp.amocrm.tokens import DUE_SQL, EXPIRY_MARGIN, IDLE_REFRESH, ReconnectNeeded
from erp.app.jobs import job
from erp.app.settings import Settings

log = logging.getLogger("erp.amocrm")
POLICY = DEFAULT_POLICY


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    lead_id: int
    payload: dict[str, Any]
    contact_id: int | None = None


@job("amocrm-delivery", every=1.0, channels=(CHANNEL,))
async def delivery_job(pool: asyncpg.Pool, settings: Settings) -> None:
    await deliver(pool, settings)


async def deliver(pool: asyncpg.Pool, settings: Settings, policy: Policy | None = None, transport=None) -> int:
    """Deliver every due event if this process gets the gate; the number of events handled."""
    policy = policy or POLICY
    if not await pool.fetchval(
            f"SELECT paused_at IS NULL AND ({DUE_SQL} OR EXISTS (SELECT 1 FROM amocrm_events WHERE direction = 'out'"
            f" AND kind <> '{LOCAL}' AND (state = 'in_flight' OR (state = 'pending' AND next_attempt_at <= now()))))"
            " FROM amocrm_connections WHERE id = $1 AND client_id <> ''", connections.ROW_ID, EXPIRY_MARGIN,
            IDLE_REFRESH):
        return 0
    async with pool.acquire() as conn:
        gate = await Gate.enter(conn, settings, policy=policy, transport=transport)
        if gate is None:
            return 0
        async with gate:
            if gate.account is None or gate.account.paused:
                return 0
            # Whatever is in flight now was left by a holder that died: only the holder sets it.
            await pool.execute("UPDATE amocrm_events SET state = 'pending' WHERE direction = 'out'"
                               " AND state = 'in_flight' AND kind <> $1", LOCAL)
            return await _run(gate, pool, settings, policy)


async def _run(gate: Gate, pool: asyncpg.Pool, settings: Settings, policy: Policy) -> int:
    handled, claimed = 0, []
    try:
        await _give_way(gate)
        await gate.fresh_token()
        while claimed := await _claim(pool, policy.claim_limit):
            await _deliver_events(gate, pool, settings, policy, claimed)
            handled += len(claimed)
            claimed = []
            await _give_way(gate)
    except _GiveWay:
        log.info("amoCRM delivery gives way to a booking")
    except Blocked as exc:
        await connections.pause(pool, "blocked", "amoCRM заблокировал доступ интеграции (403) — обычно за превышение "
                                "7 запросов в секунду. Обмен приостановлен; после разблокировки нажмите "
                                f"«Возобновить» (erp amocrm resume). {exc.message}")
        log.error("amoCRM answered 403: delivery paused")
    except ReconnectNeeded as exc:
        await connections.pause(pool, "reconnect", exc.message)
        log.error("amoCRM refused the tokens: delivery paused until it is connected again")
    except Transient as exc:
        log.warning("amoCRM unavailable: %s", exc.message)
    finally:
        if claimed:
            await pool.execute("UPDATE amocrm_events SET state = 'pending', attempts = greatest(attempts - 1, 0)"
                               " WHERE id = ANY($1::bigint[]) AND state = 'in_flight'", [e.id for e in claimed])
    return handled


class _GiveWay(Exception):
    """A booking waits for the gate: stop after the batch in hand (the rest goes back to pending)."""


async def _give_way(gate: Gate) -> None:
    if await gate.wanted():
        raise _GiveWay


async def _claim(pool: asyncpg.Pool, limit: int) -> list[Event]:
    rows = await pool.fetch(
        "UPDATE amocrm_events e SET state = 'in_flight', attempts = e.attempts + 1, claimed_at = now()"
        " FROM (SELECT id FROM amocrm_events WHERE direction = 'out' AND state = 'pending' AND kind <> $2"
        "       AND next_attempt_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due"
        " WHERE e.id = due.id RETURNING e.id, e.kind, e.lead_id, e.payload, e.contact_id", limit, LOCAL)
    return sorted((Event(r["id"], r["kind"], r["lead_id"], r["payload"] or {}, r["contact_id"]) for r in rows),
                  key=lambda e: e.id)


async def _deliver_events(gate: Gate, pool: asyncpg.Pool, settings: Settings, policy: Policy,
                          events: list[Event]) -> None:
    by_lead: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        if event.kind in LEAD_UPDATES:
            by_lead[event.lead_id].append(event)
    leads, size = sorted(by_lead), policy.batch_size
    for i in range(0, len(leads), size):
        if i:
            await _give_way(gate)
        await _send_leads(gate, pool, settings, policy, {lead: by_lead[lead] for lead in leads[i:i + size]})
    notes = [e for e in events if e.kind == "note"]
    for i in range(0, len(notes), policy.batch_size):
        await _give_way(gate)
        await _send_notes(gate, pool, settings, policy, notes[i:i + policy.batch_size])
    changed = [e for e in events if e.kind == CONTACT and e.contact_id is not None]
    if changed:
        await _give_way(gate)
        await _send_contacts(gate, pool, policy, changed)
    unknown = [e.id for e in events if e.kind not in (*LEAD_UPDATES, "note", CONTACT)
               or (e.kind == CONTACT and e.contact_id is None)]
    if unknown:
        await _fail(pool, unknown, "Неизвестный вид события", None)


async def _pipelines(gate: Gate, pool: asyncpg.Pool, policy: Policy, chunk: dict[int, list[Event]]) -> dict[int, int]:
    """The pipeline of each lead that must move to 142 (``GET /api/v4/leads/{id}``); a lead whose
    read failed keeps its ``won`` events out of this round."""
    found: dict[int, int] = {}
    for lead_id, events in chunk.items():
        won = [e for e in events if e.kind == "won"]
        if not won:
            continue
        try:
            lead = await gate.call("GET", f"/api/v4/leads/{lead_id}")
        except Transient as exc:
            await _retry(pool, [e.id for e in won], exc.message, policy, exc)
            gate.client.limiter.hold(policy.hold_after_429 if isinstance(exc, RateLimited) else 0)
        except Invalid as exc:
            await _fail(pool, [e.id for e in won], exc.message, exc.details)
        else:
            if isinstance(lead, dict) and isinstance(lead.get("pipeline_id"), int):
                found[lead_id] = lead["pipeline_id"]
            else:
                await _fail(pool, [e.id for e in won], f"Сделка {lead_id} не найдена в amoCRM", None)
        if lead_id not in found:
            chunk[lead_id] = [e for e in events if e.kind != "won"]
    return found


async def _send_leads(gate: Gate, pool: asyncpg.Pool, settings: Settings, policy: Policy,
                      chunk: dict[int, list[Event]]) -> None:
    pipelines = await _pipelines(gate, pool, policy, chunk)
    chunk = {lead: events for lead, events in chunk.items() if events}
    async with pool.acquire() as conn:
        sums = await updates.totals(conn, [lead for lead, evs in chunk.items() if any(e.kind == "budget" for e in evs)])
    lead_fields = gate.account.lead_fields if gate.account else {}
    items: dict[int, updates.LeadUpdate] = {}
    for lead_id, events in chunk.items():
        values: dict[str, str] = {}
        for event in events:
            if event.kind == "fields":
                values.update(event.payload.get("values") or {})
        items[lead_id] = updates.lead_update(lead_id, lead_fields, settings.tz, total=sums.get(lead_id),
                                             values=values or None, pipeline_id=pipelines.get(lead_id))
    empty = [e.id for lead, u in items.items() if u.empty for e in chunk[lead]]
    if empty:
        await _delivered(pool, {i: "Нечего отправлять: ни одно поле не найдено в amoCRM" for i in empty})
    items = {lead: u for lead, u in items.items() if not u.empty}
    if not items:
        return
    ids = {lead: [e.id for e in chunk[lead]] for lead in items}
    try:
        await gate.call("PATCH", "/api/v4/leads", json=[u.item for u in items.values()])
    except Transient as exc:
        await _retry(pool, [i for lead in ids for i in ids[lead]], exc.message, policy, exc)
        if isinstance(exc, RateLimited):
            gate.client.limiter.hold(policy.hold_after_429)
    except Invalid as exc:
        bad = _pointed_at(exc.details, {str(lead) for lead in ids})
        if bad is None:
            await _fail(pool, [i for lead in ids for i in ids[lead]], exc.message, exc.details)
            return
        await _fail(pool, [i for lead in ids if str(lead) in bad for i in ids[lead]], exc.message,
                    [e for e in exc.details if str(e.get("request_id")) in bad])
        await _retry(pool, [i for lead in ids if str(lead) not in bad for i in ids[lead]],
                     "Пакет отклонён из-за другой сделки; отправляется снова", policy, None)
    else:
        await _delivered(pool, {i: f"Сделка {lead}: " + ", ".join(items[lead].said) for lead in ids for i in ids[lead]})


def _note_text(gate: Gate, settings: Settings, event: Event) -> str:
    """The note's text; a generated PDF's gets its signed link (valid for weeks: people open notes later)."""
    text = event.payload.get("text") or ""
    generated_id = event.payload.get("generated_id")
    if isinstance(generated_id, int) and gate.account is not None:
        text += " — " + lead_links.generated_link(settings.secret_key, gate.account.our_origin, event.lead_id,
                                                  generated_id)
    return text


async def _send_notes(gate: Gate, pool: asyncpg.Pool, settings: Settings, policy: Policy,
                      notes: list[Event]) -> None:
    texts = {e.id: _note_text(gate, settings, e) for e in notes}
    body = [{"entity_id": e.lead_id, "note_type": "common", "params": {"text": texts[e.id]},
             "request_id": str(e.id)} for e in notes]
    try:
        await gate.call("POST", "/api/v4/leads/notes", json=body)
    except Transient as exc:
        await _retry(pool, [e.id for e in notes], exc.message, policy, exc)
        if isinstance(exc, RateLimited):
            gate.client.limiter.hold(policy.hold_after_429)
    except Invalid as exc:
        bad = _pointed_at(exc.details, {str(e.id) for e in notes})
        if bad is None:
            await _fail(pool, [e.id for e in notes], exc.message, exc.details)
            return
        await _fail(pool, [e.id for e in notes if str(e.id) in bad], exc.message,
                    [d for d in exc.details if str(d.get("request_id")) in bad])
        await _retry(pool, [e.id for e in notes if str(e.id) not in bad],
                     "Пакет отклонён из-за другого примечания; отправляется снова", policy, None)
    else:
        await _delivered(pool, {e.id: f"Примечание в сделке {e.lead_id}: {texts[e.id]}" for e in notes})


async def _send_contacts(gate: Gate, pool: asyncpg.Pool, policy: Policy, events: list[Event]) -> None:
    """The clients' current name, phone and email to their contacts; a contact amoCRM already agrees with
    is delivered with nothing sent."""
    by_contact: dict[int, list[int]] = defaultdict(list)
    for event in events:
        by_contact[event.contact_id or 0].append(event.id)
    account_id = gate.account.account_id if gate.account else None
    async with pool.acquire() as conn:
        found, dropped = await contacts.pushes(conn, account_id or 0, list(by_contact))
    for contact_id in [c for c in by_contact if c not in found]:
        await _fail(pool, by_contact[contact_id], f"Контакт {contact_id} удалён в amoCRM: клиент больше не связан"
                    " с ним, изменение не отправлено" if contact_id in dropped else f"Контакт {contact_id} не"
                    " связан ни с одним клиентом подключённого аккаунта amoCRM", None)
    same = {i: f"Контакт {c}: в amoCRM уже эти данные" for c, push in found.items() if push is None
            for i in by_contact[c]}
    if same:
        await _delivered(pool, same)
    items = [push for push in found.values() if push is not None]
    for i in range(0, len(items), policy.batch_size):
        await _patch_contacts(gate, pool, policy, items[i:i + policy.batch_size], by_contact)


async def _patch_contacts(gate: Gate, pool: asyncpg.Pool, policy: Policy, items: list[contacts.Push],
                          by_contact: dict[int, list[int]]) -> None:
    async with pool.acquire() as conn:
        await contacts.sending(conn, items)
    try:
        await gate.call("PATCH", "/api/v4/contacts", json=[p.item for p in items])
    except Transient as exc:
        await _retry(pool, [i for p in items for i in by_contact[p.contact_id]], exc.message, policy, exc)
        if isinstance(exc, RateLimited):
            gate.client.limiter.hold(policy.hold_after_429)
    except Invalid as exc:
        if await _drop_gone(gate, pool, policy, items, by_contact, exc):
            return
        bad = _pointed_at(exc.details, {str(p.contact_id) for p in items})
        refused = [p for p in items if bad is None or str(p.contact_id) in bad]
        async with pool.acquire() as conn:
            await contacts.sent(conn, refused, delivered=False)
        await _fail(pool, [i for p in refused for i in by_contact[p.contact_id]], exc.message,
                    exc.details if bad is None else [e for e in exc.details if str(e.get("request_id")) in bad])
        await _retry(pool, [i for p in items if p not in refused for i in by_contact[p.contact_id]],
                     "Пакет отклонён из-за другого контакта; отправляется снова", policy, None)
    else:
        async with pool.acquire() as conn:
            await contacts.sent(conn, items, delivered=True)
        await _delivered(pool, {i: f"Контакт {p.contact_id}: " + ", ".join(p.said)
                                for p in items for i in by_contact[p.contact_id]})


async def _drop_gone(gate: Gate, pool: asyncpg.Pool, policy: Policy, items: list[contacts.Push],
                     by_contact: dict[int, list[int]], exc: Invalid) -> bool:
    """amoCRM refused the PATCH because contacts were deleted meanwhile (:mod:`erp.amocrm.contact_gone`):
    drop their links, fail their events once with that reason, send the others again; whether it was so."""
    suspects = contact_gone.suspects(exc, [p.contact_id for p in items])
    if not suspects:
        return False
    try:
        gone = await contact_gone.confirmed(gate, suspects)
    except Transient as failure:
        await _retry(pool, [i for p in items for i in by_contact[p.contact_id]], failure.message, policy, failure)
        return True
    if not gone:
        return False
    account_id = gate.account.account_id if gate.account else 0
    for contact_id in sorted(gone):
        async with pool.acquire() as conn, conn.transaction():
            await contact_gone.unlink(conn, account_id or 0, contact_id,
                                      f"Контакт {contact_id} удалён в amoCRM (amoCRM отклонил изменение: {exc.status})")
        await _fail(pool, by_contact[contact_id], f"Контакт {contact_id} удалён в amoCRM ({exc.status}): связь с"
                    " клиентом снята, изменение не отправлено", exc.details)
    await _retry(pool, [i for p in items if p.contact_id not in gone for i in by_contact[p.contact_id]],
                 "Пакет отклонён из-за контакта, удалённого в amoCRM; отправляется снова", policy, None)
    return True


def _pointed_at(details: Any, ours: set[str]) -> set[str] | None:
    """The request ids amoCRM's ``validation-errors`` blame, if they are all ours."""
    if not isinstance(details, list) or not details:
        return None
    blamed = {str(d.get("request_id")) for d in details if isinstance(d, dict)}
    return blamed if blamed and blamed <= ours else None


async def _delivered(pool: asyncpg.Pool, results: dict[int, str]) -> None:
    await pool.execute(
        "UPDATE amocrm_events e SET state = 'delivered', delivered_at = now(), result = r.result, last_error = '',"
        " error_details = NULL FROM unnest($1::bigint[], $2::text[]) AS r(id, result) WHERE e.id = r.id",
        list(results), list(results.values()))


async def _fail(pool: asyncpg.Pool, ids: list[int], message: str, details: Any) -> None:
    if ids:
        await pool.execute("UPDATE amocrm_events SET state = 'failed', last_error = $2, error_details = $3"
                           " WHERE id = ANY($1::bigint[])", ids, message, details)


async def _retry(pool: asyncpg.Pool, ids: list[int], message: str, policy: Policy, exc: Exception | None) -> None:
    """Back to pending; after a failure, exponentially later with jitter (half fixed, half random)."""
    if not ids:
        return
    base = policy.backoff_base if exc is not None else 0.0
    await pool.execute(
        "UPDATE amocrm_events SET state = 'pending', last_error = $2, next_attempt_at = now() + make_interval("
        "secs => least($4::float8, $3::float8 * power(2, greatest(attempts - 1, 0))) * (0.5 + random() / 2))"
        " WHERE id = ANY($1::bigint[])", ids, message, base, policy.backoff_cap)
