"""Clients linked to amoCRM contacts, and their name, phone and email kept the same on both sides.

The link is a row of ``amocrm_contacts``: the client, the account and the contact's id there (a contact of
an account is at most one client: a unique key), and ``known``, the contact as amoCRM has it as we last
saw or told it (its ``name``, first ``phone`` and ``email`` as the client holds them, and every phone
and email with its kind). ``sending`` holds what the deliverer is telling amoCRM and amoCRM has not yet
confirmed.

* **Booking from a lead**, and the widget's invoice for a lead without a Request
  (:func:`lead_contact`, :func:`client_for`): the lead's main contact is read
  through the gate (``GET /api/v4/leads/{id}?with=contacts``, then ``GET /api/v4/contacts/{id}``); the
  client is the one linked to it, else a new client with the contact's name, phone and email. The link
  is written with ``INSERT … ON CONFLICT DO NOTHING`` on the unique key: of concurrent bookings of one
  new contact, one creates the client and the others (waiting for it to commit) undo their own and
  take that one. A lead without contacts books as before (the typed name or «Клиент из AmoCRM»), and
  so does every lead while the exchange is paused (amoCRM blocked the account or refused the tokens:
  calling would not help, and bookings must not stop until an administrator acts). amoCRM failing
  otherwise refuses the booking (502, nothing written): it answers again in a moment, while a client
  booked under another name would be a duplicate the contact's next booking could not find.
* **amoCRM → client** (:func:`apply`, the ``update_contact`` webhook and every booking): a field is
  taken from amoCRM only when amoCRM changed it, that is when it differs from ``known`` and from what we
  are ``sending``; so a replayed webhook, or amoCRM echoing our own change back, changes nothing.
* **client → amoCRM**: a trigger on ``cat_clients`` enqueues an outbox event (``kind = 'contact'``) in
  the transaction that changes a linked client's name, phone or email, whatever the path (the form, the
  REST API, the Excel import), unless amoCRM already has those values (``known``): so a change that came
  from amoCRM is never sent back. The deliverer (:func:`push_items`) sends the client's current values
  with ``PATCH /api/v4/contacts``, keeping the contact's other phones and emails.
* **A contact deleted in amoCRM** keeps its client and drops the link (``deleted_at``,
  :mod:`erp.amocrm.contact_gone`); a link dropped is taken up again if amoCRM answers the contact later
  (restored from its trash).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg

from erp.amocrm.client import AmoError
from erp.amocrm.gate import Gate, waiting_person
from erp.amocrm.oauth import AmoUnavailable
from erp.amocrm.tokens import ReconnectNeeded
from erp.app.settings import Settings
from erp.platform import catalog_service
from erp.platform.errors import ErpError, ValidationError
from erp.platform.posting import Engine

log = logging.getLogger("erp.amocrm")
FIELDS = ("name", "phone", "email")
CODES = {"phone": "PHONE", "email": "EMAIL"}
NAMES = {"phone": ("телефон", "phone"), "email": ("email", "e-mail", "эл. почта")}  # a webhook field without a code
MAX = {"name": 250, "phone": 50, "email": 200}
BOOKING_WAIT = 20.0  # seconds a booking waits for the gate (another process may be delivering)
MAX_ID = 2**63 - 1
FIELD_TITLES = {"name": "имя", "phone": "телефон", "email": "email"}
BOOKING = "запись не создана"  # what a refused booking did not do


@dataclass(frozen=True)
class Person:
    """An amoCRM contact as a client sees it: the name, and every phone and email (``{"value"}`` with its
    kind: ``enum_code`` or ``enum_id``)."""

    contact_id: int
    name: str
    phones: tuple[dict[str, Any], ...] = ()
    emails: tuple[dict[str, Any], ...] = ()

    def value(self, name: str) -> str:
        if name == "name":
            return self.name.strip()[:MAX["name"]]
        values = self.phones if name == "phone" else self.emails
        return values[0]["value"].strip()[:MAX[name]] if values else ""

    def known(self) -> dict[str, Any]:
        return {**{f: self.value(f) for f in FIELDS}, "phones": list(self.phones), "emails": list(self.emails)}


def email_ok(value: str) -> bool:
    return not value or ("@" in value and " " not in value)


def contact_id_of(raw: Any) -> int | None:
    """A contact id from JSON (an int) or a form (ASCII digits), if it is one."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= MAX_ID else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        return int(raw) if 0 < int(raw) <= MAX_ID else None
    return None


