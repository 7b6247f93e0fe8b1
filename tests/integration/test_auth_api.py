import time

import jwt

from tests.conftest import SECRET


async def test_token_for_right_password_opens_the_api(client, users, db):
    await users.headers("manager")
    stored = await db.fetchval("SELECT password_hash FROM users WHERE username = 'manager-user'")
    assert stored.startswith("$argon2id$") and "password-123" not in stored
    r = await client.post("/api/auth/token", json={"username": "manager-user",
                                                   "password": "password-123"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = await client.get("/api/auth/me",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"id": me.json()["id"], "username": "manager-user", "role": "manager"}


async def test_wrong_password_is_401_then_throttled(client, users):
    await users.headers("accountant")
    for _ in range(5):
        r = await client.post("/api/auth/token", json={"username": "accountant-user",
                                                       "password": "wrong"})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"
    r = await client.post("/api/auth/token", json={"username": "accountant-user",
                                                   "password": "password-123"})
    assert r.status_code == 429
    assert "Слишком много" in r.json()["message"]


async def test_api_needs_a_token(client):
    r = await client.get("/api/auth/me")
    assert r.status_code == 401
    assert r.json()["code"] == "missing_token"
    r = await client.get("/api/auth/me", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


async def test_expired_and_forged_tokens_are_refused(client):
    now = int(time.time())
    claims = {"sub": "1", "role": "admin", "typ": "erp-access", "iat": now - 100, "exp": now - 10}
    expired = jwt.encode(claims, SECRET, algorithm="HS256")
    r = await client.get("/api/users", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
    other_key = "another-secret-of-some-length-0123456789"
    forged = jwt.encode({**claims, "exp": now + 100}, other_key, "HS256")
    r = await client.get("/api/users", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    unsigned = jwt.encode({**claims, "exp": now + 100}, None, algorithm="none")
    r = await client.get("/api/users", headers={"Authorization": f"Bearer {unsigned}"})
    assert r.status_code == 401


async def test_wrong_role_gets_403(client, users):
    r = await client.get("/api/users", headers=await users.headers("manager"))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden_role"
    assert "manager" in r.json()["message"]
    r = await client.get("/api/users", headers=await users.headers("admin"))
    assert r.status_code == 200
    assert {u["username"] for u in r.json()} == {"manager-user", "admin-user"}


async def test_admin_creates_a_user_and_bad_input_writes_nothing(client, admin):
    r = await client.post("/api/users", headers=admin,
                          json={"username": "kate", "password": "long-enough", "role": "manager"})
    assert r.status_code == 201 and r.json()["role"] == "manager"
    r = await client.post("/api/users", headers=admin,
                          json={"username": "kate", "password": "long-enough", "role": "manager"})
    assert r.status_code == 422 and "уже есть" in r.json()["message"]
    r = await client.post("/api/users", headers=admin,
                          json={"username": "ann", "password": "long-enough", "role": "boss"})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error" and "role" in r.json()["details"]["fields"]
    r = await client.post("/api/users", headers=admin,
                          json={"username": "ann", "password": "x", "role": "manager",
                                "extra": 1})
    assert r.status_code == 422
    names = {u["username"] for u in (await client.get("/api/users", headers=admin)).json()}
    assert names == {"admin-user", "kate"}


async def test_errors_are_json_with_russian_messages(client):
    r = await client.get("/no/such/page")
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "message": "Не найдено", "details": {}}
    r = await client.post("/api/auth/token", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["details"]["fields"] == {"password": "обязательное поле не заполнено"}


async def test_health_and_openapi(client):
    r = await client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": True}
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/auth/token" in schema["paths"]
    swagger = await client.get("/schema/swagger")
    assert swagger.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in swagger.text
    js = await client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200


async def test_an_unexpected_failure_is_json_without_a_trace(settings, database_url, admin):
    from litestar import get
    from litestar.testing import AsyncTestClient

    from erp.app.application import create_app

    @get("/api/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals /work/main/erp/app.py line 1")

    app = create_app(settings, database_url, pool_size=2, extra_route_handlers=[boom])
    async with AsyncTestClient(app=app) as c:
        r = await c.get("/api/boom", headers=admin)
    assert r.status_code == 500
    assert r.json() == {"code": "internal_error", "message": "Внутренняя ошибка сервера. Она записана в журнал.",
                        "details": {}}
    assert "Traceback" not in r.text and "secret internals" not in r.text
