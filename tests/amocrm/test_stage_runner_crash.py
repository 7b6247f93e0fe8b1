"""Stage actions under trouble: an action that breaks with something other than the API's errors (a bug) fails
once, with what broke in the exchange log, instead of being claimed and run again forever; webhook replays,
concurrent and late, make one action."""

from __future__ import annotations

from erp.amocrm import connection, stage_actions, stage_runner

LEAD = 219219


async def test_a_crashing_action_fails_once_with_the_error_recorded(db, pool, settings, engine, monkeypatch):
    calls = []

    async def broken(conn, engine, settings, lead_id):
        calls.append(lead_id)
        raise ValueError("в шаблоне нет поля")

    monkeypatch.setitem(stage_runner.ACTIONS, "invoice", broken)
    event = await db.fetchval(
        "INSERT INTO amocrm_events (direction, kind, lead_id, payload, state) VALUES ('out', $1, $2, $3, 'pending')"
        " RETURNING id", stage_actions.KIND, LEAD, {"action": "invoice", "pipeline_id": "1", "status_id": "2",
                                                     "stage": "«Воронка» → «Счёт»"})
    assert await stage_runner.run_due(pool, engine, settings) == 1
    assert await stage_runner.run_due(pool, engine, settings) == 0
    assert calls == [LEAD], "run once, not again and again"
    row = await db.fetchrow("SELECT state, attempts, last_error, error_details FROM amocrm_events WHERE id = $1", event)
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert row["last_error"] == ("Сделка 219219, этап «Воронка» → «Счёт»: внутренняя ошибка при выполнении действия"
                                 " (ValueError: в шаблоне нет поля)")
    assert row["error_details"] == {"code": "stage_action_crashed"}


async def test_a_webhook_replayed_at_once_and_after_the_run_makes_one_invoice(app, db, pool, settings, engine, clinic,
                                                                             fake, connected):
    """amoCRM resends a webhook it thinks was lost: five copies at the same moment, and one more after the
    worker ran, enqueue one action and make one invoice."""
    import asyncio

    from tests.amocrm.test_stage_actions import INVOICED, invoices_of, log, mapped, moved, patient_request
    from tests.conftest import concurrent_client

    await mapped(db, settings, fake, {INVOICED: ("invoice",)})
    request = await patient_request(db, engine, clinic)
    fake.add_lead(LEAD)
    body = moved(fake, INVOICED)
    secret = (await connection.load(db, settings.secret_key)).webhook_secret
    async with concurrent_client(app) as http:
        answers = await asyncio.gather(*(http.post(f"/api/amocrm/webhook/{secret}", content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"}) for _ in range(5)))
        assert [a.status_code for a in answers] == [200] * 5
        assert sum(len(a.json()["stage_actions"]) for a in answers) == 1, [a.json() for a in answers]
        assert await stage_runner.run_due(pool, engine, settings) == 1
        again = await http.post(f"/api/amocrm/webhook/{secret}", content=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert again.status_code == 200 and again.json()["stage_actions"] == []
    assert await stage_runner.run_due(pool, engine, settings) == 0
    assert len(await invoices_of(db, request.id)) == 1 and len(await log(db)) == 1