def _values(raw: Any, *, webhook: bool = False) -> tuple[dict[str, Any], ...]:
    """``{"value", "enum_code"}`` per value of the API, ``{"value", "enum_id"}`` per value of a webhook
    (which names the kind by its enum's id only)."""
    items = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str | int) or not str(item["value"]).strip():
            continue
        value: dict[str, Any] = {"value": str(item["value"]).strip()}
        if webhook:
            if (enum_id := contact_id_of(item.get("enum"))) is not None:
                value["enum_id"] = enum_id
        elif isinstance(item.get("enum_code"), str) and item["enum_code"]:
            value["enum_code"] = item["enum_code"]
        out.append(value)
    return tuple(out)


def from_api(body: Any) -> Person | None:
    """``GET /api/v4/contacts/{id}``'s answer: ``custom_fields_values`` with ``field_code`` PHONE and EMAIL."""
    if not isinstance(body, dict) or contact_id_of(body.get("id")) is None:
        return None
    found: dict[str, tuple[dict[str, Any], ...]] = {"phone": (), "email": ()}
    for entry in body.get("custom_fields_values") or ():
        if not isinstance(entry, dict):
            continue
        for name, code in CODES.items():
            if entry.get("field_code") == code and not found[name]:
                found[name] = _values(entry.get("values"))
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    if not name.strip():
        name = " ".join(str(body.get(k) or "") for k in ("first_name", "last_name")).strip()
    return Person(body["id"], name, found["phone"], found["email"])


def webhook_contact_id(raw: Any) -> int:
    """A webhook's ``contacts[…][N][id]``; one that is not a positive bigint is a 422."""
    contact_id = contact_id_of(raw)
    if contact_id is None:
        shown = str(raw)[:40] if raw is not None else "—"
        raise ValidationError(f"Номер контакта в вебхуке — не положительное целое число: {shown!r}",
                              code="webhook_malformed", details={"fields": {"contacts": "номер контакта"}})
    return contact_id


def from_webhook(item: dict[str, Any]) -> Person:
    """One ``contacts[update][N]`` item (amoCRM's older layout: ``custom_fields[i][code|name]``,
    ``[values][j][value|enum]``); the whole contact after the change. A bad id is a 422."""
    contact_id = webhook_contact_id(item.get("id"))
    found: dict[str, tuple[dict[str, Any], ...]] = {"phone": (), "email": ()}
    custom = item.get("custom_fields")
    for entry in custom.values() if isinstance(custom, dict) else ():
        if not isinstance(entry, dict):
            continue
        code, title = str(entry.get("code") or "").upper(), str(entry.get("name") or "").strip().casefold()
        for name in CODES:
            if (code == CODES[name] or (not code and title in NAMES[name])) and not found[name]:
                found[name] = _values(entry.get("values"), webhook=True)
    name = item.get("name") if isinstance(item.get("name"), str) else ""
    return Person(contact_id, name, found["phone"], found["email"])


def main_contact(lead: Any) -> int | None:
    """The lead's main contact in ``_embedded.contacts`` (``is_main``), else its first one."""
    embedded = lead.get("_embedded") if isinstance(lead, dict) else None
    listed = embedded.get("contacts") if isinstance(embedded, dict) else None
    ids = [(c.get("is_main") is True, contact_id_of(c.get("id"))) for c in listed or () if isinstance(c, dict)]
    ids = [(main, i) for main, i in ids if i is not None]
    return next((i for main, i in ids if main), ids[0][1] if ids else None)


async def lead_contact(conn: asyncpg.Connection, settings: Settings, lead_id: int, *, refused: str = BOOKING,
                       without_when_paused: bool = True, transport=None) -> tuple[int, Person] | None:
    """The connected account's id and the lead's main contact, read from amoCRM now; ``None`` when
    amoCRM knows no such lead or the lead has no contact. amoCRM failing is a 502 and busy a 503, their
    messages ending with ``refused`` (what the caller did not do). While the exchange is paused amoCRM is
    not called: ``None`` (a booking goes on under the typed name) or, unless ``without_when_paused``, a 502."""
    async with waiting_person(conn):  # a deliverer gives the gate up after its current batch
        return await _lead_contact(conn, settings, lead_id, transport, refused, without_when_paused)


