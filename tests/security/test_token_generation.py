"""Issue 14, point 7: a bearer token refused once stays dead; a UI session ended by deactivation too.

A trigger on ``users`` moves the user to a new token generation whenever the role, ``active`` or the
password changes, by any path (the service the API and the UI use, or plain SQL as from a console);
a token carries its generation, so undoing the change does not bring an old token back.
"""

from __future__ import annotations

from erp.auth import service
from tests.security.matrix_world import logged_in

ME = "/api/auth/me"


async def _refused(client, headers) -> None:
    r = await client.get(ME, headers=headers)
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked"), r.text


async def _user_id(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM users WHERE username = $1", username)


async def test_a_token_refused_for_deactivation_stays_dead_after_reactivation(client, users, db):
    manager = await users.headers("manager")
    assert (await client.get(ME, headers=manager)).status_code == 200
    user_id = await _user_id(db, "manager-user")
    await service.set_active(db, user_id, False)
    await _refused(client, manager)
    await service.set_active(db, user_id, True)
    await _refused(client, manager)
    fresh = await client.post("/api/auth/token", json={"username": "manager-user", "password": "password-123"})
    assert fresh.status_code == 200, fresh.text
    r = await client.get(ME, headers={"Authorization": f"Bearer {fresh.json()['access_token']}"})
    assert r.status_code == 200 and r.json()["role"] == "manager", "a new login works"


async def test_a_role_changed_and_back_by_plain_sql_leaves_the_old_token_dead(client, users, db):
    admin = await users.headers("admin")
    assert (await client.get("/api/users", headers=admin)).status_code == 200
    # as `psql` or any other path that does not go through the service would do it
    await db.execute("UPDATE users SET role = 'manager' WHERE username = 'admin-user'")
    await db.execute("UPDATE users SET role = 'admin' WHERE username = 'admin-user'")
    r = await client.get("/api/users", headers=admin)
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked"), "the administrator's old token is dead"
    # an unrelated change does not end anyone's tokens
    other = await users.headers("accountant")
    await db.execute("UPDATE users SET full_name = 'Бухгалтер' WHERE username = 'accountant-user'")
    assert (await client.get(ME, headers=other)).status_code == 200


async def test_a_new_password_ends_the_old_tokens(client, users, db):
    accountant = await users.headers("accountant")
    await db.execute("UPDATE users SET password_hash = $1 WHERE username = 'accountant-user'",
                     service.hash_password("another-password-1"))
    await _refused(client, accountant)


async def test_a_ui_session_ended_by_deactivation_does_not_come_back(client, users, db):
    await users.headers("manager")
    browser = await logged_in(client, "manager-user")
    assert (await browser.get("/", follow_redirects=False)).status_code == 200
    user_id = await _user_id(db, "manager-user")
    await db.execute("UPDATE users SET active = false WHERE id = $1", user_id)
    await db.execute("UPDATE users SET active = true WHERE id = $1", user_id)
    r = await browser.get("/", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login"), r.status_code
