"""Issue 19 point 1: an existing item is found by its code, a client by INN (and KPP), a product by
article, a doctor or a warehouse by name, and is updated — never duplicated; new rows are created
with the catalog's next codes; an item may go into a group the same file creates."""

from __future__ import annotations

from tests.imports.conftest import inn, snapshot, upload, xlsx


async def test_clients_are_updated_by_code_and_by_inn_not_duplicated(client, admin, clinic, db):
    supplier = await db.fetchrow("SELECT * FROM cat_clients WHERE id = $1", clinic.supplier)
    ivanov = await db.fetchrow("SELECT * FROM cat_clients WHERE id = $1", clinic.client)
    count = await db.fetchval("SELECT count(*) FROM cat_clients")
    content = xlsx(["Код", "Наименование", "Вид", "ИНН", "КПП", "Телефон"],
                   [int(ivanov["code"]), "Иванов Иван Иванович", "Физическое лицо", None, None, "+7 900 111-22-33"],
                   [None, "ООО «МедСнаб» (новое имя)", "Юридическое лицо", supplier["inn"], supplier["kpp"], None],
                   [None, "ООО «Новый»", "Юридическое лицо", inn(770708389), "770801001", "+7 495 000-00-00"])

    result = await upload(client, admin, "clients", content)

    assert (result["create"], result["update"]) == (1, 2)
    assert await db.fetchval("SELECT count(*) FROM cat_clients") == count + 1
    assert await db.fetchval("SELECT phone FROM cat_clients WHERE id = $1", clinic.client) == "+7 900 111-22-33"
    assert await db.fetchval("SELECT name FROM cat_clients WHERE id = $1", clinic.supplier) == \
        "ООО «МедСнаб» (новое имя)"
    new = await db.fetchrow("SELECT * FROM cat_clients WHERE name = 'ООО «Новый»'")
    assert new["kind"] == "company" and new["code"] > supplier["code"] and len(new["code"]) == 9


async def test_two_branches_of_one_company_differ_by_kpp(client, admin, clinic, db):
    supplier = await db.fetchrow("SELECT * FROM cat_clients WHERE id = $1", clinic.supplier)
    content = xlsx(["Наименование", "Вид", "ИНН", "КПП"],
                   ["ООО «МедСнаб», филиал", "Юридическое лицо", supplier["inn"], "781202002"],
                   ["ООО «МедСнаб»", "Юридическое лицо", supplier["inn"], supplier["kpp"]])
    preview = await upload(client, admin, "clients", content, preview=True)
    assert [(r["action"], r["id"]) for r in preview["rows"]] == [("create", None), ("unchanged", clinic.supplier)]


async def test_nomenclature_by_article_and_into_a_group_the_file_creates(client, admin, api, clinic, db):
    await api.item("nomenclature", {"name": "Маска медицинская", "kind": "goods", "article": "M-1", "price": "10"})
    count = await db.fetchval("SELECT count(*) FROM cat_nomenclature")
    content = xlsx(["Наименование", "Группа", "Это группа", "Вид", "Артикул", "Цена", "Единица",
                    "Длительность приёма, мин"],
                   ["Расходники", None, "Да", None, None, None, None, None],
                   ["Маски", "Расходники", "Да", None, None, None, None, None],
                   ["Маска медицинская трёхслойная", "Маски", "Нет", "Товар", "M-1", 12.5, "упак", None],
                   ["УЗИ брюшной полости", None, "Нет", "Услуга", "U-1", "2 500,00", "усл", 45])

    result = await upload(client, admin, "nomenclature", content)

    assert (result["create"], result["update"]) == (3, 1)
    assert await db.fetchval("SELECT count(*) FROM cat_nomenclature") == count + 3
    mask = await db.fetchrow("SELECT * FROM cat_nomenclature WHERE article = 'M-1'")
    groups = {r["name"]: r for r in await db.fetch("SELECT * FROM cat_nomenclature WHERE is_group")}
    assert mask["name"] == "Маска медицинская трёхслойная" and str(mask["price"]) == "12.50"
    assert mask["unit"] == "упак" and mask["parent_id"] == groups["Маски"]["id"]
    assert groups["Маски"]["parent_id"] == groups["Расходники"]["id"] and groups["Расходники"]["parent_id"] is None
    scan = await db.fetchrow("SELECT * FROM cat_nomenclature WHERE article = 'U-1'")
    assert (scan["kind"], str(scan["price"]), scan["duration_minutes"]) == ("service", "2500.00", 45)

    again = await upload(client, admin, "nomenclature", content)  # the same file twice: nothing new
    assert (again["create"], again["update"], again["unchanged"]) == (0, 0, 4)


async def test_doctors_and_warehouses_by_name(client, admin, clinic, db):
    doctors = await snapshot(db, "cat_doctors")
    result = await upload(client, admin, "doctors", xlsx(
        ["Наименование", "Специальность", "Ведёт приём"], ["Ефимова Е.В.", "Кардиолог", "Нет"],
        ["Новиков Н.Н.", "Невролог", "Да"]))
    assert (result["create"], result["update"]) == (1, 1)
    efimova = await db.fetchrow("SELECT * FROM cat_doctors WHERE id = $1", clinic.efimova)
    assert (efimova["specialty"], efimova["active"]) == ("Кардиолог", False)
    assert efimova["full_name"] == "Ефимова Елена Викторовна"  # a column the file lacks stays as it was
    assert len(await snapshot(db, "cat_doctors")) == len(doctors) + 1

    count = await db.fetchval("SELECT count(*) FROM cat_warehouses")
    result = await upload(client, admin, "warehouses", xlsx(["Наименование"], ["основной склад"], ["Склад №2"]))
    assert (result["create"], result["update"]) == (1, 1)  # found whatever the case, and renamed as the file spells it
    assert await db.fetchval("SELECT name FROM cat_warehouses WHERE id = $1", clinic.warehouse) == "основной склад"
    assert await db.fetchval("SELECT count(*) FROM cat_warehouses") == count + 1


async def test_a_remembered_mapping_reads_the_next_file_of_the_same_shape(client, admin, clinic, db):
    content = xlsx(["Пациент", "Моб."], ["Кузнецова Мария", "+7 900 000-00-09"])
    preview = await upload(client, admin, "clients", content, preview=True)
    assert [c["target"] for c in preview["columns"]] == ["", ""]
    await upload(client, admin, "clients", content, mapping='{"Пациент": "name", "1": "phone"}')
    assert await db.fetchval("SELECT phone FROM cat_clients WHERE name = 'Кузнецова Мария'") == "+7 900 000-00-09"

    later = await upload(client, admin, "clients", xlsx(["Пациент", "Моб."], ["Кузнецова Мария", "+7 900 000-00-10"]),
                         preview=True)
    assert [c["target"] for c in later["columns"]] == ["name", "phone"]
    assert later["rows"][0]["action"] == "create"  # a client is never matched by name: namesakes are different people