async def _lead_contact(conn: asyncpg.Connection, settings: Settings, lead_id: int, transport, refused: str,
                        without_when_paused: bool) -> tuple[int, Person] | None:
    gate = await Gate.enter(conn, settings, wait=BOOKING_WAIT, transport=transport)
    if gate is None:
        raise ErpError(f"amoCRM сейчас занят другим процессом (идёт обмен): {refused}, повторите через"
                       " минуту", code="amocrm_busy", status=503)
    try:
        async with gate:
            if gate.account is None or gate.account.account_id is None:
                raise ErpError("amoCRM не подключён: подключите его на странице «Интеграции»",
                               code="amocrm_not_connected", status=409)
            if gate.account.paused:  # blocked (403) or tokens dead: calling would not help, booking still does
                if not without_when_paused:
                    raise AmoUnavailable(f"Обмен с amoCRM приостановлен, контакт сделки {lead_id} не прочитан: "
                                         f"{refused}. Администратору: «Возобновить» на странице «Интеграции»",
                                         code="amocrm_contact_unavailable", details={"paused": True})
                log.warning("amoCRM exchange is paused: lead %s books without its contact", lead_id)
                return None
            lead = await gate.call("GET", f"/api/v4/leads/{lead_id}", params={"with": "contacts"})
            contact_id = main_contact(lead)
            if contact_id is None:
                return None
            person = from_api(await gate.call("GET", f"/api/v4/contacts/{contact_id}"))
            return (gate.account.account_id, person) if person is not None else None
    except (AmoError, ReconnectNeeded) as exc:
        raise AmoUnavailable(f"Не удалось прочитать контакт сделки {lead_id} в amoCRM, {refused}: "
                             f"{exc.message}", code="amocrm_contact_unavailable",
                             details={"amocrm_status": exc.status}) from None


def _fresh(person: Person) -> dict[str, str]:
    """The client's fields for a new client from ``person``; what cannot be taken is left empty."""
    values = {f: person.value(f) for f in FIELDS}
    if not values["name"]:
        values["name"] = f"Контакт amoCRM {person.contact_id}"
    if not email_ok(values["email"]):
        values["email"] = ""
    return values


async def client_for(conn: asyncpg.Connection, engine: Engine, account_id: int, person: Person) -> int:
    """The client linked to ``person``, updated with what amoCRM changed, or a new one; call it inside the
    booking's transaction. A link dropped when the contact was deleted in amoCRM comes back: amoCRM
    answering the contact means it was restored from its trash, the same person."""
    clients = engine.registry.catalogs["clients"]
    link = await link_of(conn, account_id, person.contact_id)
    if link is not None:
        if link["deleted_at"] is not None:
            await _relink(conn, link["client_id"], person.contact_id)
        await apply(conn, engine, link, person)
        return link["client_id"]
    values = _fresh(person)
    known = {**person.known(), **{f: values[f] for f in FIELDS}}
    async with conn.transaction():  # a savepoint: undone when another booking linked the contact first
        created = await catalog_service.create(conn, engine.registry, clients, values)
        linked = await conn.fetchval(
            "INSERT INTO amocrm_contacts (client_id, account_id, contact_id, known) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (account_id, contact_id) DO NOTHING RETURNING client_id",
            created["id"], account_id, person.contact_id, known)
        if linked is not None:
            return linked
        raise _Taken()


async def _relink(conn: asyncpg.Connection, client_id: int, contact_id: int) -> None:
    restored = await conn.fetchval("UPDATE amocrm_contacts SET deleted_at = NULL, updated_at = now()"
                                   " WHERE client_id = $1 AND deleted_at IS NOT NULL RETURNING client_id", client_id)
    if restored is not None:
        await conn.execute(
            "INSERT INTO amocrm_events (direction, kind, contact_id, payload, state, attempts, result, delivered_at)"
            " VALUES ('in', 'contact_restore', $1, $2, 'delivered', 1, $3, now())", contact_id,
            {"client_id": client_id}, f"Контакт {contact_id} снова есть в amoCRM (восстановлен после удаления): "
                                      "клиент снова связан с ним")


