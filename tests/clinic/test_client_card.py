"""The client card (issue 17, point 1): one client's appointments with their status, renderings,
invoices with what is still due, payments, the debt per organization, the sales of a period and the
PDFs generated for them, read by :mod:`erp.services.client_card` and ``GET /api/clients/{id}/summary``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from erp.configuration import registry
from erp.platform.errors import NotFound, ValidationError
from erp.services import client_card
from tests.clinic.conftest import Api, Clinic
from tests.ui.conftest import DAY, schedule_month

TZ = ZoneInfo("Europe/Moscow")
NOW = dt.datetime.fromisoformat(f"{DAY}T10:00:00").replace(tzinfo=TZ)  # between the two visits


async def story(api: Api, clinic: Clinic) -> dict:
    """Иванов's story: a visit at 09:00 (rendered and posted), one booked at 11:00, an invoice of 1 500
    paid 1 000, an advance of 300 to a second organization, and another client's documents beside."""
    await schedule_month(api, clinic)
    service = [{"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}]
    past = await api.create("requests", {"date": f"{DAY}T08:00:00", "doctor_id": clinic.efimova,
                                         "client_id": clinic.client, "starts_at": f"{DAY}T09:00:00",
                                         "amocrm_lead_id": 777, "lines": service}, post=True)
    upcoming = await api.create("requests", {"date": f"{DAY}T08:05:00", "doctor_id": clinic.ishaeva,
                                             "client_id": clinic.client, "starts_at": f"{DAY}T11:00:00",
                                             "lines": service}, post=True)
    filled = await api.get(f"/api/documents/requests/{past['id']}/based/service-renderings")
    rendering = await api.create("service-renderings", {**filled, "organization_id": clinic.org,
                                                        "date": f"{DAY}T09:45:00"}, post=True)
    invoice = await api.create("invoices", {"date": f"{DAY}T09:50:00", "organization_id": clinic.org,
                                            "bank_account_id": clinic.account, "client_id": clinic.client,
                                            "lines": service}, post=True)
    payment = await api.create("payments", {"date": f"{DAY}T09:55:00", "organization_id": clinic.org,
                                            "client_id": clinic.client, "amount": "1000", "method": "cash",
                                            "cash_desk_id": clinic.desk, "invoice_id": invoice["id"]}, post=True)
    second = await api.item("organizations", {"name": "Клиника-2", "vat_rate": "none", "number_prefix": "К2"})
    account = await api.item("bank-accounts", {"name": "Расчётный", "organization_id": second["id"],
                                               "account_number": "40702810938000000002"})
    advance = await api.create("payments", {"date": f"{DAY}T09:56:00", "organization_id": second["id"],
                                            "client_id": clinic.client, "amount": "300", "method": "bank",
                                            "bank_account_id": account["id"]},
                               post=True)
    draft = await api.create("invoices", {"date": f"{DAY}T09:57:00", "organization_id": clinic.org,
                                          "client_id": clinic.client, "lines": service})
    await api.create("invoices", {"date": f"{DAY}T09:58:00", "organization_id": clinic.org,
                                  "client_id": clinic.supplier, "lines": service}, post=True)
    return {"past": past, "upcoming": upcoming, "rendering": rendering, "invoice": invoice, "payment": payment,
            "advance": advance, "draft": draft, "second": second}


async def test_the_card_tells_the_clients_whole_story(api, clinic, db):
    docs = await story(api, clinic)
    await api.patch(f"/api/catalogs/organizations/{clinic.org}", {  # what the invoice's print form needs
        "address": "191000, Санкт-Петербург, Невский пр., д. 1", "director": "Смирнов А.А.",
        "chief_accountant": "Кузнецова Т.В."})
    printed = await api.client.get(f"/api/documents/invoices/{docs['invoice']['id']}/print/invoice",
                                   headers=api.headers)
    assert printed.status_code == 200, printed.text

    card = await client_card.summary(db, registry(), clinic.client, tz=TZ, now=NOW)
    assert card.client.name == "Иванов Иван Иванович"
    [upcoming] = card.upcoming_appointments
    assert (upcoming.id, upcoming.doctor, upcoming.state) == (docs["upcoming"]["id"], "Ишаева М.И.", "posted")
    assert upcoming.starts_at == dt.datetime.fromisoformat(f"{DAY}T11:00:00").replace(tzinfo=TZ)
    [past] = card.past_appointments
    assert (past.id, past.doctor, past.amocrm_lead_id) == (docs["past"]["id"], "Ефимова Е.В.", 777)
    assert past.ends_at - past.starts_at == dt.timedelta(minutes=40), "the service's own duration"
    [rendering] = card.renderings
    assert (rendering.id, rendering.amount_total, rendering.organization) == (
        docs["rendering"]["id"], Decimal("1500.00"), "Клиника")
    assert [(i.id, i.status, i.amount_due, i.state) for i in card.invoices] == [
        (docs["draft"]["id"], None, None, "draft"),
        (docs["invoice"]["id"], "partially_paid", Decimal("500.00"), "posted"),
    ], "the other client's invoice is not here"
    assert [(p.id, p.amount, p.organization) for p in card.payments] == [
        (docs["advance"]["id"], Decimal("300.00"), "Клиника-2"),
        (docs["payment"]["id"], Decimal("1000.00"), "Клиника")]
    assert [(d.organization, d.amount) for d in card.debts] == [("Клиника", Decimal("500.00")),
                                                               ("Клиника-2", Decimal("-300.00"))]
    assert card.debt_total == Decimal("200.00")
    assert (card.sales.start, card.sales.end) == (dt.date(2030, 1, 1), dt.date(2030, 1, 14)), "the year so far"
    [line] = card.sales.lines
    assert (line.nomenclature, line.doctor, line.quantity, line.amount) == (
        "Приём терапевта", "Ефимова Е.В.", Decimal("1.000"), Decimal("1500.00"))
    [generated] = card.generated_documents
    assert (generated.document_kind, generated.document_id, generated.form) == (
        "invoices", docs["invoice"]["id"], "invoice")
    assert card.counts == {"upcoming_appointments": 1, "past_appointments": 1, "renderings": 1, "invoices": 2,
                           "payments": 2, "generated_documents": 1}

    february = await client_card.summary(db, registry(), clinic.client, tz=TZ, now=NOW,
                                         start=dt.date(2030, 2, 1), end=dt.date(2030, 2, 28))
    assert february.sales.lines == [] and february.sales.amount == Decimal("0.00")
    newest = await client_card.summary(db, registry(), clinic.client, tz=TZ, now=NOW, limit=1)
    assert [i.id for i in newest.invoices] == [docs["draft"]["id"]] and newest.counts["invoices"] == 2


async def test_a_client_with_nothing_yet_has_an_empty_card(api, clinic, db):
    card = await client_card.summary(db, registry(), clinic.supplier, tz=TZ, now=NOW)
    assert card.client.inn == "7812345675"
    assert card.invoices == card.payments == card.debts == card.sales.lines == card.upcoming_appointments == []
    assert card.debt_total == Decimal("0.00") and set(card.counts.values()) == {0}


async def test_an_unknown_client_or_a_bad_period_is_refused(db, clinic):
    with pytest.raises(NotFound, match="Клиент с id 999999 не найден"):
        await client_card.summary(db, registry(), 999_999, tz=TZ)
    with pytest.raises(ValidationError, match="Начало периода позже его конца"):
        await client_card.summary(db, registry(), clinic.client, tz=TZ, start=dt.date(2030, 2, 1),
                                  end=dt.date(2030, 1, 1))
    with pytest.raises(ValidationError):
        client_card.read_period("2030-13-01", None)


async def test_the_summary_api(api, clinic, users, client):
    docs = await story(api, clinic)
    card = await api.get(f"/api/clients/{clinic.client}/summary", start="2030-01-01", end="2030-01-31")
    assert card["client"]["id"] == clinic.client
    assert [a["id"] for a in card["upcoming_appointments"]] == [docs["past"]["id"], docs["upcoming"]["id"]], \
        "2030 is still ahead: both visits are upcoming, nearest first"
    assert card["upcoming_appointments"][0]["starts_at"].startswith(f"{DAY}T09:00:00+03:00")
    invoice = next(i for i in card["invoices"] if i["id"] == docs["invoice"]["id"])
    assert (invoice["status"], Decimal(invoice["amount_due"])) == ("partially_paid", Decimal("500"))
    assert Decimal(card["debt_total"]) == Decimal("200")
    assert [Decimal(s["amount"]) for s in card["sales"]["lines"]] == [Decimal("1500")]
    assert card["sales"]["start"] == "2030-01-01" and card["sales"]["end"] == "2030-01-31"

    manager = await users.headers("manager")
    assert (await client.get(f"/api/clients/{clinic.client}/summary", headers=manager)).status_code == 200
    assert (await client.get(f"/api/clients/{clinic.client}/summary")).status_code == 401

    missing = await api.get("/api/clients/999999/summary", expect=404)
    assert missing["message"] == "Клиент с id 999999 не найден" and missing["code"] == "client_not_found"
    reversed_period = await api.get(f"/api/clients/{clinic.client}/summary", expect=422, start="2030-02-01",
                                    end="2030-01-01")
    assert reversed_period["code"] == "bad_period" and "Начало периода позже его конца" in reversed_period["message"]
    to_the_end = await api.get(f"/api/clients/{clinic.client}/summary", start="1900-01-01", end="9999-12-31")
    assert [Decimal(s["amount"]) for s in to_the_end["sales"]["lines"]] == [Decimal("1500")]
    last_day = await api.get(f"/api/clients/{clinic.client}/summary", start="9999-12-31", end="9999-12-31")
    assert last_day["sales"]["lines"] == []
    not_a_day = await api.get(f"/api/clients/{clinic.client}/summary", expect=422, start="01.02.2030")
    assert "start" in not_a_day["details"]["fields"]
    for bad in ({"limit": "0"}, {"limit": "201"}, {"limit": "x"}):
        r = await client.get(f"/api/clients/{clinic.client}/summary", params=bad, headers=api.headers)
        assert 400 <= r.status_code < 500, (bad, r.status_code)
    r = await client.get("/api/clients/0/summary", headers=api.headers)
    assert 400 <= r.status_code < 500
