"""Issue 9, acceptance point 4: forged, expired, wrong-audience and ``alg: none`` JWTs are refused.

Both kinds of token: our API's bearer tokens (:func:`erp.auth.service.read_token`) and amoCRM's
disposable token in the widget's ``X-Auth-Token`` (:mod:`erp.amocrm.widget`). Every bad token is 401
with its reason code, none is 5xx, and a refused booking writes nothing. The widget's basic cases
(``none``, HS512, another key, expired, ``nbf``, audience, account, subdomain, ``not.a.jwt``) are in
``tests/amocrm/test_widget_api.py``; here are the rest, and the two kinds of token mixed up.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.amocrm import conftest as amocrm_fixtures
from tests.amocrm.conftest import AUDIENCE
from tests.conftest import SECRET
from tests.security.matrix_world import logged_in

fake, connected, clinic, engine = (amocrm_fixtures.fake, amocrm_fixtures.connected, amocrm_fixtures.clinic,
                                   amocrm_fixtures.engine)

OTHER_KEY = "another-secret-of-enough-length-0123456789"
SLOTS = "/api/amocrm/widget/slots"
BOOK = "/api/amocrm/widget/appointments"


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    """A JWT with any header and no signature, as an attacker writes it by hand."""
    return f"{b64(header)}.{b64(claims)}."


def rsa_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def hs256_with_any_key(claims: dict, key: bytes) -> str:
    """HS256 over ``key`` whatever it is (PyJWT refuses PEM keys as HMAC secrets; an attacker does not)."""
    import hashlib
    import hmac

    signing = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    return f"{signing}.{b64(hmac.new(key, signing.encode(), hashlib.sha256).digest())}"


# -- the API's bearer tokens ----------------------------------------------------------------------------------


def bearer_cases(admin_id: int, manager_id: int) -> dict[str, tuple[str, bytes | str]]:
    """case → (Authorization header, expected code). Every token claims an administrator."""
    now = int(time.time())
    good = {"sub": str(admin_id), "name": "admin-user", "role": "admin", "typ": "erp-access",
            "iat": now, "exp": now + 600}
    private, public = rsa_pair()
    sign = jwt.encode
    return {
        "no header value": ("", "missing_token"),
        "the scheme alone": ("Bearer", "missing_token"),
        "another scheme": (f"Basic {b64(b'admin-user:password-123')}", "missing_token"),
        "empty token": ("Bearer    ", "invalid_token"),
        "garbage": ("Bearer \xff\xfe%%## not a token".encode("latin-1"), "invalid_token"),
        "three dots": ("Bearer ...", "invalid_token"),
        "not base64": ("Bearer eyJ!.eyJ!.x", "invalid_token"),
        "a JSON list as claims": (f"Bearer {b64({'alg': 'HS256'})}.{b64(b'[1,2]')}.x", "invalid_token"),
        "10 KB": ("Bearer " + "a" * 10_000, "invalid_token"),
        "forged signature": (f"Bearer {sign(good, OTHER_KEY, 'HS256')}", "invalid_token"),
        "signature cut off": ("Bearer " + sign(good, SECRET, "HS256").rsplit(".", 1)[0] + ".", "invalid_token"),
        "claims edited after signing": ("Bearer " + _swap_claims(sign({**good, "role": "manager"}, SECRET, "HS256"),
                                                                 good), "invalid_token"),
        "alg none": (f"Bearer {sign(good, None, 'none')}", "invalid_token"),
        "alg None by hand": (f"Bearer {unsigned({'alg': 'None', 'typ': 'JWT'}, good)}", "invalid_token"),
        "alg NONE by hand": (f"Bearer {unsigned({'alg': 'NONE'}, good)}", "invalid_token"),
        "no alg": (f"Bearer {unsigned({'typ': 'JWT'}, good)}", "invalid_token"),
        "HS512 with our key": (f"Bearer {sign(good, SECRET, 'HS512')}", "invalid_token"),
        "RS256": (f"Bearer {sign(good, private, 'RS256')}", "invalid_token"),
        "HS256 over a public key": (f"Bearer {hs256_with_any_key(good, public)}", "invalid_token"),
        "expired": (f"Bearer {sign({**good, 'iat': now - 700, 'exp': now - 60}, SECRET, 'HS256')}", "token_expired"),
        "not yet valid": (f"Bearer {sign({**good, 'nbf': now + 600}, SECRET, 'HS256')}", "invalid_token"),
        "issued in the future": (f"Bearer {sign({**good, 'iat': now + 600}, SECRET, 'HS256')}", "invalid_token"),
        "an audience (a token for someone else)": (f"Bearer {sign({**good, 'aud': AUDIENCE}, SECRET, 'HS256')}",
                                                   "invalid_token"),
        "no exp": (f"Bearer {sign({k: v for k, v in good.items() if k != 'exp'}, SECRET, 'HS256')}",
                   "invalid_token"),
        "no typ": (f"Bearer {sign({k: v for k, v in good.items() if k != 'typ'}, SECRET, 'HS256')}",
                   "invalid_token"),
        "an unknown role": (f"Bearer {sign({**good, 'role': 'superadmin'}, SECRET, 'HS256')}", "invalid_token"),
        "a subject that is not a user id": (f"Bearer {sign({**good, 'sub': 'admin'}, SECRET, 'HS256')}",
                                            "invalid_token"),
        "a user that does not exist": (f"Bearer {sign({**good, 'sub': '999999'}, SECRET, 'HS256')}",
                                       "token_revoked"),
        "a manager's id with the admin role": (f"Bearer {sign({**good, 'sub': str(manager_id)}, SECRET, 'HS256')}",
                                               "token_revoked"),
    }


def _swap_claims(token: str, claims: dict) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64(claims)}.{signature}"


async def test_bad_bearer_tokens_are_401_with_a_reason_and_never_5xx(client, users, db):
    await users.headers("manager")
    admin = await users.headers("admin")
    ids = {r["role"]: r["id"] for r in await db.fetch("SELECT id, role FROM users")}
    users_before = await db.fetchval("SELECT count(*) FROM users")
    assert (await client.get("/api/users", headers=admin)).status_code == 200, "the good token works"
    cases = bearer_cases(ids["admin"], ids["manager"])
    for case, (header, code) in cases.items():
        for method, path in (("GET", "/api/users"), ("POST", "/api/users")):
            r = await client.request(method, path, headers={"Authorization": header},
                                     json={"username": "intruder", "password": "password-123", "role": "admin"})
            assert r.status_code == 401, (case, method, r.status_code, r.text[:300])
            assert r.json()["code"] == code, (case, r.json())
            assert r.json()["message"], case
    assert await db.fetchval("SELECT count(*) FROM users") == users_before
    print(f"bearer tokens refused: {len(cases)} cases × 2 routes")


async def test_a_token_dies_with_its_users_deactivation_or_new_role(client, users, db):
    manager = await users.headers("manager")
    admin = await users.headers("admin")
    assert (await client.get("/api/auth/me", headers=manager)).status_code == 200
    await db.execute("UPDATE users SET active = false WHERE username = 'manager-user'")
    r = await client.get("/api/auth/me", headers=manager)
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    assert "получите новый токен" in r.json()["message"]
    # a demoted administrator keeps no administrator's token
    assert (await client.get("/api/users", headers=admin)).status_code == 200
    await db.execute("UPDATE users SET role = 'manager' WHERE username = 'admin-user'")
    r = await client.get("/api/users", headers=admin)
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")


async def test_other_kinds_of_credentials_are_no_bearer_token(client, users, fake, connected, clinic):
    admin = await users.headers("admin")
    widget = fake.disposable_token(AUDIENCE, ttl=600)
    r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {widget}"})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token"), "amoCRM's token is not ours"
    r = await client.get("/api/auth/me", headers={"X-Auth-Token": widget})
    assert (r.status_code, r.json()["code"]) == (401, "missing_token"), "the widget's header opens only the widget"
    # nor does the UI's session cookie
    browser = await logged_in(client, "admin-user")
    assert (await browser.get("/admin")).status_code == 200, "the session works in the UI"
    r = await browser.get("/api/auth/me")
    assert (r.status_code, r.json()["code"]) == (401, "missing_token")
    assert (await client.get("/api/auth/me", headers=admin)).status_code == 200


# -- the widget's X-Auth-Token ---------------------------------------------------------------------------------


def widget_cases(fake) -> dict[str, tuple[dict[str, str | bytes], str]]:
    """case → (headers, expected code), beyond tests/amocrm/test_widget_api.py."""
    now = int(time.time())
    good = {"iss": f"https://{fake.subdomain}.amocrm.ru", "aud": AUDIENCE, "jti": "j", "iat": now, "nbf": now,
            "exp": now + 1800, "account_id": fake.account_id, "subdomain": fake.subdomain, "user_id": 1}
    secret = fake.client_secret
    private, public = rsa_pair()

    def header(token: str) -> dict[str, str]:
        return {"X-Auth-Token": token}

    def without(claim: str) -> dict:
        return {k: v for k, v in good.items() if k != claim}

    return {
        "empty": (header(""), "token_missing"),
        "garbage": ({"X-Auth-Token": "\xff\xfe%%##".encode("latin-1")}, "token_malformed"),
        "a JSON list as header": (header(f"{b64(b'[1]')}.{b64(good)}.x"), "token_malformed"),
        "alg None by hand": (header(unsigned({"alg": "None"}, good)), "token_algorithm"),
        "alg NONE by hand": (header(unsigned({"alg": "NONE"}, good)), "token_algorithm"),
        "no alg": (header(unsigned({"typ": "JWT"}, good)), "token_algorithm"),
        "RS256": (header(jwt.encode(good, private, "RS256")), "token_algorithm"),
        "HS256 over a public key": (header(hs256_with_any_key(good, public)), "token_signature"),
        "HS256 with our API's key": (header(jwt.encode(good, SECRET, "HS256")), "token_signature"),
        "our API's bearer token": (header(jwt.encode({"sub": "1", "role": "admin", "typ": "erp-access",
                                                      "exp": now + 600}, SECRET, "HS256")), "token_signature"),
        "signature cut off": (header(jwt.encode(good, secret, "HS256").rsplit(".", 1)[0] + "."), "token_signature"),
        "claims edited after signing": (header(_swap_claims(jwt.encode({**good, "account_id": 1}, secret, "HS256"),
                                                            good)), "token_signature"),
        "issued in the future": (header(jwt.encode({**good, "iat": now + 600}, secret, "HS256")),
                                 "token_not_yet_valid"),
        "no account_id": (header(jwt.encode(without("account_id"), secret, "HS256")), "token_claims"),
        "no exp": (header(jwt.encode(without("exp"), secret, "HS256")), "token_claims"),
        "no aud": (header(jwt.encode(without("aud"), secret, "HS256")), "token_claims"),
        "the account id as text": (header(jwt.encode({**good, "account_id": str(fake.account_id)}, secret, "HS256")),
                                   "token_account"),
        "an audience list of strangers": (header(jwt.encode({**good, "aud": ["https://evil.example"]}, secret,
                                                            "HS256")), "token_audience"),
        "our origin as a prefix of another host": (header(jwt.encode({**good, "aud": AUDIENCE + ".evil.example"},
                                                                     secret, "HS256")), "token_audience"),
        "a bearer token instead": ({"Authorization": f"Bearer {jwt.encode(good, secret, 'HS256')}"},
                                   "token_missing"),
    }


async def test_bad_widget_tokens_are_401_with_a_reason_and_book_nothing(client, fake, connected, clinic, db):
    good = {"X-Auth-Token": fake.disposable_token(AUDIENCE, ttl=600)}
    assert (await client.get(SLOTS, params={"date": "2021-12-22"}, headers=good)).status_code == 200
    booking = {"lead_id": 4242, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "08:15"}
    before = [await db.fetchval(f"SELECT count(*) FROM {t}") for t in ("doc_requests", "cat_clients", "amocrm_events")]
    cases = widget_cases(fake)
    for case, (headers, code) in cases.items():
        for method, path, body in (("GET", SLOTS, None), ("POST", BOOK, booking)):
            r = await client.request(method, path, headers=headers, params={"date": "2021-12-22"}, json=body)
            assert r.status_code == 401, (case, method, r.status_code, r.text[:300])
            assert r.json()["code"] == code, (case, r.json())
            assert r.json()["message"].startswith("Виджет не авторизован"), case
    after = [await db.fetchval(f"SELECT count(*) FROM {t}") for t in ("doc_requests", "cat_clients", "amocrm_events")]
    assert after == before, "no refused token booked anything"
    booked = await client.post(BOOK, headers=good, json=booking)
    assert booked.status_code == 201, "the same booking with the good token goes through"
    print(f"widget tokens refused: {len(cases)} cases × 2 routes")