class _Taken(Exception):
    pass


async def link_of(conn: asyncpg.Connection, account_id: int, contact_id: int) -> asyncpg.Record | None:
    """The contact's link, a dropped one (``deleted_at``: the contact was deleted in amoCRM) too."""
    return await conn.fetchrow("SELECT client_id, known, sending, deleted_at FROM amocrm_contacts"
                               " WHERE account_id = $1 AND contact_id = $2", account_id, contact_id)


async def linked_client(conn: asyncpg.Connection, engine: Engine, account_id: int, person: Person) -> int:
    """:func:`client_for`, taking the client another booking linked to the contact meanwhile."""
    try:
        return await client_for(conn, engine, account_id, person)
    except _Taken:
        link = await link_of(conn, account_id, person.contact_id)
        if link is None:  # pragma: no cover - ON CONFLICT saw a committed row, so it is there
            raise ErpError("Контакт amoCRM связан с клиентом, которого не видно", code="amocrm_contact_race",
                           status=409) from None
        if link["deleted_at"] is not None:
            await _relink(conn, link["client_id"], person.contact_id)
        await apply(conn, engine, link, person)
        return link["client_id"]


async def apply(conn: asyncpg.Connection, engine: Engine, link: asyncpg.Record, person: Person) -> list[str]:
    """Take into the client what amoCRM changed in ``person`` (see the module's docstring); what changed."""
    known, sending = dict(link["known"] or {}), dict(link["sending"] or {})
    client = await conn.fetchrow("SELECT name, phone, email FROM cat_clients WHERE id = $1 FOR UPDATE",
                                 link["client_id"])
    changes: dict[str, str] = {}
    said: list[str] = []
    for name in FIELDS:
        value = person.value(name)
        if value == (known.get(name) or ""):
            continue  # amoCRM did not change it
        if (name == "name" and not value) or (name == "email" and not email_ok(value)):
            said.append(f"{FIELD_TITLES[name]} «{value}» не принят")
            continue
        known[name] = value
        if value == (sending.get(name) or "") or value == (client[name] or ""):
            continue  # our own change coming back, or the client has it already
        changes[name] = value
        said.append(f"{FIELD_TITLES[name]}: «{client[name] or ''}» → «{value}»")
    known["phones"], known["emails"] = list(person.phones), list(person.emails)
    # known first: the trigger compares the client with it and enqueues nothing for these changes
    await conn.execute("UPDATE amocrm_contacts SET known = $2, updated_at = now() WHERE client_id = $1",
                       link["client_id"], known)
    if changes:
        await catalog_service.update(conn, engine.registry, engine.registry.catalogs["clients"], link["client_id"],
                                     changes)
    return said


# -- the push (the deliverer's side) ------------------------------------------------------------------------


@dataclass
class Push:
    """One contact's item of ``PATCH /api/v4/contacts`` and the values it gives amoCRM."""

    contact_id: int
    client_id: int
    item: dict[str, Any]
    sent: dict[str, Any]
    said: list[str]


def _kind(value: dict[str, Any]) -> dict[str, Any]:
    """A value's kind as amoCRM takes it back: its enum id, else its enum code, else ``WORK``."""
    if isinstance(value.get("enum_id"), int):
        return {"enum_id": value["enum_id"]}
    return {"enum_code": value.get("enum_code") or "WORK"}


