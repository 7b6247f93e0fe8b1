"""The widget's API: amoCRM's disposable token, CORS for the account's origin, slots and booking."""

from __future__ import annotations

import datetime as dt
import time

import jwt

from erp.amocrm.deliver import deliver
from tests.amocrm.conftest import AUDIENCE

LEAD = 219219
SLOTS = "/api/amocrm/widget/slots"
BOOK = "/api/amocrm/widget/appointments"


def token(fake, **claims) -> dict[str, str]:
    return {"X-Auth-Token": fake.disposable_token(AUDIENCE, **claims)}


async def written(db) -> dict[str, int]:
    tables = ("doc_requests", "cat_clients", "amocrm_events", "document_counters")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def test_slots_of_the_seeds_day_list_the_doctors_who_work(client, fake, connected, clinic):
    r = await client.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["name"] for d in body["doctors"]] == ["Ефимова Е.В.", "Ишаева М.И."]
    efimova = body["doctors"][0]
    assert efimova["slots"][:3] == ["08:15", "08:20", "08:25"] and "09:05" in efimova["slots"]
    assert body["step_minutes"] == 5
    only = await client.get(SLOTS, params={"date": "2021-12-22", "doctor_id": clinic.ishaeva}, headers=token(fake))
    assert [d["name"] for d in only.json()["doctors"]] == ["Ишаева М.И."]


async def test_a_bad_token_is_401_with_a_reason(client, fake, connected, clinic):
    now = int(time.time())
    claims = {"iss": "https://clinic.amocrm.ru", "aud": AUDIENCE, "jti": "x", "iat": now, "nbf": now,
              "exp": now + 1800, "account_id": fake.account_id, "subdomain": fake.subdomain, "user_id": 1}
    cases = {
        "token_missing": {},
        "token_algorithm": {"X-Auth-Token": jwt.encode(claims, None, algorithm="none")},
        "token_algorithm (HS512)": {"X-Auth-Token": jwt.encode(claims, fake.client_secret, algorithm="HS512")},
        "token_signature": {"X-Auth-Token": jwt.encode(claims, "another-secret-of-enough-length-0123456789",
                                                       "HS256")},
        "token_expired": token(fake, exp=now - 120, iat=now - 1900, nbf=now - 1900),
        "token_not_yet_valid": token(fake, nbf=now + 600),
        "token_audience": {"X-Auth-Token": fake.disposable_token("https://evil.example")},
        "token_account": token(fake, account_id=fake.account_id + 1),
        "token_account (subdomain)": token(fake, subdomain="other"),
        "token_malformed": {"X-Auth-Token": "not.a.jwt"},
    }
    for case, headers in cases.items():
        r = await client.get(SLOTS, params={"date": "2021-12-22"}, headers=headers)
        assert r.status_code == 401, (case, r.text)
        assert r.json()["code"] == case.split()[0], case
        assert "Виджет не авторизован" in r.json()["message"]
    skewed = await client.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake, nbf=now + 10, exp=now - 10))
    assert skewed.status_code == 200, "a small clock skew is tolerated"


