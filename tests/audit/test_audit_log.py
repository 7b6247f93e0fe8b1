"""Acceptance point 6 of issue 9: the журнал регистрации records every write,
post, unpost, deletion mark, login, failed login and settings change with who,
when, what and the changed fields before and after, in the same transaction
as the change; administrators read it through ``GET /api/audit-log``."""

from __future__ import annotations

import datetime as dt

from erp.configuration import registry
from erp.platform import audit
from erp.platform.posting import Engine
from tests.clinic.test_service_rendering import receipt, rendering
from tests.core.test_documents import count_statements


async def log(api, **filters) -> list[dict]:
    page = await api.get("/api/audit-log", limit=200, **filters)
    return page["items"]


async def test_a_document_s_life_is_recorded_with_who_and_the_changed_fields(api, clinic):
    arrived = await receipt(api, clinic, (clinic.goods, "5", "10"))
    doc = f"/api/documents/goods-receipts/{arrived['id']}"
    await api.put(doc, {"date": "2021-12-01T09:00:00", "supplier_id": clinic.supplier,
                        "warehouse_id": clinic.warehouse,
                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "6", "price": "10"}]})
    await api.post(f"{doc}/unpost")
    await api.post(f"{doc}/mark-deletion")
    await api.post(f"{doc}/unmark-deletion")
    rows = await log(api, object_kind="document:goods-receipts", object_id=arrived["id"])
    assert [r["action"] for r in rows] == ["unmark", "mark", "unpost", "post", "post"]  # newest first
    created, changed, unposted, marked, unmarked = reversed(rows)
    # "Провести и закрыть" of a new document is one row: posted, every filled field from nothing
    assert created["changes"]["number"] == [None, arrived["number"]]
    assert created["changes"]["supplier_id"] == [None, clinic.supplier]
    assert created["changes"]["lines"][1] == [{"nomenclature_id": clinic.goods, "quantity": "5.000",
                                               "price": "10.00", "amount": "50.00"}]
    # a posted document written again is re-posted: one row with only what changed
    assert list(changed["changes"]) == ["lines"]
    before, after = changed["changes"]["lines"]
    assert (before[0]["quantity"], after[0]["quantity"], after[0]["amount"]) == ("5.000", "6.000", "60.00")
    assert unposted["changes"] == {"posted": [True, False]}
    assert (marked["changes"], unmarked["changes"]) == ({"deletion_mark": [False, True]},
                                                        {"deletion_mark": [True, False]})
    for row in rows:
        assert (row["username"], row["presentation"], row["address"]) == ("admin-user", arrived["number"], "testclient")
        assert row["user_id"] is not None
        assert dt.datetime.fromisoformat(row["at"]).utcoffset() == dt.timedelta(hours=3)  # the clinic's zone

    draft = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.service, "quantity": "1", "price": "1500"}))
    await api.post(f"/api/documents/service-renderings/{draft['id']}/post")
    rows = await log(api, object_kind="document:service-renderings", object_id=draft["id"])
    assert [(r["action"], r["changes"].get("posted")) for r in rows] == [("post", [False, True]), ("write", None)]
    assert rows[1]["changes"]["amount_total"] == [None, "1500.00"]


async def test_a_refused_change_leaves_no_row(api, clinic, db):
    await receipt(api, clinic, (clinic.goods, "3", "10.00"))
    before = await db.fetchval("SELECT count(*) FROM audit_log")
    short = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "4", "price": "25"}), status=409, post=True)
    assert short["code"] == "balance_shortage"
    draft = await api.create("service-renderings", rendering(
        clinic, {"nomenclature_id": clinic.goods, "quantity": "4", "price": "25"}))
    await api.post(f"/api/documents/service-renderings/{draft['id']}/post", status=409)
    await api.put("/api/period-lock", {"date": "2021-12-31"})
    await api.post(f"/api/documents/service-renderings/{draft['id']}/mark-deletion", status=409)  # closed period
    rows = await log(api, object_kind="document:service-renderings")
    assert [(r["action"], r["object_id"]) for r in rows] == [("write", draft["id"])]  # the draft's write, nothing else
    assert await db.fetchval("SELECT count(*) FROM audit_log") == before + 2  # the draft and the lock date


