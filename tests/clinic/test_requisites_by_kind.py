"""Requisites as 1C checks them: the INN's length follows the client's kind,
and a bank account needs no name of its own."""

import pytest

from tests.clinic.conftest import counts

PERSON_INN, COMPANY_INN = "500100732259", "7812345675"


@pytest.mark.parametrize(("kind", "inn", "message"), [
    ("company", PERSON_INN, "ИНН организации состоит из 10 цифр"),
    ("person", COMPANY_INN, "ИНН физического лица состоит из 12 цифр"),
    ("sole_trader", COMPANY_INN, "ИНН индивидуального предпринимателя состоит из 12 цифр"),
    ("sole_trader", "12345678901", "ИНН индивидуального предпринимателя состоит из 12 цифр"),
])
async def test_the_inn_length_follows_the_clients_kind(api, db, clinic, kind, inn, message):
    before = await counts(db)
    error = await api.item("clients", {"name": "Клиент", "kind": kind, "inn": inn}, status=422)
    assert error["details"]["fields"]["inn"] == message
    changed = await api.patch(f"/api/catalogs/clients/{clinic.client}", {"kind": kind, "inn": inn}, status=422)
    assert changed["details"]["fields"]["inn"] == message
    assert await counts(db) == before


async def test_a_sole_trader_has_a_12_digit_inn_and_no_kpp(api, clinic):
    trader = await api.item("clients", {"name": "ИП Петров", "kind": "sole_trader", "inn": PERSON_INN})
    assert (trader["kind"], trader["inn"]) == ("sole_trader", PERSON_INN)
    error = await api.patch(f"/api/catalogs/clients/{trader['id']}", {"kpp": "781201001"}, status=422)
    assert error["details"]["fields"]["kpp"] == "у индивидуального предпринимателя нет КПП"


async def test_a_bank_account_is_created_from_its_public_fields_alone(api, clinic):
    account = await api.item("bank-accounts", {
        "organization_id": clinic.org, "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001"})
    assert account["name"] == "40702810938000000001 в ПАО Сбербанк"
    named = await api.item("bank-accounts", {"name": "Зарплатный", "organization_id": clinic.org,
                                             "account_number": "40702810938000000001", "bank_name": "ПАО Сбербанк",
                                             "bik": "044525225", "correspondent_account": "30101810400000000225"})
    assert named["name"] == "Зарплатный"
