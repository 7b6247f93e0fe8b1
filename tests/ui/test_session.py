"""Login, logout, the session cookie and CSRF on every form and htmx POST."""

from __future__ import annotations

from tests.ui.conftest import Browser


async def test_a_visitor_is_sent_to_the_login_page(client):
    r = await client.get("/documents/invoices", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/documents/invoices"
    page = await client.get("/login")
    assert "Вход в программу" in page.text
    assert 'for="username"' in page.text and 'for="password"' in page.text


async def test_login_sets_an_httponly_samesite_session_cookie_and_logout_ends_it(client, users):
    await users.headers("accountant")
    b = Browser(client)
    r = await b.login("accountant-user")
    assert r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("erp_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    stolen = client.cookies.get("erp_session")
    home = await b.get("/")
    assert "accountant-user" in home.text and "Выйти" in home.text
    await b.post("/logout")
    # The old cookie is dead on the server, not just forgotten by the browser.
    client.cookies.set("erp_session", stolen)
    again = await client.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_a_wrong_password_is_refused_with_a_message(client, users):
    await users.headers("manager")
    b = Browser(client)
    await b.get("/login")
    r = await b.post("/login", {"username": "manager-user", "password": "wrong-password"}, status=401)
    assert "Неверное имя пользователя или пароль" in r.text
    assert "erp_session" not in client.cookies


async def test_after_login_the_user_lands_where_they_wanted_but_never_off_site(client, users):
    await users.headers("admin")
    b = Browser(client)
    await b.get("/login?next=/reports/sales")
    r = await b.post("/login", {"username": "admin-user", "password": "password-123", "next": "/reports/sales"})
    assert r.headers["location"] == "/reports/sales"
    b2 = Browser(client)
    await b2.get("/login")
    r = await b2.post("/login", {"username": "admin-user", "password": "password-123", "next": "//evil.example/"})
    assert r.headers["location"] == "/"


async def test_a_form_post_without_the_csrf_token_is_refused_and_writes_nothing(browser, db):
    before = await db.fetchval("SELECT count(*) FROM cat_warehouses")
    r = await browser.post("/catalogs/warehouses/new", {"name": "Склад без токена"}, csrf=False, status=403)
    assert "CSRF" in r.text
    r = await browser.client.post("/catalogs/warehouses/new", data={"name": "Чужой токен", "_csrf_token": "x" * 128},
                                  follow_redirects=False)
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM cat_warehouses") == before
    await browser.post("/catalogs/warehouses/new", {"name": "Склад с токеном"})
    assert await db.fetchval("SELECT count(*) FROM cat_warehouses") == before + 1


async def test_an_htmx_post_needs_the_csrf_header(browser, api, clinic):
    data = {"doctor_id": clinic.efimova, "starts_at": "2030-01-10T09:00"}
    r = await browser.client.post("/schedule/requests/1/move", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 403
    r = await browser.client.post("/schedule/requests/999999/move", data=data,
                                  headers={"HX-Request": "true", "x-csrftoken": browser.token})
    assert r.status_code == 404  # past CSRF: the request simply does not exist


async def test_the_bearer_token_api_is_not_subject_to_csrf(client, admin):
    r = await client.post("/api/catalogs/warehouses", json={"name": "Склад из API"}, headers=admin)
    assert r.status_code == 201


async def test_a_deactivated_user_is_logged_out_at_once(browser, login_as, db):
    manager = await login_as("manager")
    assert (await manager.get("/")).status_code == 200
    await db.execute("UPDATE users SET active = false WHERE username = 'manager-user'")
    r = await manager.client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_an_id_no_document_can_have_is_a_page_not_found(browser):
    too_big = 2**63  # one past PostgreSQL's bigint
    for path in (f"/documents/requests/{too_big}", f"/catalogs/clients/{too_big}",
                 f"/documents/service-renderings/{too_big}/movements", f"/print/invoices/{too_big}/invoice"):
        r = await browser.get(path, status=404)
        assert "Страница не найдена" in r.text
    r = await browser.post(f"/schedule/requests/{too_big}/status", {"status_id": "1"}, status=404)
    assert "Страница не найдена" in r.text