def _replace_first(values: list[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    """The contact's values with its first (the client's) replaced by ``value`` (or dropped when empty)."""
    rest = [{"value": v["value"], **_kind(v)} for v in values[1:] if v.get("value") != value]
    first = [{"value": value, **_kind(values[0] if values else {})}] if value else []
    return [*first, *rest]


def push_item(row: asyncpg.Record) -> Push | None:
    """What to send for a linked client (``row``: the link and the client's values), or ``None`` when amoCRM
    has them all."""
    known = dict(row["known"] or {})
    values = {f: row[f] or "" for f in FIELDS}
    changed = [f for f in FIELDS if values[f] != (known.get(f) or "")]
    if not changed:
        return None
    item: dict[str, Any] = {"id": row["contact_id"], "request_id": str(row["contact_id"])}
    sent: dict[str, Any] = {f: values[f] for f in changed}
    custom = []
    for name in changed:
        if name == "name":
            item["name"] = values["name"]
            continue
        plural = f"{name}s"
        listed = _replace_first([v for v in known.get(plural) or () if isinstance(v, dict)], values[name])
        custom.append({"field_code": CODES[name], "values": listed or None})
        sent[plural] = listed
    if custom:
        item["custom_fields_values"] = custom
    said = [f"{FIELD_TITLES[f]} «{values[f]}»" if values[f] else f"{FIELD_TITLES[f]} очищен" for f in changed]
    return Push(row["contact_id"], row["client_id"], item, sent, said)


async def pushes(conn: asyncpg.Connection, account_id: int,
                 contact_ids: list[int]) -> tuple[dict[int, Push | None], set[int]]:
    """The item of each linked contact of the account (``None``: nothing to send), and the contacts whose
    link was dropped because they were deleted in amoCRM; a contact no client has is in neither."""
    rows = await conn.fetch(
        "SELECT l.client_id, l.contact_id, l.known, l.deleted_at, c.name, c.phone, c.email FROM amocrm_contacts l"
        " JOIN cat_clients c ON c.id = l.client_id WHERE l.account_id = $1 AND l.contact_id = ANY($2::bigint[])",
        account_id, contact_ids)
    return ({r["contact_id"]: push_item(r) for r in rows if r["deleted_at"] is None},
            {r["contact_id"] for r in rows if r["deleted_at"] is not None})


async def sending(conn: asyncpg.Connection, items: list[Push]) -> None:
    """Remember what is being sent, before sending: amoCRM's echo of it is then no change by amoCRM."""
    await conn.execute(
        "UPDATE amocrm_contacts l SET sending = coalesce(l.sending, '{}'::jsonb) || s.sent"
        " FROM unnest($1::bigint[], $2::jsonb[]) AS s(client_id, sent) WHERE l.client_id = s.client_id",
        [p.client_id for p in items], [p.sent for p in items])


async def sent(conn: asyncpg.Connection, items: list[Push], *, delivered: bool) -> None:
    """amoCRM took the items (``known`` gets them) or refused them; nothing is on its way any more."""
    await conn.execute(
        "UPDATE amocrm_contacts l SET known = CASE WHEN $3 THEN l.known || s.sent ELSE l.known END, sending = NULL,"
        " updated_at = now() FROM unnest($1::bigint[], $2::jsonb[]) AS s(client_id, sent)"
        " WHERE l.client_id = s.client_id", [p.client_id for p in items], [p.sent for p in items], delivered)


async def of_client(conn: asyncpg.Connection, client_id: int) -> dict[str, Any] | None:
    """The client's contact for showing: its id, the account, when it was last synchronised and, once the
    contact was deleted in amoCRM, when (``deleted_at``: the client is no longer linked, no link to open)."""
    row = await conn.fetchrow(
        "SELECT l.contact_id, l.account_id, l.updated_at, l.deleted_at, c.subdomain, c.base_url"
        " FROM amocrm_contacts l LEFT JOIN amocrm_connections c ON c.account_id = l.account_id"
        " WHERE l.client_id = $1", client_id)
    if row is None:
        return None
    deleted = row["deleted_at"] if isinstance(row["deleted_at"], dt.datetime) else None
    return {"contact_id": row["contact_id"], "deleted_at": deleted,
            "url": "" if deleted else contact_url(row["subdomain"], row["base_url"], row["contact_id"]),
            "synced_at": row["updated_at"] if isinstance(row["updated_at"], dt.datetime) else None}


def contact_url(subdomain: str | None, base_url: str | None, contact_id: int) -> str:
    """The contact's card in amoCRM: ``https://{subdomain}.amocrm.ru/contacts/detail/{id}`` (on the configured
    base URL when it is not amoCRM's, as with the local fake)."""
    base = (base_url or "").rstrip("/")
    if subdomain and (not base or base.endswith(".amocrm.ru") or base.endswith(".kommo.com")):
        base = f"https://{subdomain}.amocrm.ru"
    return f"{base}/contacts/detail/{contact_id}" if base else ""
