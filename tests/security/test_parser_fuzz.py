"""Issue 9, fuzzing: Hypothesis against the two parsers of what strangers send, amoCRM's webhook
form and the widget's JWT. As pure functions they raise nothing but the API's own errors (4xx);
through HTTP, on a database connected to the fake amoCRM, malformed input is 4xx, never 5xx, and
writes nothing. Example counts are bounded and derandomized, with no example database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp.amocrm import connection, webhooks, widget
from erp.amocrm.connection import Connection
from erp.amocrm.fake import FakeAmo
from erp.platform.errors import ErpError, Unauthorized
from tests.amocrm.conftest import AUDIENCE, DOCTORS, TIMES, connect
from tests.clinic.conftest import counts
from tests.security.strategies import ascii_text, tokens, webhook_bodies, well_formed

ACCOUNT_ID, SUBDOMAIN, SECRET = 29_000_111, "clinic", "client-secret-of-the-integration-0123456789"
PURE = settings(max_examples=200, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
HTTP = settings(max_examples=50, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
ACCOUNT = Connection(base_url=f"https://{SUBDOMAIN}.amocrm.ru", client_id="id", redirect_uri=f"{AUDIENCE}/cb",
                     account_id=ACCOUNT_ID, subdomain=SUBDOMAIN, expires_at=None, refreshed_at=None, lead_fields={},
                     paused_at=None, pause_code="", pause_message="", client_secret=SECRET)


# -- the pure parsers ---------------------------------------------------------------------------


def _events_or_4xx(body: bytes) -> tuple[list[int], list[int]] | None:
    try:
        return webhooks.read_events(body, ACCOUNT_ID)
    except ErpError as exc:
        assert 400 <= exc.status < 500 and exc.code and exc.message, exc
        return None


@PURE
@given(st.binary(max_size=400))
def test_any_bytes_are_a_webhook_or_a_4xx(body):
    assert isinstance(webhooks.parse_form(body), dict)
    _events_or_4xx(body)


@PURE
@given(webhook_bodies(ACCOUNT_ID))
def test_near_valid_webhooks_give_valid_lead_ids_or_a_4xx(body):
    events = _events_or_4xx(body)
    if events is not None:
        for lead_id in events[0] + events[1]:
            assert type(lead_id) is int and 0 < lead_id < 2**63
            assert str(lead_id).encode() in body


@PURE
@given(st.lists(st.integers(1, 2**63 - 1), max_size=4), st.lists(st.integers(1, 2**63 - 1), max_size=4),
       st.lists(st.integers(1, 2**63 - 1), max_size=3))
def test_what_amocrm_sends_is_read_exactly(lost, deleted, other):
    assert webhooks.read_events(well_formed(ACCOUNT_ID, lost, deleted, other), ACCOUNT_ID) == (lost, deleted)
    with pytest.raises(ErpError) as refused:
        webhooks.read_events(well_formed(ACCOUNT_ID + 1, lost, deleted, other), ACCOUNT_ID)
    assert refused.value.status == 403 and refused.value.code == "webhook_account"


def _claims_or_401(token: str) -> dict | None:
    try:
        claims = widget.verify(token, ACCOUNT)
    except Unauthorized as exc:
        assert exc.status == 401 and exc.code.startswith("token_"), exc
        return None
    assert type(claims["account_id"]) is int and claims["account_id"] == ACCOUNT_ID
    return claims


@PURE
@given(st.text(max_size=300))
def test_any_text_is_a_token_or_a_401(token):
    _claims_or_401(token)


@PURE
@given(tokens(SECRET, AUDIENCE, ACCOUNT_ID, SUBDOMAIN))
def test_near_valid_tokens_are_accepted_only_when_valid(token):
    claims = _claims_or_401(token)
    if claims is not None:
        assert token.count(".") == 2
        assert int(claims["exp"]) > dt.datetime.now().timestamp() - widget.LEEWAY_SECONDS


# -- through HTTP -------------------------------------------------------------------------------


@pytest.fixture
def fake():
    handle = FakeAmo.start_in_thread(doctors=DOCTORS, time_values=TIMES, seed=9)
    yield handle
    handle.stop()


@pytest.fixture
async def connected(db, settings, fake):
    await connect(db, settings, fake)
    return await connection.load(db, settings.secret_key)


async def _written(db) -> dict[str, int]:
    return {**await counts(db), "amocrm_events": await db.fetchval("SELECT count(*) FROM amocrm_events")}


def _drive(loop: asyncio.AbstractEventLoop, strategy, check, run_settings) -> int:
    """Run ``check(example)`` (a coroutine function) on the test's loop for each example; their count."""
    seen = []

    @run_settings
    @given(strategy)
    def run(example) -> None:
        seen.append(example)
        asyncio.run_coroutine_threadsafe(check(example), loop).result(60)

    run()
    return len(seen)


async def test_malformed_webhooks_are_4xx_and_write_nothing(client, db, connected):
    before = await _written(db)
    statuses = []

    async def check(body: bytes) -> None:
        r = await client.post(f"/api/amocrm/webhook/{connected.webhook_secret}", content=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 403, 422), (body, r.status_code, r.text)
        statuses.append(r.status_code)
        if r.status_code != 200:
            assert await _written(db) == before, body
        else:
            before.update(await _written(db))  # a lost lead without Requests is logged, nothing else

    bodies = webhook_bodies(connected.account_id) | st.binary(max_size=200)
    assert await asyncio.to_thread(_drive, asyncio.get_running_loop(), bodies, check, HTTP) == 50
    assert {403, 422} <= set(statuses), "both refusals were reached"


async def test_malformed_widget_tokens_are_401_and_book_nothing(client, db, fake, connected):
    before = await _written(db)

    async def check(token: str) -> None:
        headers = {"X-Auth-Token": token}
        slots = await client.get("/api/amocrm/widget/slots", params={"date": "2021-12-22"}, headers=headers)
        assert slots.status_code in (200, 401), (token, slots.text)
        book = await client.post("/api/amocrm/widget/appointments", headers=headers, json={
            "lead_id": 219219, "date": "2021-12-22", "doctor_id": 1, "time": "09:05"})
        if slots.status_code == 401:
            assert book.status_code == 401 and book.json()["code"].startswith("token_"), (token, book.text)
            assert await _written(db) == before, token
        else:
            assert book.status_code < 500, (token, book.text)

    strategy = tokens(fake.client_secret, AUDIENCE, fake.account_id, fake.subdomain) | ascii_text
    assert await asyncio.to_thread(_drive, asyncio.get_running_loop(), strategy, check, HTTP) == 50
