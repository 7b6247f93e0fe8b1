"""Acceptance point 1: the clinic's catalogs with their public fields, the
predefined items, and INN/KPP validation with messages that say what is wrong."""

from tests.clinic.conftest import counts, predefined


async def test_every_catalog_keeps_its_public_fields(api, clinic):
    org = await api.get(f"/api/catalogs/organizations/{clinic.org}")
    assert {k: org[k] for k in ("name", "full_name", "inn", "kpp", "ogrn", "vat_rate", "number_prefix")} == {
        "name": "Клиника", "full_name": "ООО «Клиника»", "inn": "7707083893", "kpp": "773601001",
        "ogrn": "1027700132195", "vat_rate": "none", "number_prefix": "К"}
    assert {"address", "director", "chief_accountant"} <= set(org)
    account = await api.get(f"/api/catalogs/bank-accounts/{clinic.account}")
    assert {k: account[k] for k in ("organization_id", "bank_name", "bik", "correspondent_account",
                                    "account_number", "is_default")} == {
        "organization_id": clinic.org, "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001",
        "is_default": True}
    client = await api.item("clients", {"name": "Сидорова А.П.", "kind": "person", "inn": "500100732259",
                                        "phone": "+7 911 123-45-67", "email": "anna@example.com"})
    assert {k: client[k] for k in ("kind", "inn", "kpp", "phone", "email")} == {
        "kind": "person", "inn": "500100732259", "kpp": "", "phone": "+7 911 123-45-67",
        "email": "anna@example.com"}
    doctor = await api.get(f"/api/catalogs/doctors/{clinic.efimova}")
    assert {k: doctor[k] for k in ("name", "full_name", "specialty", "active")} == {
        "name": "Ефимова Е.В.", "full_name": "Ефимова Елена Викторовна", "specialty": "Терапевт", "active": True}
    service = await api.get(f"/api/catalogs/nomenclature/{clinic.service}")
    assert {k: service[k] for k in ("kind", "unit", "vat_rate", "price", "duration_minutes")} == {
        "kind": "service", "unit": "шт", "vat_rate": "none", "price": "1500.00", "duration_minutes": 40}
    goods = await api.item("nomenclature", {"name": "Бахилы", "kind": "goods", "unit": "пара", "article": "B-01",
                                            "vat_rate": "20", "price": "10.50"})
    assert (goods["article"], goods["unit"], goods["vat_rate"], goods["price"]) == ("B-01", "пара", "20", "10.50")
    assert (await api.get(f"/api/catalogs/warehouses/{clinic.warehouse}"))["name"] == "Основной склад"


async def test_predefined_items_exist_cannot_be_marked_and_the_service_price_is_editable(api, clinic):
    amo_client = await predefined(api, "clients", "Клиент из AmoCRM")
    amo_service = await predefined(api, "nomenclature", "Номенклатура AmoCRM")
    assert amo_service["kind"] == "service"
    for catalog, item in (("clients", amo_client), ("nomenclature", amo_service)):
        error = await api.post(f"/api/catalogs/{catalog}/{item['id']}/mark-deletion", status=409)
        assert "Предопределённый" in error["message"]
    changed = await api.patch(f"/api/catalogs/nomenclature/{amo_service['id']}",
                              {"price": "150.00", "duration_minutes": 45})
    assert (changed["price"], changed["duration_minutes"], changed["predefined"]) == ("150.00", 45, "amocrm_service")


BAD_REQUISITES = [
    ("organizations", {"inn": "77070838"}, "inn", "10"),
    ("organizations", {"inn": "7707083894", "kpp": "773601001"}, "inn", "контрольное число"),
    ("organizations", {"inn": "7707083893", "kpp": ""}, "kpp", "нужен КПП"),
    ("organizations", {"inn": "7707083893", "kpp": "77360100"}, "kpp", "9 знаков"),
    ("clients", {"kind": "person", "inn": "500100732258"}, "inn", "контрольное число"),
    ("clients", {"kind": "company", "inn": "77O7083893"}, "inn", "цифр"),
    ("clients", {"kind": "person", "kpp": "773601001"}, "kpp", "физического лица"),
    ("clients", {"kind": "company", "kpp": "7736-0100"}, "kpp", "9 знаков"),
]


async def test_bad_inn_or_kpp_is_a_422_that_says_what_is_wrong(api, db, clinic):
    before = await counts(db)
    for catalog, data, field, text in BAD_REQUISITES:
        error = await api.item(catalog, {"name": "Ошибка", **data}, status=422)
        assert text in error["details"]["fields"][field], (data, error)
        assert field in error["message"]
        changed = await api.patch(f"/api/catalogs/{catalog}/{clinic.supplier if catalog == 'clients' else clinic.org}",
                                  data, status=422)
        assert text in changed["details"]["fields"][field], (data, changed)
    assert await counts(db) == before
