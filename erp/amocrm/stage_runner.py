"""The worker of «Действия при смене этапа»: runs the ``stage_action`` events of the outbox.

They call no amoCRM (so they neither wait for the gate nor stop while delivery to amoCRM is paused):
each is claimed with ``FOR UPDATE SKIP LOCKED`` and run in the same transaction that marks it done, so
an action's documents and its row in the exchange log commit together, and a process that dies
midway leaves the event pending for the next one. An event waits while an earlier one of the same lead
is pending (the invoice is made before it is sent). The outcome is the event's ``result`` (delivered)
or its Russian error (failed, with «Повторить» in the exchange log); an action that breaks with
anything but the API's errors (a bug) fails once with what broke, instead of running again forever,
while a lost database connection or a deadlock leaves it pending.

* ``invoice``: «Счёт на оплату» based on the lead's Request (its last one, posted first), posted; if
  that Request already has an invoice, nothing new is made.
* ``send_invoice`` / ``send_act``: the lead's last invoice / last posted «Оказание услуг» printed and
  emailed to the client through the SMTP settings (:func:`erp.printing.mail.send_to_client`).
* ``unpost_requests``: the lead's posted Requests are unposted, as for a lost lead
  (:func:`erp.amocrm.webhooks.release`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from erp.amocrm import webhooks
from erp.amocrm.outbox import CHANNEL, money_text, people_number
from erp.amocrm.stage_actions import KIND
from erp.app.jobs import job
from erp.app.settings import Settings
from erp.platform import audit
from erp.platform.db import CONNECTION_ERRORS, DISCONNECTS, RETRYABLE
from erp.platform.errors import ErpError, ValidationError
from erp.platform.posting import Engine

log = logging.getLogger("erp.amocrm")
TRANSIENT = (*RETRYABLE, *CONNECTION_ERRORS, *DISCONNECTS)
Outcome = tuple[str, tuple[str, int] | None]  # what the log says, and the document it is about
Action = Callable[[asyncpg.Connection, Engine, Settings, int], Awaitable[Outcome]]


@job("amocrm-stage-actions", every=1.0, channels=(CHANNEL,))
async def stage_actions_job(pool: asyncpg.Pool, settings: Settings) -> None:
    from erp.configuration import registry  # the shell's job; the integration itself does not import it

    await run_due(pool, Engine(registry(), settings), settings)


async def run_due(pool: asyncpg.Pool, engine: Engine, settings: Settings, *, limit: int = 200) -> int:
    """Run due stage actions one by one (at most ``limit``); how many were run."""
    handled = 0
    while handled < limit:
        async with pool.acquire() as conn:
            if not await run_one(conn, engine, settings):
                break
        handled += 1
    return handled


async def run_one(conn: asyncpg.Connection, engine: Engine, settings: Settings) -> bool:
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT e.id, e.lead_id, e.payload FROM amocrm_events e WHERE e.direction = 'out' AND e.kind = $1"
            " AND e.state = 'pending' AND e.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM amocrm_events p"
            "  WHERE p.kind = $1 AND p.lead_id = e.lead_id AND p.id < e.id AND p.state IN ('pending', 'in_flight'))"
            " ORDER BY e.id LIMIT 1 FOR UPDATE SKIP LOCKED", KIND)
        if row is None:
            return False
        action = ACTIONS.get((row["payload"] or {}).get("action"))
        try:
            if action is None:
                raise ValidationError("Неизвестное действие при смене этапа", code="stage_action_unknown")
            async with conn.transaction():  # a refusal undoes only the action, not the log row
                with audit.acting_as(audit.AMOCRM):
                    said, document = await action(conn, engine, settings, row["lead_id"])
        except ErpError as exc:
            await _failed(conn, row, exc.message, {"code": exc.code, **(exc.details or {})})
            return True
        except TRANSIENT:
            raise  # the database went away or a deadlock: the event stays pending for the next round
        except Exception as exc:  # a bug: fail once with it recorded, rather than run it again forever
            log.exception("stage action %s for lead %s failed", row["payload"].get("action"), row["lead_id"])
            await _failed(conn, row, f"внутренняя ошибка при выполнении действия ({type(exc).__name__}: {exc})"[:1000],
                          {"code": "stage_action_crashed"})
            return True
        await conn.execute(
            "UPDATE amocrm_events SET state = 'delivered', attempts = attempts + 1, delivered_at = now(),"
            " claimed_at = now(), result = $2, last_error = '', error_details = NULL, document_kind = $3,"
            " document_id = $4 WHERE id = $1", row["id"], _with_stage(row, said),
            document[0] if document else None, document[1] if document else None)
    log.info("stage action %s for lead %s: %s", row["payload"].get("action"), row["lead_id"], said)
    return True


async def _failed(conn: asyncpg.Connection, row, message: str, details: dict) -> None:
    await conn.execute("UPDATE amocrm_events SET state = 'failed', attempts = attempts + 1, last_error = $2,"
                       " error_details = $3, claimed_at = now() WHERE id = $1", row["id"], _with_stage(row, message),
                       details)


def _with_stage(row, text: str) -> str:
    stage = (row["payload"] or {}).get("stage")
    return f"Сделка {row['lead_id']}, этап {stage}: {text}" if stage else f"Сделка {row['lead_id']}: {text}"


def _now(settings: Settings) -> str:
    return dt.datetime.now(settings.tz).strftime("%Y-%m-%dT%H:%M:%S")


# -- the actions -----------------------------------------------------------------------------------


async def create_invoice(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int) -> Outcome:
    request = await conn.fetchrow("SELECT id, number FROM doc_requests WHERE amocrm_lead_id = $1 AND NOT deletion_mark"
                                  " ORDER BY posted DESC, id DESC LIMIT 1", lead_id)
    if request is None:
        raise ValidationError("у сделки нет заявки, счёт не на чем основать", code="stage_no_request")
    made = await conn.fetchrow("SELECT id, number FROM doc_invoices WHERE based_on_kind = 'requests'"
                               " AND based_on_id = $1 AND NOT deletion_mark ORDER BY id LIMIT 1", request["id"])
    if made is not None:
        return (f"счёт № {people_number(made['number'])} по заявке № {people_number(request['number'])} уже есть,"
                " новый не выставлен"), ("invoices", made["id"])
    kind = engine.registry.documents["invoices"]
    filled = await engine.fill_based_on(conn, kind, "requests", request["id"])
    try:
        doc = await engine.create(conn, kind, {**filled, "date": _now(settings)}, post=True)
    except ErpError as exc:
        exc.message = f"счёт по заявке № {people_number(request['number'])} не выставлен: {exc.message}"
        raise
    return (f"выставлен счёт № {people_number(doc.number)} на {money_text(doc.header['amount_total'])} руб."
            f" по заявке № {people_number(request['number'])}"), ("invoices", doc.id)


async def _send(conn: asyncpg.Connection, engine: Engine, settings: Settings, kind: str, form: str, doc_id: int,
                what: str) -> Outcome:
    from erp.printing import mail

    try:
        sent = await mail.send_to_client(conn, kind, doc_id, form, None, False, None, secret_key=settings.secret_key,
                                         tz=settings.tz, config=engine.registry)
    except ErpError as exc:
        exc.message = f"{what} не отправлен: {exc.message}"
        raise
    return f"{what} отправлен на {sent['to']} ({sent['file_name']})", (kind, doc_id)


async def send_invoice(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int) -> Outcome:
    invoice = await conn.fetchrow("SELECT id, number FROM doc_invoices WHERE amocrm_lead_id = $1 AND NOT deletion_mark"
                                  " ORDER BY posted DESC, id DESC LIMIT 1", lead_id)
    if invoice is None:
        raise ValidationError("у сделки нет счёта, отправлять нечего", code="stage_no_invoice")
    return await _send(conn, engine, settings, "invoices", "invoice", invoice["id"],
                       f"счёт № {people_number(invoice['number'])}")


async def send_act(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int) -> Outcome:
    act = await conn.fetchrow(
        "SELECT s.id, s.number FROM doc_service_renderings s JOIN doc_requests r ON s.based_on_kind = 'requests'"
        " AND s.based_on_id = r.id WHERE r.amocrm_lead_id = $1 AND s.posted ORDER BY s.id DESC LIMIT 1", lead_id)
    if act is None:
        raise ValidationError("у сделки нет проведённого «Оказания услуг», акт не на чем печатать",
                              code="stage_no_act")
    return await _send(conn, engine, settings, "service-renderings", "act", act["id"],
                       f"акт № {people_number(act['number'])}")


async def unpost_requests(conn: asyncpg.Connection, engine: Engine, settings: Settings, lead_id: int) -> Outcome:
    said = await webhooks.release(conn, engine, lead_id)
    return ("; ".join(said) if said else "проведённых заявок нет"), None


ACTIONS: dict[str, Action] = {"invoice": create_invoice, "send_invoice": send_invoice, "send_act": send_act,
                              "unpost_requests": unpost_requests}
