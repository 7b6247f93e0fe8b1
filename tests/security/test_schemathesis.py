"""Issue 9, fuzzing: schemathesis drives every operation of ``/schema/openapi.json`` in process, as an
admin, on a database with the demo clinic (so ids 1, 2, 3… exist), amoCRM connected to the local fake
and SMTP pointed at a local mailbox. No answer may be a 5xx, and every answer (errors included) must
match the schema the operation declares for its status and content type.

Each operation gets schema-valid and schema-breaking cases, a few of each, derandomized so a failure
reproduces; operations that change what the others see (the period lock, SMTP, purges) run last.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
import pytest
import schemathesis
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.python import asgi

from erp import demo
from erp.amocrm.fake import FakeAmo
from tests.amocrm.conftest import AUDIENCE, DOCTORS, TIMES, connect
from tests.conftest import free_port
from tests.printing.test_email import Mailbox

EXAMPLES = 5  # per operation, schema-valid and schema-breaking cases together
DEADLINE_MS = 5000
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Run after the rest: each changes what the other operations see.
LAST = ("PUT /api/period-lock", "PUT /api/settings/smtp", "PUT /api/settings/document-defaults")


@dataclass
class Tally:
    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    exercised: set[str] = field(default_factory=set)
    failures: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def fake():
    handle = FakeAmo.start_in_thread(doctors=DOCTORS, time_values=TIMES, seed=9)
    yield handle
    handle.stop()


@pytest.fixture
def mailbox():
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
                            auth_require_tls=False)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
async def clinic_world(db, settings, client, admin, fake, mailbox):
    """The demo clinic's catalogs, schedules and documents; amoCRM and SMTP reachable locally."""
    for _, step in demo.steps():
        await step(db)
    await connect(db, settings, fake)
    r = await client.put("/api/settings/smtp", headers=admin, json={
        "host": "127.0.0.1", "port": mailbox.port, "security": "none", "username": "clinic",
        "password": "smtp-secret", "from_email": "clinic@example.com", "timeout_seconds": 2})
    assert r.status_code == 200, r.text
    assert await db.fetchval("SELECT count(*) FROM doc_service_renderings") > 0


def _label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _ordered(operations: list) -> list:
    return sorted(operations, key=lambda op: (_label(op) in LAST or op.path.endswith("/purge"), _label(op)))


def _fuzz(operation, headers: dict[str, str], tally: Tally) -> None:
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @hypothesis.settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=DEADLINE_MS,
                         phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=False,
                         suppress_health_check=list(HealthCheck))
    @hypothesis.given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        tally.examples += 1
        tally.statuses[response.status_code] += 1
        tally.exercised.add(_label(operation))
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def _run(app, headers: dict[str, str]) -> tuple[list[str], Tally]:
    # Our admin's token goes on every case: no generated Authorization values to drown it.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    try:
        for operation in _ordered(operations):
            try:
                _fuzz(operation, headers, tally)
            except (Exception, BaseExceptionGroup) as exc:  # one operation's failure must not hide the others'
                tally.failures[_label(operation)] = str(exc)
    finally:
        asgi.shutdown_lifespans()
    return [_label(op) for op in operations], tally


async def test_every_operation_answers_without_5xx_and_as_its_schema_says(settings, database_url, admin, fake,
                                                                        clinic_world):
    from erp.app.application import create_app

    app = create_app(settings, database_url, pool_size=4)
    headers = {**admin, "X-Auth-Token": fake.disposable_token(AUDIENCE)}
    started = time.monotonic()
    operations, tally = await asyncio.to_thread(_run, app, headers)
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {len(tally.exercised)} of {len(operations)} operations, {tally.examples} cases "
          f"in {elapsed:.1f} s; statuses {dict(sorted(tally.statuses.items()))}")
    assert not tally.failures, "\n\n".join(f"{op}:\n{text}" for op, text in tally.failures.items())
    assert len(operations) > 150, "the schema lists every catalog, document and register"
    assert sorted(tally.exercised) == sorted(operations), "every operation was called"
    assert not [s for s in tally.statuses if s >= 500]
    assert any(200 <= s < 300 for s in tally.statuses), "valid cases reached the data, not only errors"


HUGE = 556091131034175799296  # what schemathesis sent: more than a bigint holds


async def test_what_the_fuzzer_found_stays_fixed(client, admin):
    for path in (f"/api/catalogs/clients/{HUGE}", f"/api/documents/invoices/{HUGE}",
                 f"/api/reports/invoices?client_id={HUGE}", f"/api/amocrm/exchange-log?lead_id={HUGE}",
                 f"/api/generated-documents/{HUGE}", f"/api/print/facsimiles/{HUGE}", f"/api/clients/{HUGE}/summary"):
        r = await client.get(path, headers=admin)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "validation_error", path
    r = await client.post("/api/amocrm/connection/webhook", params={"public_url": "\x80\x1c+\x03)"}, headers=admin)
    assert r.status_code == 422 and r.json()["details"]["fields"] == {"public_url": "нужен адрес вида https://…"}
    schema = (await client.get("/schema/openapi.json")).json()
    patch = schema["paths"]["/api/catalogs/clients/{item_id}"]["patch"]["responses"]
    assert patch["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "details"]
    pdf = schema["paths"]["/api/documents/invoices/{doc_id}/print/{form}"]["get"]["responses"]["200"]["content"]
    assert sorted(pdf) == ["application/pdf", "text/html"]
