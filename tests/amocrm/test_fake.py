"""The fake amoCRM behaves as amoCRM API v4 does where our integration can tell the difference."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from click.testing import CliRunner

from erp.amocrm.cli import amocrm
from erp.amocrm.fake import FakeAmo
from erp.amocrm.fake.http import Request, Response, ServerRunner, asgi_app

REDIRECT = "https://erp.example.test/amocrm/oauth"
SUM, DATE, DOCTOR, TIME, CLIENT = "Сумма1С", "Дата записи к врачу", "Врач", "Время записи", "ФИО клиента"


@pytest.fixture
async def fake():
    # Functional tests run without the rate limit; the rate-limit tests switch it on explicitly.
    async with FakeAmo.running(port=0, rate_limit=None) as instance:
        yield instance


@pytest.fixture
async def api(fake: FakeAmo):
    tokens = fake.issue_tokens()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as client:
        yield client


def token_request(fake: FakeAmo, **params: str) -> dict[str, str]:
    return {"client_id": fake.client_id, "client_secret": fake.client_secret, "redirect_uri": REDIRECT, **params}


async def exchange_code(client: httpx.AsyncClient, fake: FakeAmo) -> dict:
    response = await client.post("/oauth2/access_token", json=token_request(
        fake, grant_type="authorization_code", code=fake.issue_code()))
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: httpx.AsyncClient, fake: FakeAmo, refresh_token: str) -> httpx.Response:
    return await client.post("/oauth2/access_token", json=token_request(
        fake, grant_type="refresh_token", refresh_token=refresh_token))


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_validation_error(response: httpx.Response, code: str, path: str) -> dict:
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Bad Request"
    assert body["type"] == "https://httpstatus.es/400"
    assert body["status"] == 400
    assert body["detail"] == "Request validation failed"
    errors = [e for entry in body["validation-errors"] for e in entry["errors"]]
    assert any(e["code"] == code and e["path"] == path for e in errors), errors
    return body


# --------------------------------------------------------------------------------------------- OAuth


async def test_authorization_code_exchange_gives_a_working_bearer_token(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        tokens = await exchange_code(client, fake)
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == 86400
        assert tokens["access_token"] and tokens["refresh_token"]

        account = await client.get("/api/v4/account", headers=bearer(tokens))
        assert account.status_code == 200
        assert account.json()["currency"] == "RUB"
        assert account.json()["subdomain"] == fake.subdomain
        assert account.json()["id"] == fake.account_id


async def test_authorization_code_works_once_and_form_encoding_is_accepted(fake: FakeAmo):
    code = fake.issue_code()
    form = token_request(fake, grant_type="authorization_code", code=code)
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        first = await client.post("/oauth2/access_token", data=form)
        assert first.status_code == 200
        again = await client.post("/oauth2/access_token", data=form)
    assert again.status_code == 400
    body = again.json()
    assert set(body) >= {"hint", "title", "type", "status", "detail"}
    assert body["status"] == 400


@pytest.mark.parametrize("field, value", [("client_secret", "wrong"), ("client_id", "other"), ("code", "nope")])
async def test_wrong_client_secret_or_code_is_a_400(fake: FakeAmo, field: str, value: str):
    params = token_request(fake, grant_type="authorization_code", code=fake.issue_code())
    params[field] = value
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/oauth2/access_token", json=params)
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert response.json()["hint"]


async def test_api_without_or_with_an_unknown_token_is_401(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        missing = await client.get("/api/v4/account")
        unknown = await client.get("/api/v4/account", headers={"Authorization": "Bearer not-a-token"})
    for response in (missing, unknown):
        assert response.status_code == 401
        assert response.json()["title"] == "Unauthorized"
        assert response.json()["status"] == 401


async def test_refresh_rotation_revokes_the_old_pair(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        old = await exchange_code(client, fake)
        response = await refresh(client, fake, old["refresh_token"])
        assert response.status_code == 200
        new = response.json()
        assert new["refresh_token"] != old["refresh_token"]
        assert new["access_token"] != old["access_token"]

        reused = await refresh(client, fake, old["refresh_token"])
        assert reused.status_code == 401
        assert (await client.get("/api/v4/account", headers=bearer(old))).status_code == 401
        assert (await client.get("/api/v4/account", headers=bearer(new))).status_code == 200

    assert fake.refresh_token_uses[old["refresh_token"]] == 2
    assert new["refresh_token"] not in fake.refresh_token_uses


async def test_each_refresh_token_of_a_clean_chain_is_presented_exactly_once(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        tokens = await exchange_code(client, fake)
        presented = []
        for _ in range(3):
            presented.append(tokens["refresh_token"])
            tokens = (await refresh(client, fake, tokens["refresh_token"])).json()
    assert fake.refresh_token_uses == dict.fromkeys(presented, 1)
    assert fake.state()["oauth"]["tokens_issued"] == 4


async def test_refresh_token_dies_after_three_months_unused(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        tokens = await exchange_code(client, fake)
        fake.advance_clock(91 * 86400)
        response = await refresh(client, fake, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["hint"] == "Token has expired"


async def test_access_token_expires_after_its_lifetime(fake: FakeAmo, api: httpx.AsyncClient):
    assert (await api.get("/api/v4/account")).status_code == 200
    fake.advance_clock(86400 + 1)
    response = await api.get("/api/v4/account")
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


async def test_access_token_dies_after_n_calls_and_refresh_brings_it_back(fake: FakeAmo):
    fake.configure(access_token_max_calls=3)
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        tokens = await exchange_code(client, fake)
        statuses = [(await client.get("/api/v4/account", headers=bearer(tokens))).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 401]
        tokens = (await refresh(client, fake, tokens["refresh_token"])).json()
        assert (await client.get("/api/v4/account", headers=bearer(tokens))).status_code == 200
    assert fake.count(401) == 1


# ------------------------------------------------------------------------------------- custom fields


async def test_custom_fields_are_paginated_and_next_links_reach_every_field(fake: FakeAmo, api: httpx.AsyncClient):
    url: str | None = "/api/v4/leads/custom_fields"
    fields, pages = [], 0
    while url:
        response = await api.get(url)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert body["_total_items"] == 5
        assert body["_page"] == pages
        assert len(body["_embedded"]["custom_fields"]) <= 2
        fields += body["_embedded"]["custom_fields"]
        url = body["_links"].get("next", {}).get("href")
    assert pages == 3
    by_name = {f["name"]: f for f in fields}
    assert set(by_name) == {SUM, DATE, DOCTOR, TIME, CLIENT}
    assert by_name[SUM]["type"] == "numeric"
    assert by_name[DATE]["type"] == "date"
    assert by_name[CLIENT]["type"] == "text" and by_name[CLIENT]["enums"] is None
    assert by_name[DOCTOR]["type"] == "select"
    assert [e["value"] for e in by_name[DOCTOR]["enums"]] == fake.config.doctors
    assert all({"id", "value", "sort"} <= set(e) for e in by_name[DOCTOR]["enums"])
    assert by_name[TIME]["type"] == "select"

    past_the_end = await api.get("/api/v4/leads/custom_fields", params={"page": 4, "limit": 50})
    assert past_the_end.status_code == 204


async def test_fields_can_be_omitted_and_time_can_be_a_text_field():
    async with FakeAmo.running(port=0, omit_fields=[SUM, DOCTOR], time_field_type="text",
                               custom_fields_page_size=50) as fake:
        tokens = fake.issue_tokens()
        async with httpx.AsyncClient(base_url=fake.base_url, headers=bearer(tokens)) as client:
            body = (await client.get("/api/v4/leads/custom_fields")).json()
            fields = {f["name"]: f for f in body["_embedded"]["custom_fields"]}
            assert set(fields) == {DATE, TIME, CLIENT}
            assert fields[TIME]["type"] == "text"
            assert "next" not in body["_links"]

            fake.configure(omit_fields=[], doctors=["Доктор Хаус"])
            body = (await client.get("/api/v4/leads/custom_fields")).json()
            fields = {f["name"]: f for f in body["_embedded"]["custom_fields"]}
            assert [e["value"] for e in fields[DOCTOR]["enums"]] == ["Доктор Хаус"]


async def test_creating_custom_fields_returns_ids_and_lists_them(api: httpx.AsyncClient):
    response = await api.post("/api/v4/leads/custom_fields", json=[
        {"name": "Филиал", "type": "select", "enums": [{"value": "Центр", "sort": 1}, {"value": "Север"}]},
        {"name": "Комментарий 1С", "type": "text"},
    ])
    assert response.status_code == 200
    created = response.json()["_embedded"]["custom_fields"]
    assert [f["name"] for f in created] == ["Филиал", "Комментарий 1С"]
    assert all(isinstance(f["id"], int) for f in created)
    assert [e["value"] for e in created[0]["enums"]] == ["Центр", "Север"]
    listed = await api.get("/api/v4/leads/custom_fields", params={"page": 4, "limit": 2})
    assert [f["id"] for f in listed.json()["_embedded"]["custom_fields"]] == [created[1]["id"]]


async def test_disposable_widget_token_is_a_jwt_signed_with_the_client_secret(fake: FakeAmo):
    token = fake.disposable_token("https://erp.example.test", user_id=5)
    claims = jwt.decode(token, fake.client_secret, algorithms=["HS256"], audience="https://erp.example.test")
    assert claims["account_id"] == fake.account_id
    assert claims["subdomain"] == fake.subdomain
    assert claims["user_id"] == 5
    assert claims["exp"] > claims["nbf"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-the-same-length-0123456789abcdef", algorithms=["HS256"], audience="https://erp.example.test")


# --------------------------------------------------------------------------------------------- leads


async def test_patch_leads_sets_price_numeric_date_text_and_select_fields(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(101)
    fake.add_lead(102)
    doctor = fake.config.doctors[1]
    response = await api.patch("/api/v4/leads", json=[
        {"id": 101, "price": 1500, "custom_fields_values": [
            {"field_id": fake.field_id(SUM), "values": [{"value": 1499.5}]},
            {"field_id": fake.field_id(DOCTOR), "values": [{"enum_id": fake.enum_id(DOCTOR, doctor)}]},
            {"field_id": fake.field_id(TIME), "values": [{"value": "08:15"}]},
            {"field_id": fake.field_id(DATE), "values": [{"value": 1767225600}]},
            {"field_id": fake.field_id(CLIENT), "values": [{"value": "Смирнова Ольга"}]},
        ]},
        {"id": 102, "price": 0, "request_id": "b", "custom_fields_values": [
            {"field_id": fake.field_id(SUM), "values": [{"value": "0.00"}]}]},
    ])
    assert response.status_code == 200, response.text
    updated = response.json()["_embedded"]["leads"]
    assert [(u["id"], u["request_id"]) for u in updated] == [(101, "0"), (102, "b")]
    assert all(isinstance(u["updated_at"], int) for u in updated)

    lead = (await api.get("/api/v4/leads/101")).json()
    assert lead["price"] == 1500
    values = {v["field_name"]: v["values"][0] for v in lead["custom_fields_values"]}
    assert values[SUM] == {"value": "1499.5"}
    assert values[DOCTOR] == {"value": doctor, "enum_id": fake.enum_id(DOCTOR, doctor), "enum_code": None}
    assert values[TIME]["enum_id"] == fake.enum_id(TIME, "08:15")
    assert values[DATE] == {"value": 1767225600}
    assert values[CLIENT] == {"value": "Смирнова Ольга"}
    assert fake.field_value(102, SUM) == "0.00"


async def test_patch_single_lead(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(7, pipeline_id=11, status_id=22)
    response = await api.patch("/api/v4/leads/7", json={"price": 990, "status_id": 23})
    assert response.status_code == 200
    assert response.json()["id"] == 7
    lead = fake.lead(7)
    assert (lead["price"], lead["status_id"], lead["pipeline_id"]) == (990, 23, 11)


async def test_float_price_is_rejected_and_the_whole_batch_is_left_alone(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(1, price=10)
    fake.add_lead(2, price=20)
    response = await api.patch("/api/v4/leads", json=[{"id": 1, "price": 100}, {"id": 2, "price": 1500.5}])
    body = assert_validation_error(response, "InvalidType", "price")
    assert [entry["request_id"] for entry in body["validation-errors"]] == ["1"]
    assert fake.lead(1)["price"] == 10
    assert fake.lead(2)["price"] == 20

    as_string = await api.patch("/api/v4/leads", json=[{"id": 1, "price": "100"}])
    assert_validation_error(as_string, "InvalidType", "price")


async def test_unknown_field_id_is_rejected(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(1)
    response = await api.patch("/api/v4/leads", json=[
        {"id": 1, "price": 5, "custom_fields_values": [{"field_id": 999, "values": [{"value": "1"}]}]}])
    assert_validation_error(response, "NotSupportedChoice", "custom_fields_values.0.field_id")
    assert fake.lead(1)["price"] == 0


async def test_select_values_must_be_one_of_the_enums(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(1)
    doctor_id = fake.field_id(DOCTOR)
    by_enum = await api.patch("/api/v4/leads", json=[
        {"id": 1, "custom_fields_values": [{"field_id": doctor_id, "values": [{"enum_id": 1}]}]}])
    assert_validation_error(by_enum, "NotSupportedChoice", "custom_fields_values.0.values.0.enum_id")
    by_value = await api.patch("/api/v4/leads", json=[
        {"id": 1, "custom_fields_values": [{"field_id": doctor_id, "values": [{"value": "Доктор Айболит"}]}]}])
    assert_validation_error(by_value, "NotSupportedChoice", "custom_fields_values.0.values.0.value")
    assert fake.lead(1)["custom_fields_values"] is None


async def test_numeric_field_rejects_text(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(1)
    response = await api.patch("/api/v4/leads", json=[
        {"id": 1, "custom_fields_values": [{"field_id": fake.field_id(SUM), "values": [{"value": "много"}]}]}])
    assert_validation_error(response, "InvalidType", "custom_fields_values.0.values.0.value")


async def test_a_batch_of_51_leads_is_rejected(fake: FakeAmo, api: httpx.AsyncClient):
    for lead_id in range(1, 52):
        fake.add_lead(lead_id)
    response = await api.patch("/api/v4/leads", json=[{"id": i, "price": 1} for i in range(1, 52)])
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["validation-errors"]
    assert all(fake.lead(i)["price"] == 0 for i in range(1, 52))

    fifty = await api.patch("/api/v4/leads", json=[{"id": i, "price": 1} for i in range(1, 51)])
    assert fifty.status_code == 200
    assert fake.requests[-1]["batch_size"] == 50


async def test_patching_an_unknown_lead_creates_nothing(fake: FakeAmo, api: httpx.AsyncClient):
    response = await api.patch("/api/v4/leads", json=[{"id": 424242, "price": 100}])
    assert_validation_error(response, "NotFound", "id")
    assert (await api.get("/api/v4/leads/424242")).status_code == 204
    assert fake.lead(424242) is None


async def test_missing_lead_is_204_without_a_body(api: httpx.AsyncClient):
    response = await api.get("/api/v4/leads/31337")
    assert response.status_code == 204
    assert response.content == b""


# --------------------------------------------------------------------------------------------- notes


async def test_notes_are_added_to_leads_both_ways_and_kept(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(5)
    fake.add_lead(6)
    one = await api.post("/api/v4/leads/5/notes", json=[{"note_type": "common", "params": {"text": "Оплачено"}}])
    assert one.status_code == 200
    note = one.json()["_embedded"]["notes"][0]
    assert isinstance(note["id"], int) and note["entity_id"] == 5 and note["request_id"] == "0"

    two = await api.post("/api/v4/leads/notes", json=[
        {"entity_id": 6, "note_type": "common", "params": {"text": "Запись отменена"}},
        {"entity_id": 5, "note_type": "common", "params": {"text": "Повторный приём"}},
    ])
    assert two.status_code == 200
    assert [n["entity_id"] for n in two.json()["_embedded"]["notes"]] == [6, 5]

    assert [n["params"]["text"] for n in fake.notes(5)] == ["Оплачено", "Повторный приём"]
    assert [n["params"]["text"] for n in fake.notes(6)] == ["Запись отменена"]
    listed = await api.get("/api/v4/leads/5/notes")
    assert len(listed.json()["_embedded"]["notes"]) == 2

    to_nowhere = await api.post("/api/v4/leads/notes", json=[
        {"entity_id": 404, "note_type": "common", "params": {"text": "?"}}])
    assert_validation_error(to_nowhere, "NotFound", "entity_id")


# ---------------------------------------------------------------------------------------- rate limit


async def test_ten_quick_calls_get_429_with_html_and_no_retry_after():
    async with FakeAmo.running(port=0) as fake:
        tokens = fake.issue_tokens()
        async with httpx.AsyncClient(base_url=fake.base_url, headers=bearer(tokens)) as client:
            responses = await asyncio.gather(*(client.get("/api/v4/account") for _ in range(10)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [429] * 3
        for response in responses:
            if response.status_code == 429:
                assert response.headers["content-type"].startswith("text/html")
                assert "retry-after" not in response.headers
                assert b"429 Too Many Requests" in response.content
        assert fake.count(429) == 3
        assert fake.max_requests_per_second == 10
        assert not fake.blocked


async def test_the_window_slides_so_seven_calls_every_second_are_never_limited():
    async with FakeAmo.running(port=0) as fake:
        tokens = fake.issue_tokens()
        async with httpx.AsyncClient(base_url=fake.base_url, headers=bearer(tokens)) as client:
            for burst in range(3):
                if burst:
                    await asyncio.sleep(1.05)
                responses = await asyncio.gather(*(client.get("/api/v4/account") for _ in range(7)))
                assert [r.status_code for r in responses] == [200] * 7
        assert fake.count(429) == 0
        assert fake.max_requests_per_second == 7


async def test_repeated_violations_block_the_account_until_unblocked():
    async with FakeAmo.running(port=0, block_threshold=3) as fake:
        tokens = fake.issue_tokens()
        async with httpx.AsyncClient(base_url=fake.base_url, headers=bearer(tokens)) as client:
            await asyncio.gather(*(client.get("/api/v4/account") for _ in range(15)))
            assert fake.blocked
            await asyncio.sleep(1.05)
            later = [await client.get("/api/v4/account") for _ in range(3)]
            later.append(await client.post("/oauth2/access_token", json=token_request(
                fake, grant_type="refresh_token", refresh_token=tokens["refresh_token"])))
            assert [r.status_code for r in later] == [403] * 4
            state = (await client.get("/_fake/state", params={"log": 0})).json()
            assert state["blocked"] is True and state["forbidden"] >= 4

            fake.unblock()
            assert (await client.get("/api/v4/account")).status_code == 200


# ------------------------------------------------------------------------------------- fault knobs


async def test_error_rate_knob_fails_calls_with_429_html_or_500(fake: FakeAmo, api: httpx.AsyncClient):
    fake.configure(error_rate=1.0, error_kinds=["429", "500"], seed=7)
    statuses = [(await api.get("/api/v4/account")) for _ in range(20)]
    assert {r.status_code for r in statuses} == {429, 500}
    assert all(r.headers["content-type"].startswith("text/html") for r in statuses if r.status_code == 429)
    assert not fake.blocked

    fake.configure(error_rate=0.5, seed=1)
    first = [(await api.get("/api/v4/account")).status_code for _ in range(30)]
    fake.configure(seed=1)
    second = [(await api.get("/api/v4/account")).status_code for _ in range(30)]
    assert first == second
    assert 200 in first and set(first) - {200}

    fake.configure(error_rate=0.0)
    assert (await api.get("/api/v4/account")).status_code == 200


async def test_timeout_fault_outlasts_the_client_timeout(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(1)
    fake.configure(error_rate=1.0, error_kinds=["timeout"], timeout_delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        await api.patch("/api/v4/leads", json=[{"id": 1, "price": 5}], timeout=0.2)
    assert fake.lead(1)["price"] == 0


async def test_latency_knob_slows_every_call(fake: FakeAmo, api: httpx.AsyncClient):
    fake.configure(latency=0.25)
    start = time.monotonic()
    assert (await api.get("/api/v4/account")).status_code == 200
    assert time.monotonic() - start >= 0.25


async def test_unknown_knob_is_refused(fake: FakeAmo):
    with pytest.raises(ValueError, match="unknown knob"):
        fake.configure(rate_limt=3)
    with pytest.raises(ValueError):
        fake.configure(error_rate=2)


# ------------------------------------------------------------------------------------------ webhooks


class Receiver:
    """A small local HTTP endpoint that records what amoCRM POSTs to it."""

    def __init__(self) -> None:
        self.received: list[Request] = []
        self.runner = ServerRunner(asgi_app(self._handle))

    async def _handle(self, request: Request) -> Response:
        self.received.append(request)
        return Response(200, b"ok", "text/plain")

    def form(self, index: int) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.received[index].body.decode()).items()}


async def test_webhooks_post_amocrm_form_payloads_to_registered_destinations(fake: FakeAmo, api: httpx.AsyncClient):
    receiver = Receiver()
    await receiver.runner.start("127.0.0.1", 0)
    try:
        hook = f"{receiver.runner.base_url}/api/amocrm/webhook/s3cret"
        response = await api.post("/api/v4/webhooks", json={"destination": hook,
                                                            "settings": ["status_lead", "delete_lead"]})
        assert response.status_code == 201
        assert response.json()["destination"] == hook
        other = f"{receiver.runner.base_url}/status-only"
        await api.post("/api/v4/webhooks", json={"destination": other, "settings": ["status_lead"]})
        fake.add_lead(77, pipeline_id=3, status_id=30)

        deliveries = await fake.fire_status_change(77, 143, pipeline_id=3)
        assert [d["status_code"] for d in deliveries] == [200, 200]
        assert receiver.received[0].path == "/api/amocrm/webhook/s3cret"
        assert receiver.received[0].headers["content-type"] == "application/x-www-form-urlencoded"
        form = receiver.form(0)
        assert form["leads[status][0][id]"] == "77"
        assert form["leads[status][0][status_id]"] == "143"
        assert form["leads[status][0][pipeline_id]"] == "3"
        assert form["leads[status][0][old_status_id]"] == "30"
        assert form["account[id]"] == str(fake.account_id)
        assert form["account[subdomain]"] == fake.subdomain
        assert fake.lead(77)["status_id"] == 143

        deliveries = await fake.fire_delete(77)
        assert [d["destination"] for d in deliveries] == [hook]
        assert receiver.form(2)["leads[delete][0][id]"] == "77"
        assert (await api.get("/api/v4/leads/77")).status_code == 204
        assert len(fake.webhook_deliveries) == 3
    finally:
        await receiver.runner.stop()


# ------------------------------------------------------------------------------------ HTTP control


async def test_config_and_state_over_http(fake: FakeAmo):
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        config = await client.post("/_fake/config", json={"rate_limit": 2, "custom_fields_page_size": 5})
        assert config.status_code == 200
        assert config.json()["rate_limit"] == 2
        assert fake.config.rate_limit == 2
        bad = await client.post("/_fake/config", json={"rate_limit": "fast"})
        assert bad.status_code == 400
        assert fake.config.custom_fields_page_size == 5

        created = await client.post("/_fake/leads", json=[{"id": 9, "price": 100}, {"id": 10}])
        assert created.status_code == 201
        code = (await client.post("/_fake/codes")).json()["code"]
        tokens = (await client.post("/oauth2/access_token", json=token_request(
            fake, grant_type="authorization_code", code=code))).json()
        await client.patch("/api/v4/leads", headers=bearer(tokens), json=[{"id": 9, "price": 150}, {"id": 10}])
        limited = await client.get("/api/v4/account", headers=bearer(tokens))
        assert limited.status_code == 429

        state = (await client.get("/_fake/state")).json()
        assert {lead["id"]: lead["price"] for lead in state["leads"]} == {9: 150, 10: 0}
        assert [(r["method"], r["path"], r["status"]) for r in state["requests"]] == [
            ("POST", "/oauth2/access_token", 200), ("PATCH", "/api/v4/leads", 200), ("GET", "/api/v4/account", 429)]
        patch = state["requests"][1]
        assert patch["batch_size"] == 2 and patch["body_size"] > 0 and patch["time"] > 0
        assert state["too_many_requests"] == 1 and state["rate_limited"] == 1
        assert state["max_requests_per_second"] == 3
        assert state["oauth"]["codes_used"] == 1

        await client.post("/_fake/config", json={"rate_limit": None})
        fired = await client.post("/_fake/fire", json={"event": "status", "lead_id": 9, "status_id": 143})
        assert fired.status_code == 200 and fired.json()["deliveries"] == []
        assert fake.lead(9)["status_id"] == 143


# ----------------------------------------------------------------------------- thread and process modes


def test_start_in_thread_serves_until_stopped():
    handle = FakeAmo.start_in_thread(rate_limit=None)
    try:
        handle.fake.add_lead(3, price=700)
        tokens = handle.issue_tokens()
        response = httpx.get(f"{handle.base_url}/api/v4/leads/3", headers=bearer(tokens))
        assert response.status_code == 200
        assert response.json()["price"] == 700
    finally:
        handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{handle.base_url}/api/v4/account", timeout=2)


def test_cli_help_lists_the_options():
    result = CliRunner().invoke(amocrm, ["fake", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--client-id", "--client-secret", "--subdomain", "--account-id"):
        assert option in result.output


def test_cli_runs_the_fake_and_prints_what_to_connect_with():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "erp.amocrm.cli", "fake", "--port", "0", "--client-id", "cid",
         "--client-secret", "csecret", "--subdomain", "demo", "--lead", "12"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        printed: dict[str, str] = {}
        assert process.stdout is not None
        deadline = time.monotonic() + 20
        while "authorization code" not in printed and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().partition(": ")
            printed[key] = value.strip()
        assert printed["client_id"] == "cid" and printed["client_secret"] == "csecret"
        base_url = printed["base_url"]
        tokens = httpx.post(f"{base_url}/oauth2/access_token", json={
            "client_id": "cid", "client_secret": "csecret", "grant_type": "authorization_code",
            "code": printed["authorization code"], "redirect_uri": REDIRECT}).json()
        account = httpx.get(f"{base_url}/api/v4/account", headers=bearer(tokens)).json()
        assert account["subdomain"] == "demo"
        assert httpx.get(f"{base_url}/api/v4/leads/12", headers=bearer(tokens)).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