async def test_cors_allows_exactly_the_accounts_origin(client, fake, connected, clinic):
    preflight = await client.options(BOOK, headers={"Origin": fake.base_url, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "x-auth-token,content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == fake.base_url
    assert "X-Auth-Token" in preflight.headers["access-control-allow-headers"]
    assert "POST" in preflight.headers["access-control-allow-methods"]

    foreign = await client.options(BOOK, headers={"Origin": "https://evil.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers

    ok = await client.get(SLOTS, params={"date": "2021-12-22"}, headers={"Origin": fake.base_url, **token(fake)})
    assert ok.headers["access-control-allow-origin"] == fake.base_url
    refused = await client.get(SLOTS, params={"date": "2021-12-22"}, headers={"Origin": fake.base_url})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == fake.base_url, \
        "the widget can read the error"
    other = await client.get(SLOTS, params={"date": "2021-12-22"}, headers={"Origin": "https://x.example",
                                                                           **token(fake)})
    assert "access-control-allow-origin" not in other.headers


async def test_booking_creates_a_posted_request_and_updates_the_lead(client, db, pool, settings, fake, connected,
                                                                     clinic):
    fake.add_lead(LEAD)
    r = await client.post(BOOK, headers=token(fake), json={
        "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05"})
    assert r.status_code == 201, r.text
    answer = r.json()
    request = await db.fetchrow("SELECT * FROM doc_requests WHERE id = $1", answer["request_id"])
    assert request["posted"] and request["amocrm_lead_id"] == LEAD and request["doctor_id"] == clinic.efimova
    assert answer["number"] == str(int(request["number"]))
    assert request["starts_at"] == dt.datetime(2021, 12, 22, 9, 5, tzinfo=settings.tz)
    assert await db.fetchval("SELECT predefined FROM cat_clients WHERE id = $1", request["client_id"]) \
        == "amocrm_client"
    line = await db.fetchrow("SELECT n.name, l.quantity FROM doc_requests_lines l JOIN cat_nomenclature n"
                             " ON n.id = l.nomenclature_id WHERE l.document_id = $1", request["id"])
    assert line["name"] == "Номенклатура AmoCRM"

    slots = (await client.get(SLOTS, params={"date": "2021-12-22"}, headers=token(fake))).json()
    efimova = slots["doctors"][0]["slots"]
    assert "09:05" not in efimova and "08:40" not in efimova and "09:30" not in efimova
    assert "08:35" in efimova and "09:35" in efimova

    await deliver(pool, settings)
    assert fake.field_value(LEAD, "Врач") == "Ефимова Е.В."
    assert fake.field_value(LEAD, "Время записи") == "09:05"
    assert fake.field_value(LEAD, "Дата записи к врачу") == int(dt.datetime(2021, 12, 22, tzinfo=settings.tz)
                                                                .timestamp())
    assert [n["params"]["text"] for n in fake.notes(LEAD)] == [
        f"Создана заявка № {answer['number']}: Ефимова Е.В., 22.12.2021 09:05"]


async def test_the_client_is_found_by_exact_name_or_created(client, db, fake, connected, clinic):
    async def book(time_: str, name: str) -> int:
        r = await client.post(BOOK, headers=token(fake), json={
            "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.ishaeva, "time": time_, "client_name": name})
        assert r.status_code == 201, r.text
        return await db.fetchval("SELECT client_id FROM doc_requests WHERE id = $1", r.json()["request_id"])

    first = await book("08:00", "Сидорова Анна Петровна")
    second = await book("09:00", "Сидорова Анна Петровна")
    third = await book("10:00", "Сидорова Анна")
    assert first == second != third
    assert await db.fetchval("SELECT count(*) FROM cat_clients WHERE name LIKE 'Сидорова%'") == 2


async def test_bad_bookings_write_nothing(client, db, fake, connected, clinic):
    cases = [
        ({"time": "09:07"}, 422, "time", "не на сетке"),
        ({"time": "07:00"}, 409, None, "не принимает"),
        ({"time": "12:45"}, 409, None, "не принимает"),
        ({"date": "2021-12-26"}, 409, None, "график: не работает"),
        ({"time": "9 утра"}, 422, "time", "ЧЧ:ММ"),
        ({"date": "22.12.2021"}, 422, "date", "ГГГГ-ММ-ДД"),
        ({"lead_id": -5}, 422, "lead_id", "положительное"),
        ({"lead_id": "219219"}, 422, "lead_id", "положительное"),
        ({"doctor_id": 999999}, 422, "doctor_id", "врач не найден"),
        ({"surprise": 1}, 422, "surprise", "неизвестное поле"),
    ]
    before = await written(db)
    for body, status, field, text in cases:
        r = await client.post(BOOK, headers=token(fake), json={
            "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05", **body})
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["message"], body
        if field:
            assert field in r.json()["details"]["fields"], body
    malformed = await client.post(BOOK, headers={**token(fake), "Content-Type": "application/json"}, content=b"{oops")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    assert await written(db) == before


async def test_a_taken_slot_is_409_and_writes_nothing(client, db, fake, connected, clinic):
    first = await client.post(BOOK, headers=token(fake), json={
        "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05"})
    assert first.status_code == 201
    before = await written(db)
    clash = await client.post(BOOK, headers=token(fake), json={
        "lead_id": 219220, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:20",
        "client_name": "Новый Клиент"})
    assert clash.status_code == 409
    assert clash.json()["message"] == "Это время у врача уже занято другой заявкой"
    assert await written(db) == before, "not even the new client"


async def test_the_widget_needs_a_connection(client, clinic):
    r = await client.get(SLOTS, params={"date": "2021-12-22"}, headers={"X-Auth-Token": "x"})
    assert r.status_code == 409 and "не подключён" in r.json()["message"]
