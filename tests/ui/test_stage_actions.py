"""Администрирование → amoCRM → «Действия при смене этапа»: the pipelines and stages come from the fake
amoCRM (``GET /api/v4/leads/pipelines``), an administrator ticks actions per stage, the mapping is kept,
shown again and audited; a stage amoCRM did not give is refused; only administrators get in."""

from __future__ import annotations

import httpx

from erp.amocrm import connection, stage_actions
from erp.amocrm import pipelines as amo_pipelines
from tests.amocrm import conftest as amocrm_fixtures
from tests.ui.conftest import form_of
from tests.ui.test_accessibility import Controls

fake, connected = amocrm_fixtures.fake, amocrm_fixtures.connected
PAGE = "/admin/amocrm/stage-actions"
MAIN, INVOICED = 5_000_001, 50_000_004  # the fake's preset pipeline and its stage «Счёт выставлен»
SALES, PAID = 7_100_001, 71_000_002


async def test_the_fake_answers_pipelines_in_amocrms_shape(fake, connected, db, settings):
    fake.add_pipeline(SALES, "Продажи", [(71_000_001, "Новая заявка"), (PAID, "Оплачено")])
    fake.configure(rate_limit=None)  # three calls straight after connecting's own
    account = await connection.load(db, settings.secret_key)
    amo = httpx.AsyncClient(base_url=fake.base_url, headers={"Authorization": f"Bearer {account.access_token}"})
    async with amo:
        r = await amo.get("/api/v4/leads/pipelines")
        one = (await amo.get(f"/api/v4/leads/pipelines/{SALES}")).json()
    async with httpx.AsyncClient(base_url=fake.base_url) as stranger:
        anonymous = await stranger.get("/api/v4/leads/pipelines")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["_total_items"] == 2 and body["_links"]["self"]["href"].endswith("/api/v4/leads/pipelines")
    main, sales = body["_embedded"]["pipelines"]
    assert {k: main[k] for k in ("id", "name", "sort", "is_main", "is_archive")} == {
        "id": MAIN, "name": "Воронка", "sort": 1, "is_main": True, "is_archive": False}
    statuses = main["_embedded"]["statuses"]
    assert set(statuses[0]) >= {"id", "name", "sort", "color", "type", "pipeline_id", "is_editable", "account_id"}
    assert statuses[0]["type"] == 1 and statuses[0]["name"] == "Неразобранное", "«Неразобранное» comes first"
    assert [s["id"] for s in statuses][-2:] == [142, 143]
    assert all(s["pipeline_id"] == MAIN for s in statuses)
    assert sales["is_main"] is False and [s["name"] for s in sales["_embedded"]["statuses"]] == [
        "Новая заявка", "Оплачено", "Успешно реализовано", "Закрыто и не реализовано"]
    assert one == sales
    assert anonymous.status_code == 401


