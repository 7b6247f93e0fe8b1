"""Issue 19 points 1 and 5: the preview names each bad row and what is wrong with it, with the
catalogs' own checks (INN and KPP, e-mail, duration), besides a row repeating another one of the
file and a kind, unit, group or organization that does not exist; it writes nothing. The import
itself is all or nothing: one bad row among good ones, and not a single item, code, audit record
or remembered mapping is written."""

from __future__ import annotations

from tests.clinic.conftest import counts
from tests.imports.conftest import audit_rows, inn, upload, xlsx


def errors_by_row(preview: dict) -> dict[int, list[str]]:
    return {r["row"]: [f"{e['column']}: {e['message']}" for e in r["errors"]] for r in preview["rows"] if r["errors"]}


async def test_the_preview_names_every_bad_client_row(client, admin, clinic, db):
    content = xlsx(["Наименование", "Вид", "ИНН", "КПП", "Эл. почта", "Организация (обслуживает)"],
                   ["ООО «Верный»", "Юридическое лицо", inn(123456789), "123401001", None, "Клиника"],   # 2: fine
                   ["ООО «Контрольное»", "Юридическое лицо", "7707083894", "770701001", None, None],    # 3: checksum
                   ["Петров П.П.", "Физическое лицо", inn(42, 12), "770701001", None, None],             # 4: KPP
                   ["ИП Короткий", "Индивидуальный предприниматель", inn(7, 10), None, None, None],      # 5: length
                   ["Сидорова", "Пациент", None, None, None, None],                                      # 6: kind
                   ["Орлова", "Физическое лицо", None, None, "orlova.mail.ru", None],                    # 7: e-mail
                   ["ООО «Дубль»", "Юридическое лицо", inn(123456789), "123401001", None, None],         # 8: dup of 2
                   [None, "Физическое лицо", None, None, None, None],                                    # 9: no name
                   ["Зайцев", "Физическое лицо", None, None, None, "Клиника «Нет такой»"])               # 10: ref
    before, logged = await counts(db), await audit_rows(db)

    preview = await upload(client, admin, "clients", content, preview=True)

    bad = errors_by_row(preview)
    assert set(bad) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert bad[3] == ["ИНН: ИНН: неверное контрольное число"]
    assert bad[4] == ["КПП: у физического лица нет КПП"]
    assert bad[5] == ["ИНН: ИНН индивидуального предпринимателя состоит из 12 цифр"]
    assert "неизвестное значение «Пациент»" in bad[6][0] and "«Физическое лицо»" in bad[6][0]
    assert bad[7] == ["Эл. почта: неверный адрес электронной почты"]
    assert bad[8] == ["ИНН: повторяет строку 2: те же «ИНН» и «КПП»"]
    assert bad[9] == ["Наименование: наименование не заполнено"]
    assert bad[10] == ["Организация (обслуживает): «Клиника «Нет такой»» не найден(а) в справочнике «Организации»"]
    assert preview["rows"][0]["action"] == "create" and preview["errors"] == 8
    assert await counts(db) == before and await audit_rows(db) == logged


async def test_nomenclature_rows_with_an_unknown_unit_group_or_kind(client, admin, clinic, db):
    content = xlsx(["Наименование", "Группа", "Вид", "Единица", "Артикул", "Длительность приёма, мин", "Цена"],
                   ["Перчатки", None, "Товар", "пар", "G-1", None, 9],
                   ["Пластырь", None, "Товар", "коробочка", "P-1", None, 5],
                   ["Массаж", "Физиотерапия", "Услуга", "усл", "F-1", 30, 1200],
                   ["Капельница", None, "Процедура", "усл", "K-1", 30, 900],
                   ["Осмотр", None, "Услуга", "усл", "O-1", 2000, 500],
                   ["Перчатки нитриловые", None, "Товар", "пар", "G-2", None, "сто"])
    preview = await upload(client, admin, "nomenclature", content, preview=True)
    bad = errors_by_row(preview)
    assert set(bad) == {3, 4, 5, 6, 7}
    assert bad[3] == ["Единица: неизвестная единица измерения «коробочка»; например: шт, усл, упак, мл"]
    assert bad[4] == ["Группа: неизвестная группа «Физиотерапия»: её нет ни в справочнике, ни в файле"]
    assert bad[5][0].startswith("Вид: неизвестное значение «Процедура»")
    assert bad[6] == ["Длительность приёма, мин: от 1 до 1440 минут"]
    assert bad[7][0] == "Цена: ожидается число"


async def test_one_bad_row_and_nothing_is_written(client, admin, clinic, db):
    rows = [[f"Пациент {n}", "Физическое лицо", f"+7 900 000-{n:04d}"] for n in range(200)]
    rows[150] = ["Пациент с ошибкой", "Марсианин", None]
    content = xlsx(["Наименование", "Вид", "Телефон"], *rows)
    before, logged = await counts(db), await audit_rows(db)
    remembered = await db.fetchval("SELECT count(*) FROM constants WHERE key LIKE 'import_mapping:%'")

    refused = await upload(client, admin, "clients", content, status=422)

    assert refused["code"] == "import_has_errors"
    assert refused["message"].startswith("В файле 1 строк(и) с ошибками, ничего не загружено. строка 152: Вид")
    assert [r["row"] for r in refused["details"]["rows"]] == [152]
    assert await counts(db) == before  # the items and the catalog's code counter
    assert await audit_rows(db) == logged
    assert await db.fetchval("SELECT count(*) FROM constants WHERE key LIKE 'import_mapping:%'") == remembered

    rows[150] = ["Пациент исправленный", "Физическое лицо", None]
    done = await upload(client, admin, "clients", xlsx(["Наименование", "Вид", "Телефон"], *rows))
    assert done["create"] == 200
    assert await audit_rows(db) == logged + 200


async def test_a_bad_mapping_is_refused_whole(client, admin, clinic, db):
    content = xlsx(["Имя", "ИНН"], ["Иванов", None])
    r = await upload(client, admin, "clients", content, mapping='{"0": "name", "1": "name"}', status=422)
    assert r["code"] == "bad_mapping" and "уже загружается колонка «Имя»" in r["message"]
    r = await upload(client, admin, "clients", content, mapping='{"0": "shoe_size"}', status=422)
    assert r["code"] == "bad_mapping" and "неизвестное поле «shoe_size»" in r["message"]
    r = await upload(client, admin, "clients", content, mapping='[1, 2]', status=422)
    assert r["code"] == "bad_mapping"
    r = await upload(client, admin, "clients", xlsx(["Фамилия"], ["Иванов"]), status=422)
    assert r["code"] == "no_columns"


async def test_catalogs_without_import_and_roles_without_the_right(client, admin, users, clinic):
    content = xlsx(["Наименование"], ["Склад"])
    r = await client.post("/api/catalogs/organizations/import", headers=admin, files={"file": ("a.xlsx", content)})
    assert r.status_code in (404, 405)
    manager = await users.headers("manager")
    refused = await upload(client, manager, "warehouses", content, status=403)
    assert refused["code"] in ("forbidden", "forbidden_role")
    allowed = await upload(client, manager, "clients", xlsx(["Наименование"], ["Клиент менеджера"]))
    assert allowed["create"] == 1
