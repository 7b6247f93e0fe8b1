"""The fake amoCRM's contacts behave as amoCRM API v4's: the lead's ``_embedded.contacts`` with
``?with=contacts``, ``GET /api/v4/contacts/{id}``, ``PATCH /api/v4/contacts`` (all or nothing, with
``validation-errors``), and the ``update_contact`` webhook's form layout."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from erp.amocrm.fake import FakeAmo
from tests.amocrm.test_fake import assert_validation_error


@pytest.fixture
async def fake():
    async with FakeAmo.running(port=0, rate_limit=None) as instance:
        yield instance


@pytest.fixture
async def api(fake: FakeAmo):
    headers = {"Authorization": f"Bearer {fake.issue_tokens()['access_token']}"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as client:
        yield client


def phones(contact: dict) -> list[tuple[str, str]]:
    field = next((f for f in contact["custom_fields_values"] or () if f["field_code"] == "PHONE"), None)
    return [(v["value"], v["enum_code"]) for v in field["values"]] if field else []


async def test_a_leads_contacts_come_with_with_contacts_only(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(5)
    fake.add_contact(11, "Первый", phones=["+7 1"])
    fake.add_contact(12, "Главный", phones=[("+7 2", "MOB")], emails=["a@b.ru"])
    fake.link_contact(5, 11)
    fake.link_contact(5, 12, is_main=True)
    plain = (await api.get("/api/v4/leads/5")).json()
    assert "contacts" not in plain["_embedded"]
    lead = (await api.get("/api/v4/leads/5", params={"with": "contacts"})).json()
    assert [(c["id"], c["is_main"]) for c in lead["_embedded"]["contacts"]] == [(12, True), (11, False)]
    assert lead["_embedded"]["contacts"][0]["_links"]["self"]["href"].endswith("/api/v4/contacts/12")

    contact = (await api.get("/api/v4/contacts/12")).json()
    assert contact["name"] == "Главный" and phones(contact) == [("+7 2", "MOB")]
    email = next(f for f in contact["custom_fields_values"] if f["field_code"] == "EMAIL")
    assert email["field_type"] == "multitext" and email["values"][0]["enum_code"] == "WORK"
    missing = await api.get("/api/v4/contacts/99")
    assert missing.status_code == 204 and not missing.content


async def test_patch_contacts_by_field_code_and_clearing_a_field(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_contact(11, "Старое", phones=["+7 1", ("+7 2", "HOME")], emails=["a@b.ru"])
    new_phones = [{"value": "+7 3", "enum_code": "MOB"}, {"value": "+7 2", "enum_id": 6_000_005}]
    custom = [{"field_code": "PHONE", "values": new_phones}, {"field_code": "EMAIL", "values": None}]
    r = await api.patch("/api/v4/contacts", json=[{"id": 11, "name": "Новое", "request_id": "x",
                                                   "custom_fields_values": custom}])
    assert r.status_code == 200, r.text
    assert [(c["id"], c["request_id"]) for c in r.json()["_embedded"]["contacts"]] == [(11, "x")]
    contact = fake.contact(11)
    assert contact["name"] == "Новое" and phones(contact) == [("+7 3", "MOB"), ("+7 2", "HOME")]
    assert [f["field_code"] for f in contact["custom_fields_values"]] == ["PHONE"]


async def test_a_bad_item_refuses_the_whole_contact_patch(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_contact(11, "Как было", phones=["+7 1"])
    r = await api.patch("/api/v4/contacts", json=[
        {"id": 11, "name": "Изменено"},
        {"id": 404, "name": "Нет такого"},
        {"id": 11, "custom_fields_values": [{"field_code": "PHONE",
                                             "values": [{"value": "+7", "enum_code": "NOPE"}]}]}])
    body = assert_validation_error(r, "NotFound", "id")
    assert [e["request_id"] for e in body["validation-errors"]] == ["1", "2"]
    assert fake.contact(11)["name"] == "Как было", "nothing of the batch was applied"


async def test_the_update_contact_webhook_uses_amocrms_form_layout(fake: FakeAmo):
    fake.add_contact(11, "Анна", phones=[("+7 1", "MOB")], emails=["a@b.ru"])
    form = parse_qs(fake.contact_update_payload(11))
    assert form["contacts[update][0][id]"] == ["11"] and form["contacts[update][0][name]"] == ["Анна"]
    assert form["contacts[update][0][custom_fields][0][code]"] == ["PHONE"]
    assert form["contacts[update][0][custom_fields][0][values][0][value]"] == ["+7 1"]
    assert form["contacts[update][0][custom_fields][0][values][0][enum]"] == ["6000003"]
    assert form["account[id]"] == [str(fake.account_id)]
    async with httpx.AsyncClient(base_url=fake.base_url) as control:
        made = await control.post("/_fake/contacts", json={"id": 12, "name": "Борис", "phones": ["+7 2"]})
        assert made.status_code == 201 and fake.contact(12)["name"] == "Борис"
        fired = await control.post("/_fake/fire", json={"event": "contact", "contact_id": 12})
        assert fired.status_code == 200 and fired.json()["deliveries"] == []


async def test_a_deleted_contact_leaves_its_leads_and_is_gone_from_the_api(fake: FakeAmo, api: httpx.AsyncClient):
    fake.add_lead(5)
    fake.add_contact(11, "Удаляемый", phones=["+7 1"])
    fake.add_contact(12, "Остаётся", phones=["+7 2"])
    fake.link_contact(5, 12, is_main=False)
    fake.link_contact(5, 11, is_main=True)
    fake.delete_contact(11)
    assert fake.contact(11) is None
    lead = (await api.get("/api/v4/leads/5", params={"with": "contacts"})).json()
    assert [(c["id"], c["is_main"]) for c in lead["_embedded"]["contacts"]] == [(12, False)]
    missing = await api.get("/api/v4/contacts/11")
    assert missing.status_code == 204 and missing.content == b"", "amoCRM answers 204 for a contact it has not"
    r = await api.patch("/api/v4/contacts", json=[{"id": 12, "name": "Изменено"}, {"id": 11, "name": "Поздно"}])
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json() == {"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404,
                        "detail": "Contact not found"}
    assert fake.contact(12)["name"] == "Остаётся", "nothing of the batch was applied"

    form = parse_qs(fake.contact_delete_payload(11))
    assert form == {"contacts[delete][0][id]": ["11"], "contacts[delete][0][type]": ["contact"],
                    "account[subdomain]": [fake.subdomain], "account[id]": [str(fake.account_id)],
                    "account[_links][self]": [fake.base_url]}
    fake.add_contact(11, "Восстановлен")
    assert (await api.patch("/api/v4/contacts", json=[{"id": 11, "name": "Снова"}])).status_code == 200
    async with httpx.AsyncClient(base_url=fake.base_url) as control:
        fired = await control.post("/_fake/fire", json={"event": "contact_delete", "contact_id": 12})
        assert fired.status_code == 200 and fired.json()["deliveries"] == [] and fake.contact(12) is None