async def test_posting_adds_one_insert_and_stays_within_its_statement_budget(db, settings, api, clinic):
    reg = registry()
    engine = Engine(reg, settings)
    kind = reg.documents["goods-receipts"]
    data = {"date": "2021-12-01T09:00:00", "supplier_id": clinic.supplier, "warehouse_id": clinic.warehouse,
            "lines": [{"nomenclature_id": clinic.goods, "quantity": "2", "price": "10"}]}
    draft = await engine.create(db, kind, data)
    await engine.get(db, kind, draft.id)  # asyncpg learns the row types once per connection
    posting = await count_statements(db, lambda: engine.post(db, kind, draft.id))
    assert len(posting) <= 8, posting
    assert sum("audit_log" in s for s in posting) == 1
    created = await count_statements(db, lambda: engine.create(db, kind, data, post=True))
    assert sum("audit_log" in s for s in created) == 1
    with audit.acting_as(audit.Actor(None, "cli:tester")):
        await engine.unpost(db, kind, draft.id)
    row = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'unpost'")
    assert (row["username"], row["user_id"], row["object_id"]) == ("cli:tester", None, draft.id)
    assert audit.current_actor() == audit.SYSTEM  # the block's actor ended with it


async def test_catalog_items_created_changed_marked_and_purged(api, clinic):
    item = await api.item("nomenclature", {"name": "Бинт", "kind": "goods", "price": "40.00"})
    await api.patch(f"/api/catalogs/nomenclature/{item['id']}", {"price": "45.50", "name": "Бинт"})
    await api.post(f"/api/catalogs/nomenclature/{item['id']}/mark-deletion")
    await api.post("/api/catalogs/nomenclature/purge")
    rows = await log(api, object_kind="catalog:nomenclature", object_id=item["id"])
    assert [r["action"] for r in rows] == ["purge", "mark", "update", "create"]
    purged, marked, updated, created = rows
    assert created["changes"]["name"] == [None, "Бинт"] and created["changes"]["price"] == [None, "40.00"]
    assert updated["changes"] == {"price": ["40.00", "45.50"]}  # the unchanged name is not listed
    assert marked["changes"] == {"deletion_mark": [False, True]}
    assert purged["changes"] == {"name": ["Бинт", None]}
    assert {r["presentation"] for r in rows} == {"Бинт"}


async def test_logins_and_failed_logins_never_keep_the_password(client, api, db):
    await api.post("/api/users", {"username": "olga", "password": "olga-secret-pass", "role": "accountant"},
                   status=201)
    wrong = await client.post("/api/auth/token", json={"username": "olga", "password": "not-her-password"})
    nobody = await client.post("/api/auth/token", json={"username": "ghost", "password": "whatever-123"})
    assert (wrong.status_code, nobody.status_code) == (401, 401)
    right = await client.post("/api/auth/token", json={"username": "olga", "password": "olga-secret-pass"})
    assert right.status_code == 200
    olga = await db.fetchval("SELECT id FROM users WHERE username = 'olga'")
    rows = await log(api, object_kind="user")
    assert [(r["action"], r["username"], r["user_id"], r["presentation"]) for r in rows] == [
        ("login", "olga", olga, "olga"),
        ("login_failed", "ghost", None, "нет такого пользователя"),
        ("login_failed", "olga", None, "неверный пароль"),
        ("create", "admin-user", rows[3]["user_id"], "olga"),
        ("create", "system", None, "admin-user"),  # the test's admin, made without a request
    ]
    assert (rows[2]["object_id"], rows[1]["object_id"]) == (olga, None)
    assert rows[3]["changes"]["password"] == [None, "***"] and rows[3]["changes"]["role"] == [None, "accountant"]
    everything = await db.fetchval("SELECT string_agg(t::text, ' ') FROM audit_log t")
    for secret in ("olga-secret-pass", "not-her-password", "whatever-123"):
        assert secret not in everything


async def test_settings_changes_show_before_and_after_and_mask_secrets(api, clinic, users, client, db):
    await api.put("/api/period-lock", {"date": "2021-12-31"})
    await api.put("/api/period-lock", {"date": "2022-01-31", "organization_id": clinic.org})
    await api.put("/api/period-lock", {"date": None})
    await api.put("/api/settings/smtp", {"host": "smtp.clinic.ru", "from_email": "info@clinic.ru",
                                         "username": "info", "password": "smtp-pa$$word"})
    await api.put("/api/settings/smtp", {"host": "smtp2.clinic.ru", "from_email": "info@clinic.ru",
                                         "username": "info"})  # the password stays
    await api.put("/api/settings/document-defaults", {"organization_id": clinic.org, "discount_percent": "5"})
    manager = await users.headers("manager")
    manager_id = await db.fetchval("SELECT id FROM users WHERE username = 'manager-user'")
    rows = await log(api, action="settings")
    assert [(r["object_kind"], r["object_id"], r["changes"]) for r in rows] == [
        ("setting:document_defaults", None, {"organization_id": [None, clinic.org], "discount_percent": [None, "5"]}),
        ("setting:smtp", None, {"host": ["smtp.clinic.ru", "smtp2.clinic.ru"]}),
        ("setting:smtp", None, {"host": [None, "smtp.clinic.ru"], "port": [None, 587],
                                "security": [None, "starttls"], "username": [None, "info"], "password": [None, "***"],
                                "from_email": [None, "info@clinic.ru"], "timeout_seconds": [None, 20]}),
        ("setting:period_lock", None, {"date": ["2021-12-31", None]}),
        ("setting:period_lock", clinic.org, {"date": [None, "2022-01-31"]}),
        ("setting:period_lock", None, {"date": [None, "2021-12-31"]}),
    ]
    assert "smtp-pa$$word" not in await db.fetchval("SELECT string_agg(t::text, ' ') FROM audit_log t")
    # a manager cannot change them, and the refusal writes nothing
    r = await client.put("/api/period-lock", json={"date": "2030-01-01"}, headers=manager)
    assert r.status_code == 403
    assert len(await log(api, action="settings")) == len(rows)
    assert manager_id is not None


