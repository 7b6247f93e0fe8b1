"""No English codes on Russian screens (issue 14, point 26): the exchange log
names states and events in Russian, the API's description groups operations
under Russian tags, the start-up banner sends people to pages rather than API
routes, and every page has a favicon."""

import re

from erp.amocrm import outbox
from erp.app.cli import banner

CODES = ("pending", "in_flight", "delivered", "failed", "budget", "won", "note", "fields")


async def test_the_exchange_log_shows_states_and_events_in_russian(browser, db):
    sent = await outbox.enqueue(db, "budget", 219219)
    await db.execute("UPDATE amocrm_events SET state = 'delivered', delivered_at = now() WHERE id = $1", sent)
    failed = await outbox.enqueue(db, "won", 219219)
    await db.execute("UPDATE amocrm_events SET state = 'failed', attempts = 1 WHERE id = $1", failed)
    await outbox.enqueue(db, "note", 777)
    page = (await browser.get("/integrations/exchange-log")).text
    table = page[page.index("data-exchange-log"):page.index("</table>")]
    shown = re.sub(r"<[^>]+>", " ", table)  # the text, not the attributes (data-state keeps the code)
    for title in ("Доставлено", "Ошибка", "Ожидает отправки", "Бюджет сделки", "Сделка успешно реализована",
                  "Примечание к сделке"):
        assert title in shown
    assert not [code for code in CODES if re.search(rf"\b{code}\b", shown)]
    states = page[page.index('id="l-state"'):page.index("</select>", page.index('id="l-state"'))]
    assert ">Отправляется</option>" in states and ">in_flight</option>" not in states


async def test_swagger_tags_are_russian(client):
    schema = (await client.get("/schema/openapi.json")).json()
    tags = {tag for ops in schema["paths"].values() for op in ops.values() for tag in op.get("tags", ())}
    assert {"Пользователи", "Вход и токены", "Состояние сервиса"} <= tags
    assert not [t for t in tags if t != "amoCRM" and not re.search("[а-яА-Я]", t)], tags


def test_the_banner_links_to_pages_not_to_api_routes():
    text = banner("0.0.0.0", 8000)
    assert "http://127.0.0.1:8000/login" in text and "http://127.0.0.1:8000/schedule" in text
    assert "http://127.0.0.1:8000/integrations/exchange-log" in text
    assert "/api/" not in text


async def test_every_page_has_a_favicon(browser, client):
    for path in ("/", "/login"):
        page = (await browser.get(path)).text
        assert '<link rel="icon" href="/static/ui/favicon.svg" type="image/svg+xml">' in page
    icon = await client.get("/static/ui/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in (await client.get("/schema/swagger")).text