async def test_the_admin_maps_stages_read_from_amocrm_and_sees_the_mapping_again(browser, fake, connected, db):
    fake.add_pipeline(SALES, "Продажи", [(71_000_001, "Новая заявка"), (PAID, "Оплачено")])
    fake.reset_metrics()
    page = (await browser.get(PAGE)).text
    assert [r["path"] for r in fake.requests] == ["/api/v4/leads/pipelines"], "read from amoCRM, through the gate"
    assert "Воронка «Воронка»" in page and "Воронка «Продажи»" in page
    assert "Счёт выставлен" in page and "Оплачено" in page
    assert "checked" not in form_of(page, PAGE)
    controls = Controls()
    controls.feed(page)
    assert controls.controls and controls.unlabelled() == []

    await browser.post(PAGE, [(f"action-{MAIN}-{INVOICED}", "invoice"), (f"action-{MAIN}-{INVOICED}", "send_invoice"),
                              (f"action-{SALES}-{PAID}", "send_act"), (f"action-{SALES}-143", "unpost_requests")])
    mapped = {(m.pipeline_id, m.status_id): m for m in await stage_actions.load(db)}
    assert {k: m.actions for k, m in mapped.items()} == {
        (MAIN, INVOICED): ("invoice", "send_invoice"), (SALES, PAID): ("send_act",),
        (SALES, 143): ("unpost_requests",)}
    assert mapped[(SALES, PAID)].pipeline_name == "Продажи" and mapped[(SALES, PAID)].status_name == "Оплачено"
    shown = await browser.get(PAGE + "?notice=saved")
    assert "Действия при смене этапа записаны" in shown.text
    form = form_of(shown.text, PAGE)
    for name, value in ((f"action-{MAIN}-{INVOICED}", "invoice"), (f"action-{MAIN}-{INVOICED}", "send_invoice"),
                        (f"action-{SALES}-{PAID}", "send_act")):
        tag = form[form.index(f'name="{name}" value="{value}"'):]
        assert tag[:tag.index(">")].rstrip().endswith("checked"), (name, value)

    audit = await db.fetchrow("SELECT object_kind, changes FROM audit_log WHERE object_kind = $1",
                              "setting:amocrm_stage_actions")
    assert audit["changes"]["«Продажи» → «Оплачено»"] == [None, "Распечатать и отправить акт клиенту"]

    # Unticking everything but one stage removes the rest; the audit log says what went.
    await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"})
    assert [(m.status_id, m.actions) for m in await stage_actions.load(db)] == [(INVOICED, ("invoice",))]
    last = await db.fetchval("SELECT changes FROM audit_log WHERE object_kind = $1 ORDER BY id DESC LIMIT 1",
                             "setting:amocrm_stage_actions")
    assert last["«Продажи» → «Оплачено»"] == ["Распечатать и отправить акт клиенту", None]


async def test_a_renamed_stage_shows_amocrms_new_name(browser, fake, connected, db):
    await browser.get(PAGE)
    await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"})
    fake.rename_status(MAIN, INVOICED, "Счёт отправлен")
    page = (await browser.get(PAGE)).text
    assert "Счёт отправлен" in page and "Счёт выставлен" not in form_of(page, PAGE)


async def test_a_stage_amocrm_did_not_give_or_an_unknown_action_is_refused_and_nothing_written(browser, fake,
                                                                                             connected, db):
    await browser.get(PAGE)
    await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"})
    before = await db.fetch("SELECT * FROM amocrm_stage_actions ORDER BY id")
    typed = await browser.post(PAGE, {f"action-{MAIN}-424242": "invoice"}, status=422)
    assert "этапа 424242 воронки 5000001 нет в amoCRM" in typed.text
    odd = await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "drop_database"}, status=422)
    assert "неизвестное действие «drop_database»" in odd.text
    assert await db.fetch("SELECT * FROM amocrm_stage_actions ORDER BY id") == before


async def test_while_amocrm_does_not_answer_the_page_shows_the_stages_read_last(browser, fake, connected, db):
    await browser.get(PAGE)
    await db.execute("UPDATE amocrm_connections SET base_url = 'http://127.0.0.1:9'")
    page = (await browser.get(PAGE)).text
    assert "Воронки не прочитаны из amoCRM:" in page and "Нет связи с amoCRM" in page
    assert "Показаны воронки, прочитанные" in page and "Счёт выставлен" in page
    await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"})
    assert len(await stage_actions.load(db)) == 1


async def test_without_amocrm_there_is_nothing_to_map(browser, db):
    page = (await browser.get(PAGE)).text
    assert "Нет воронок" in page and "amoCRM не подключён" in page
    refused = await browser.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"}, status=409)
    assert "Воронки amoCRM ещё не прочитаны" in refused.text
    assert (await amo_pipelines.cached(db)).pipelines == []


async def test_only_an_administrator_opens_or_saves_the_page(login_as, browser, fake, connected, db):
    assert 'href="/admin/amocrm/stage-actions"' in (await browser.get("/admin")).text
    await browser.get(PAGE)
    for role in ("manager", "accountant"):
        other = await login_as(role)
        await other.get(PAGE, status=403)
        await other.post(PAGE, {f"action-{MAIN}-{INVOICED}": "invoice"}, status=403)
    assert await stage_actions.load(db) == []
