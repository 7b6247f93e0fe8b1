"""A stage action that breaks with something other than the API's errors (a bug) fails once, with what broke in
the exchange log, instead of being claimed and run again forever."""

from __future__ import annotations

from erp.amocrm import stage_actions, stage_runner

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
