"""Password guessing is throttled on both doors: the API token endpoint and the UI login form.

After five wrong passwords for a username (or twenty from one address, over
any usernames) the right password is refused with 429 too, in the form as
on the API; a burst of parallel guesses gets no more tries than a patient
guesser. (The API's own per-username case is in tests/integration/test_auth_api.py.)
"""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from erp.app.application import create_app
from erp.auth import service
from erp.auth.service import MAX_FAILURES, add_user
from tests.conftest import concurrent_client
from tests.ui.conftest import Browser, another_browser

PASSWORD = "password-123"


async def test_the_login_form_is_throttled_per_username(client, users):
    await users.headers("admin")
    b = Browser(client)
    for _ in range(MAX_FAILURES):
        await b.get("/login")
        r = await b.post("/login", {"username": "admin-user", "password": "guess"}, status=401)
        assert "Неверное имя пользователя или пароль" in r.text
    await b.get("/login")
    r = await b.post("/login", {"username": "admin-user", "password": PASSWORD}, status=429)
    assert "Слишком много неудачных попыток входа" in r.text
    assert "erp_session" not in client.cookies
    api = await client.post("/api/auth/token", json={"username": "admin-user", "password": PASSWORD})
    assert api.status_code == 429, "the limit is shared by both doors"


async def test_one_address_is_throttled_over_many_usernames(client, db):
    for n in range(6):
        await add_user(db, f"user-{n}", "manager", PASSWORD)
    for attempt in range(MAX_FAILURES * 4):  # four wrong passwords for each of five users: none is locked alone
        r = await client.post("/api/auth/token", json={"username": f"user-{attempt % 5}", "password": "guess"})
        assert r.status_code == 401, attempt
    fresh = await client.post("/api/auth/token", json={"username": "user-5", "password": PASSWORD})
    assert fresh.status_code == 429 and fresh.json()["code"] == "login_throttled"
    form = Browser(another_browser(client))
    await form.get("/login")
    await form.post("/login", {"username": "user-5", "password": PASSWORD}, status=429)


async def test_a_burst_of_parallel_guesses_gets_no_extra_tries(settings, database_url, users, db, monkeypatch):
    """40 parallel wrong passwords for one user, spread over two apps (two `erp serve` workers, each with its
    own pool): at most MAX_FAILURES passwords are really checked; every other attempt is a 429."""
    await users.headers("accountant")
    checks = []

    class Counting:  # the real hasher, counting the passwords it checks
        def __init__(self, hasher) -> None:
            self.hasher = hasher

        def verify(self, hash_: str, password: str) -> bool:
            checks.append(password)
            return self.hasher.verify(hash_, password)

    monkeypatch.setattr(service, "_hasher", Counting(service._hasher))
    workers = [create_app(settings, database_url, pool_size=20) for _ in range(2)]
    async with concurrent_client(workers[0]) as one, concurrent_client(workers[1]) as two:
        statuses = await asyncio.gather(*((one, two)[n % 2].post("/api/auth/token", json={
            "username": "accountant-user", "password": f"guess-{n}"}) for n in range(40)))
    codes = sorted(r.status_code for r in statuses)
    assert len(checks) <= MAX_FAILURES, (len(checks), codes)
    assert codes.count(401) <= MAX_FAILURES and codes.count(429) >= 40 - MAX_FAILURES, codes
    assert set(codes) <= {401, 429}, codes
    right = await one_more(settings, database_url, "accountant-user", PASSWORD)
    assert right == 429, "the right password waits for the window too"


async def one_more(settings, database_url, username: str, password: str) -> int:
    async with AsyncTestClient(app=create_app(settings, database_url, pool_size=2)) as client:
        return (await client.post("/api/auth/token", json={"username": username, "password": password})).status_code


async def test_a_successful_login_starts_the_count_again(client, users):
    await users.headers("manager")
    for _ in range(MAX_FAILURES - 1):
        r = await client.post("/api/auth/token", json={"username": "manager-user", "password": "guess"})
        assert r.status_code == 401
    ok = await client.post("/api/auth/token", json={"username": "manager-user", "password": PASSWORD})
    assert ok.status_code == 200
    for _ in range(MAX_FAILURES):
        r = await client.post("/api/auth/token", json={"username": "manager-user", "password": "guess"})
        assert r.status_code == 401, "after a login the user has all their tries again"