async def test_user_role_and_deactivation_and_the_amocrm_connection_are_recorded(db, settings):
    from erp.amocrm import connection as connections
    from erp.auth.service import add_user, set_active, set_role

    with audit.acting_as(audit.Actor(None, "cli:root")):
        user_id = await add_user(db, "petr", "manager", "petr-password")
        await set_role(db, user_id, "accountant")
        await set_active(db, user_id, False)
        async with db.transaction():
            await connections.save(db, settings.secret_key, base_url="https://clinic.amocrm.ru", client_id="cid-1",
                                   client_secret="client-secret-XYZ", redirect_uri="https://erp.clinic.ru/cb",
                                   account_id=77, subdomain="clinic",
                                   tokens={"access_token": "access-ABC", "refresh_token": "refresh-DEF"})
            await connections.save(db, settings.secret_key, base_url="https://clinic.amocrm.ru", client_id="cid-2",
                                   client_secret="client-secret-XYZ", redirect_uri="https://erp.clinic.ru/cb",
                                   account_id=77, subdomain="clinic",
                                   tokens={"access_token": "access-GHI", "refresh_token": "refresh-JKL"})
    rows = await db.fetch("SELECT username, action, object_kind, changes FROM audit_log ORDER BY id")
    assert [(r["action"], r["object_kind"]) for r in rows] == [
        ("create", "user"), ("update", "user"), ("update", "user"), ("settings", "setting:amocrm"),
        ("settings", "setting:amocrm")]
    assert {r["username"] for r in rows} == {"cli:root"}
    assert rows[1]["changes"] == {"role": ["manager", "accountant"]}
    assert rows[2]["changes"] == {"active": [True, False]}
    assert rows[3]["changes"]["client_secret"] == [None, "***"] and rows[3]["changes"]["tokens"] == [None, "***"]
    assert rows[4]["changes"] == {"client_id": ["cid-1", "cid-2"], "tokens": ["***", "***"]}  # same secret: unlisted
    text = await db.fetchval("SELECT string_agg(t::text, ' ') FROM audit_log t")
    for secret in ("client-secret-XYZ", "access-ABC", "refresh-DEF", "access-GHI", "petr-password"):
        assert secret not in text


async def test_filters_and_keyset_pages(api, clinic, client, users):
    for i in range(30):
        await api.item("warehouses", {"name": f"Склад {i:02d}"})
    first = await api.get("/api/audit-log", limit=25, object_kind="catalog:warehouses")
    second = await api.get("/api/audit-log", limit=25, object_kind="catalog:warehouses", after=first["next"])
    names = [r["presentation"] for r in first["items"] + second["items"]]
    assert names == [f"Склад {i:02d}" for i in range(29, -1, -1)] + ["Основной склад"]
    assert second["next"] is None
    assert [r["presentation"] for r in await log(api, object_kind="catalog:warehouses", object_id=clinic.warehouse)
            ] == ["Основной склад"]
    today = dt.date.today()
    assert len(await log(api, object_kind="catalog:warehouses", start=str(today - dt.timedelta(days=1)))) == 31
    assert await log(api, object_kind="catalog:warehouses", end=str(today - dt.timedelta(days=2))) == []
    admin_rows = await log(api, username="admin-user", action="create")
    assert admin_rows and {r["username"] for r in admin_rows} == {"admin-user"}
    user_id = admin_rows[0]["user_id"]
    assert {r["user_id"] for r in await log(api, user_id=user_id)} == {user_id}
    bad = await client.get("/api/audit-log", params={"limit": 30}, headers=api.headers)
    assert bad.status_code == 422 and "limit" in bad.text
    wrong = await client.get("/api/audit-log", params={"after": "not-a-cursor"}, headers=api.headers)
    assert wrong.status_code == 422 and "неверный курсор страницы" in wrong.text
    for role in ("manager", "accountant"):
        r = await client.get("/api/audit-log", headers=await users.headers(role))
        assert r.status_code == 403, role
    assert (await client.get("/api/audit-log")).status_code == 401
