from decimal import Decimal

import pytest

from erp.platform import catalog_service as svc
from erp.platform.errors import Conflict, ValidationError


async def test_codes_are_automatic_unique_and_consecutive(db, registry):
    things = registry.catalogs["things"]
    a = await svc.create(db, registry, things, {"name": "Стол", "price": "10.50"})
    b = await svc.create(db, registry, things, {"name": "Стул", "price": 3})
    # the predefined item took code 1
    assert (a["code"], b["code"]) == ("000000002", "000000003")
    assert a["price"] == Decimal("10.50")


async def test_predefined_item_exists_and_cannot_be_marked(db, registry):
    things = registry.catalogs["things"]
    item = await svc.get_predefined(db, things, "default_thing")
    assert item["name"] == "Вещь по умолчанию" and item["price"] == Decimal("1.00")
    with pytest.raises(Conflict, match="Предопределённый"):
        await svc.set_deletion_mark(db, things, item["id"], True)
    changed = await svc.update(db, registry, things, item["id"], {"price": "2.00"})
    assert changed["price"] == Decimal("2.00")


async def test_bad_items_are_refused_with_field_messages(db, registry):
    things = registry.catalogs["things"]
    with pytest.raises(ValidationError) as err:
        await svc.create(db, registry, things, {"name": "", "price": "-1", "colour": "red"})
    assert set(err.value.details["fields"]) == {"name", "price", "colour"}
    assert err.value.details["fields"]["price"] == "не может быть отрицательным"
    with pytest.raises(ValidationError, match="не найден"):
        await svc.create(db, registry, things, {"name": "Ножка", "parent_id": 999})
    assert await db.fetchval("SELECT count(*) FROM cat_things") == 1


async def test_purge_removes_only_unreferenced_marked_items(db, registry, engine):
    things, shops = registry.catalogs["things"], registry.catalogs["shops"]
    shop = await svc.create(db, registry, shops, {"name": "Центр"})
    used = await svc.create(db, registry, things, {"name": "Используемая"})
    unused = await svc.create(db, registry, things, {"name": "Ненужная"})
    await engine.create(db, registry.documents["arrivals"],
                        {"shop_id": shop["id"], "lines": [{"thing_id": used["id"], "qty": "1"}]}, post=True)
    for item in (used, unused):
        await svc.set_deletion_mark(db, things, item["id"], True)
    result = await svc.purge(db, registry, things)
    assert result["deleted"] == [unused["id"]]
    kept = result["kept"][0]
    assert kept["id"] == used["id"]
    tables = {r["table"] for r in kept["referenced_by"]}
    assert tables == {"doc_arrivals_lines", "reg_boxes_movements"}
    assert await db.fetchval("SELECT count(*) FROM cat_things WHERE id = $1", used["id"]) == 1


async def test_a_marked_item_cannot_be_referenced(db, registry, engine):
    shops = registry.catalogs["shops"]
    shop = await svc.create(db, registry, shops, {"name": "Закрытый"})
    await svc.set_deletion_mark(db, shops, shop["id"], True)
    with pytest.raises(ValidationError, match="помечен на удаление"):
        await engine.create(db, registry.documents["arrivals"], {"shop_id": shop["id"]})
    assert await db.fetchval("SELECT count(*) FROM doc_arrivals") == 0
