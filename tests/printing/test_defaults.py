"""Acceptance point 7: «Значения по умолчанию» — organization, bank account,
discount (percent or amount) and VAT rate — applied when a new document is
created (``GET /api/documents/{kind}/new``)."""

from tests.printing.conftest import Api


async def second_organization(api: Api) -> tuple[int, int]:
    org = await api.item("organizations", {"name": "Клиника-2", "full_name": "ООО «Клиника-2»", "inn": "7812345675",
                                           "kpp": "781201001", "address": "Москва", "vat_rate": "20"})
    account = await api.item("bank-accounts", {
        "name": "Счёт-2", "organization_id": org["id"], "bank_name": "АО Банк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001"})
    return org["id"], account["id"]


async def test_a_single_organization_is_the_default_with_its_main_account(api, clinic):
    new = await api.get("/api/documents/invoices/new")
    assert new == {"document": {"organization_id": clinic.org, "bank_account_id": clinic.account, "lines": []},
                   "line_defaults": {}}
    await second_organization(api)
    assert (await api.get("/api/documents/invoices/new"))["document"] == {"lines": []}, \
        "with two organizations and no default, nothing is guessed"


async def test_defaults_fill_new_documents_and_their_lines(api, clinic):
    org, account = await second_organization(api)
    stored = await api.put("/api/settings/document-defaults", {
        "organization_id": org, "bank_account_id": account, "discount_percent": "5", "vat_rate": "10"})
    assert stored["discount_percent"] == "5"
    assert await api.get("/api/settings/document-defaults") == {
        "organization_id": org, "bank_account_id": account, "discount_percent": "5", "discount_amount": None,
        "vat_rate": "10"}

    new = await api.get("/api/documents/invoices/new")
    assert new == {"document": {"organization_id": org, "bank_account_id": account, "lines": []},
                   "line_defaults": {"discount_percent": "5", "vat_rate": "10"}}
    rendering = await api.get("/api/documents/service-renderings/new")
    assert rendering == {"document": {"organization_id": org, "lines": []},
                         "line_defaults": {"discount_percent": "5"}}
    assert await api.get("/api/documents/requests/new") == {"document": {"lines": []}, "line_defaults": {}}

    # The user fills in the client and a line; the new line starts from the line defaults.
    line = {"nomenclature_id": clinic.service, "quantity": "2", "price": "1100", **new["line_defaults"]}
    doc = await api.create("invoices", {**new["document"], "client_id": clinic.client, "lines": [line]}, post=True)
    assert (doc["organization_id"], doc["bank_account_id"]) == (org, account)
    assert [(ln["discount_amount"], ln["amount"], ln["vat_rate"], ln["vat_amount"]) for ln in doc["lines"]] == [
        ("110.00", "2090.00", "10", "190.00")]


async def test_a_discount_amount_is_a_line_default_too(api, clinic):
    await api.put("/api/settings/document-defaults", {"organization_id": clinic.org, "discount_amount": "100"})
    new = await api.get("/api/documents/invoices/new")
    assert new["line_defaults"] == {"discount_amount": "100"}
    assert new["document"]["bank_account_id"] == clinic.account, "the organization's main account"


async def test_wrong_defaults_are_refused_and_nothing_changes(api, clinic, client, users):
    org, account = await second_organization(api)
    await api.put("/api/settings/document-defaults", {"organization_id": org, "bank_account_id": account})
    cases = [
        ({"organization_id": clinic.org, "bank_account_id": account},
         "bank_account_id", "банковский счёт должен принадлежать организации по умолчанию"),
        ({"discount_percent": "5", "discount_amount": "10"},
         "discount_amount", "скидка задаётся либо в процентах, либо суммой"),
        ({"discount_percent": "150"}, "discount_percent", "скидка в процентах — от 0 до 100"),
        ({"discount_amount": "-1"}, "discount_amount", "скидка не может быть отрицательной"),
        ({"organization_id": 999}, "organization_id", "организация не найдена"),
    ]
    for body, field, text in cases:
        error = await api.put("/api/settings/document-defaults", body, status=422)
        assert error["details"]["fields"][field] == text
        assert text in error["message"]
    error = await api.put("/api/settings/document-defaults", {"vat_rate": "18"}, status=422)
    assert "vat_rate" in error["details"]["fields"]
    manager = Api(client, await users.headers("manager"))
    assert (await manager.put("/api/settings/document-defaults", {}, status=403))["code"] == "forbidden_role"
    assert (await api.get("/api/settings/document-defaults"))["organization_id"] == org


async def test_a_chosen_organization_brings_its_own_bank_account_and_desk(api, clinic):
    org, account = await second_organization(api)
    desk = await api.item("cash-desks", {"name": "Касса-2", "organization_id": org})
    new = await api.get("/api/documents/payments/new", organization_id=org)
    assert new["document"] == {"organization_id": org, "bank_account_id": account, "cash_desk_id": desk["id"]}
    own = await api.get("/api/documents/payments/new", organization_id=clinic.org)
    assert own["document"]["bank_account_id"] == clinic.account and "cash_desk_id" not in own["document"]
    error = await api.get("/api/documents/payments/new", status=422, organization_id=str(2**63))
    assert "organization_id" in str(error)
