"""Fixtures of the amoCRM tests: a fake amoCRM in its own thread, a database connected to it, and a
small clinic (seed 001's doctors and December 2021 schedule) to book and render services in."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest

from erp.amocrm import oauth
from erp.amocrm.fake import FakeAmo
from erp.configuration import registry
from erp.demo.clinic import seed_schedule_lines
from erp.platform import catalog_service
from erp.platform.db import create_pool
from erp.platform.posting import Engine

REDIRECT = "https://erp.clinic.test/api/amocrm/oauth/callback"
AUDIENCE = "https://erp.clinic.test"
DOCTORS = ["Ефимова Е.В.", "Петрова О.Н.", "Ишаева М.И."]
TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(7 * 60, 21 * 60, 5)]


@pytest.fixture
def fake():
    """The fake amoCRM with amoCRM's limits, the clinic's doctors in "Врач" and a 5-minute "Время записи"."""
    handle = FakeAmo.start_in_thread(doctors=DOCTORS, time_values=TIMES, seed=5)
    yield handle
    handle.stop()


@pytest.fixture
async def pool(database_url):
    p = await create_pool(database_url, max_size=6)
    yield p
    await p.close()


@pytest.fixture
def engine(settings) -> Engine:
    return Engine(registry(), settings)


async def connect(db, settings, fake, **options) -> dict:
    return await oauth.connect(db, settings, base_url=fake.base_url, client_id=fake.client_id,
                               client_secret=fake.client_secret, redirect_uri=REDIRECT, code=fake.issue_code(),
                               **options)


@pytest.fixture
async def connected(db, settings, fake) -> dict:
    return await connect(db, settings, fake)


@dataclass(frozen=True)
class Clinic:
    org: int
    warehouse: int
    efimova: int
    third: int
    ishaeva: int
    service: int


async def _item(db, name: str, data: dict) -> int:
    reg = registry()
    return (await catalog_service.create(db, reg, reg.catalogs[name], data))["id"]


@pytest.fixture
async def clinic(db, engine) -> Clinic:
    """An organization, a warehouse, the seed's three doctors and its December 2021 schedule."""
    org = await _item(db, "organizations", {"name": "Клиника", "inn": "7707083893", "kpp": "773601001",
                                            "vat_rate": "none"})
    warehouse = await _item(db, "warehouses", {"name": "Основной склад"})
    doctors = [await _item(db, "doctors", {"name": name}) for name in DOCTORS]
    await engine.create(db, registry().documents["work-schedules"], {
        "date": "2021-12-08T00:00:00", "month": "2021-12-01", "lines": seed_schedule_lines(tuple(doctors))},
        post=True)
    service = await db.fetchval("SELECT id FROM cat_nomenclature WHERE predefined = 'amocrm_service'")
    return Clinic(org, warehouse, *doctors, service)


async def request_for_lead(db, engine: Engine, clinic: Clinic, lead_id: int | None, *, starts: str | None = None,
                           post: bool = False):
    """A Request of lead ``lead_id``; unposted ones need no free time, so any number fit."""
    return await engine.create(db, registry().documents["requests"], {
        "doctor_id": clinic.efimova, "starts_at": starts or "2021-12-22T09:05:00", "amocrm_lead_id": lead_id,
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "0"}]}, post=post)


async def render(db, engine: Engine, clinic: Clinic, request_id: int, amount: str, *, post: bool = True):
    """Оказание услуг on the basis of the Request: one line "Номенклатура AmoCRM" at ``amount``."""
    kind = registry().documents["service-renderings"]
    filled = await engine.fill_based_on(db, kind, "requests", request_id)
    filled["lines"] = [{"nomenclature_id": clinic.service, "quantity": "1", "price": amount}]
    filled["organization_id"], filled["warehouse_id"] = clinic.org, clinic.warehouse
    filled["date"] = "2021-12-22T10:00:00"
    return await engine.create(db, kind, filled, post=post)


async def repost(db, engine: Engine, clinic: Clinic, sr, amount: str):
    """Save the posted ServiceRendering with a new price: 1C re-posts it."""
    kind = registry().documents["service-renderings"]
    return await engine.update(db, kind, sr.id, {
        **{k: v for k, v in sr.header.items() if k != "amount_total"}, "date": sr.date.isoformat(),
        "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": amount}]})


async def lead_total(db, lead_id: int) -> Decimal:
    from erp.amocrm.updates import totals

    return (await totals(db, [lead_id]))[lead_id]


async def eventually(check, within: float = 10.0, interval: float = 0.05):
    """Wait until ``check()`` (sync or async) is truthy; its last value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
