"""Integrations: the amoCRM connection (account, token expiry, fields found
by name, "Подключить"), the exchange log with its filters, errors and
"Повторить", and a visible alert while delivery is paused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from erp.amocrm import connection, outbox
from tests.conftest import SECRET


async def connected(db) -> None:
    await connection.save(db, SECRET, base_url="https://clinic.amocrm.ru", client_id="integration-1",
                          client_secret="s3cret", redirect_uri="https://erp.example/api/amocrm/oauth/callback",
                          account_id=31337, subdomain="clinic",
                          tokens={"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    await connection.save_fields(db, {"Сумма1С": {"id": 501}, "Врач": {"id": 502}})


async def failed_event(db, lead: int, error: str) -> int:
    event = await outbox.enqueue(db, "lead_total", lead)
    await db.execute("UPDATE amocrm_events SET state = 'failed', attempts = 1, last_error = $2 WHERE id = $1",
                     event, error)
    return event


async def test_the_connection_page_shows_the_account_its_token_and_fields(browser, db):
    empty = (await browser.get("/integrations")).text
    assert "amoCRM не подключён" in empty and "Подключить" in empty
    await connected(db)
    page = (await browser.get("/integrations")).text
    assert "clinic (31337)" in page and "https://clinic.amocrm.ru" in page
    assert "Токен действует до" in page and "Сумма1С: 501" in page and "Врач: 502" in page
    assert "s3cret" not in page


async def test_connect_opens_amocrm_consent_page_with_a_state(browser, db):
    r = await browser.post("/integrations/amocrm/connect", {
        "base_url": "https://clinic.amocrm.ru", "client_id": "integration-1", "client_secret": "s3cret",
        "redirect_uri": "https://erp.example/api/amocrm/oauth/callback"})
    target = urlsplit(r.headers["location"])
    assert target.netloc == "www.amocrm.ru" and target.path == "/oauth"
    query = parse_qs(target.query)
    assert query["client_id"] == ["integration-1"] and len(query["state"][0]) > 20
    assert await db.fetchval("SELECT count(*) FROM amocrm_oauth_states WHERE state = $1", query["state"][0]) == 1
    refused = await browser.post("/integrations/amocrm/connect", {"client_id": "", "client_secret": "",
                                                                  "redirect_uri": "not a url"}, status=422)
    assert "обязательное поле не заполнено" in refused.text


async def test_a_manager_sees_the_log_but_cannot_connect(login_as):
    manager = await login_as("manager")
    page = (await manager.get("/integrations")).text
    assert 'action="/integrations/amocrm/connect"' not in page
    await manager.post("/integrations/amocrm/connect", {"client_id": "x", "client_secret": "y",
                                                        "redirect_uri": "https://e.example/cb"}, status=403)


async def test_the_exchange_log_filters_shows_errors_and_retries(browser, db):
    await connected(db)
    bad = await failed_event(db, 219219, "validation-errors: price must be int")
    await failed_event(db, 777, "validation-errors: unknown field_id")
    delivered = await outbox.enqueue(db, "lead_total", 219219)
    await db.execute("UPDATE amocrm_events SET state = 'delivered', delivered_at = now() WHERE id = $1", delivered)
    page = (await browser.get("/integrations/exchange-log?state=failed&lead_id=219219")).text
    assert f'data-event="{bad}"' in page and "price must be int" in page
    assert "unknown field_id" not in page and f'data-event="{delivered}"' not in page
    r = await browser.post(f"/integrations/exchange-log/{bad}/retry",
                           {"back": "/integrations/exchange-log?state=failed"})
    assert r.headers["location"] == "/integrations/exchange-log?state=failed&notice=retried"
    assert await db.fetchval("SELECT state FROM amocrm_events WHERE id = $1", bad) == "pending"
    after = (await browser.get(r.headers["location"])).text
    assert "Событие снова поставлено в очередь" in after and f'data-event="{bad}"' not in after
    home = (await browser.get("/")).text
    assert "Ошибки обмена с amoCRM</a> (1)" in home and "unknown field_id" in home


async def test_paused_delivery_is_a_visible_alert(browser, db):
    await connected(db)
    await connection.pause(db, "blocked", "amoCRM ответил 403: аккаунт заблокирован")
    for path in ("/integrations", "/integrations/exchange-log", "/"):
        page = (await browser.get(path)).text
        assert "Отправка в amoCRM приостановлена" in page and "аккаунт заблокирован" in page
    await browser.post("/integrations/amocrm/resume", {})
    assert "приостановлена" not in (await browser.get("/integrations")).text


async def test_the_exchange_log_filters_by_date_in_the_clinic_time_zone(browser, db):
    late = await failed_event(db, 1001, "validation-errors: late evening")
    early = await failed_event(db, 1002, "validation-errors: just after midnight")
    await db.execute("UPDATE amocrm_events SET created_at = '2030-01-10 23:30+03' WHERE id = $1", late)
    await db.execute("UPDATE amocrm_events SET created_at = '2030-01-11 00:30+03' WHERE id = $1", early)
    tenth = (await browser.get("/integrations/exchange-log?start=2030-01-10&end=2030-01-10")).text
    assert f'data-event="{late}"' in tenth and f'data-event="{early}"' not in tenth
    assert 'id="l-start" type="date" name="start" value="2030-01-10"' in tenth  # the filter keeps its dates
    eleventh = (await browser.get("/integrations/exchange-log?start=2030-01-11", headers={"HX-Request": "true"})).text
    assert f'data-event="{early}"' in eleventh and f'data-event="{late}"' not in eleventh
    assert "just after midnight" in eleventh
    before = (await browser.get("/integrations/exchange-log?end=2030-01-09")).text
    assert "data-event=" not in before
