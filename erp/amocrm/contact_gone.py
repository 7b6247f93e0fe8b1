"""A contact deleted in amoCRM: its client stays (it has documents and payments), the link is dropped.

amoCRM tells it two ways. The ``delete_contact`` webhook (``contacts[delete][N][id]`` with
``contacts[delete][N][type]`` ``contact``; a company's ``company`` is left alone), read by
:mod:`erp.amocrm.webhooks`. And, when that webhook was missed or is late, the deliverer's ``PATCH
/api/v4/contacts`` failing for a contact deleted meanwhile: a 404, or a 400 whose ``validation-errors``
say ``NotFound`` on an item's ``id``. The deliverer then asks ``GET /api/v4/contacts/{id}`` of each
suspect (amoCRM answers 204 for a contact it no longer has) and drops only the ones really gone; the
others of the batch are sent again.

Dropping marks the row of ``amocrm_contacts`` (``deleted_at``) rather than deleting it, so that:

* the client's form and card say the contact was deleted in amoCRM and when (no link to a dead card);
* the trigger on ``cat_clients`` no longer enqueues the client's changes, and an event already queued
  fails once with that reason (the outbox does not PATCH a contact that is not there, nor retry it);
* a booking or an invoice from a lead with another contact finds or creates that contact's client as
  for any new contact; and if amoCRM restores the deleted contact from its trash, the next booking of it
  links the same client again (:func:`erp.amocrm.contacts.client_for`).

The exchange log gets one ``contact_delete`` row per dropped link: a replayed webhook finds it dropped
already and changes nothing.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from erp.amocrm.client import Invalid


async def unlink(conn: asyncpg.Connection, account_id: int, contact_id: int, why: str) -> dict[str, Any] | None:
    """Drop the contact's link and log it (``why``: how amoCRM told); ``None`` if it had no live link."""
    row = await conn.fetchrow(
        "UPDATE amocrm_contacts l SET deleted_at = now(), sending = NULL, updated_at = now() FROM cat_clients c"
        " WHERE l.account_id = $1 AND l.contact_id = $2 AND l.deleted_at IS NULL AND c.id = l.client_id"
        " RETURNING l.client_id, c.name", account_id, contact_id)
    if row is None:
        return None
    result = (f"{why}: клиент «{row['name']}» больше не связан с amoCRM (клиент и его документы сохранены, "
              "его изменения в amoCRM не отправляются)")
    await conn.execute(
        "INSERT INTO amocrm_events (direction, kind, contact_id, payload, state, attempts, result, delivered_at)"
        " VALUES ('in', 'contact_delete', $1, $2, 'delivered', 1, $3, now())",
        contact_id, {"client_id": row["client_id"]}, result)
    return {"contact_id": contact_id, "client_id": row["client_id"], "client": row["name"]}


def suspects(exc: Invalid, contact_ids: list[int]) -> list[int]:
    """The contacts of a refused ``PATCH /api/v4/contacts`` that may have been deleted: all of them for a
    404, else those whose ``validation-errors`` entry says ``NotFound`` on ``id``."""
    if exc.status == 404:
        return list(contact_ids)
    ours = {str(c): c for c in contact_ids}
    found = []
    for entry in exc.details if isinstance(exc.details, list) else ():
        errors = entry.get("errors") if isinstance(entry, dict) else None
        if str(entry.get("request_id") if isinstance(entry, dict) else "") in ours and any(
                isinstance(e, dict) and e.get("code") == "NotFound" and e.get("path") == "id" for e in errors or ()):
            found.append(ours[str(entry["request_id"])])
    return found


async def confirmed(gate, contact_ids: list[int]) -> set[int]:
    """Which of the contacts amoCRM no longer has (``GET`` answers 204 or 404, or the contact is deleted).
    A failure to ask (:class:`~erp.amocrm.client.Transient`) is the caller's."""
    gone: set[int] = set()
    for contact_id in contact_ids:
        try:
            body = await gate.call("GET", f"/api/v4/contacts/{contact_id}")
        except Invalid as exc:
            if exc.status == 404:
                gone.add(contact_id)
            continue
        if not isinstance(body, dict) or body.get("is_deleted") is True:
            gone.add(contact_id)
    return gone
