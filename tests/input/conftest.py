"""Hostile input (issue 14, points 10–17): the clinic's fixtures, and what "a clear 4xx"
means, asserted the same way everywhere."""

from __future__ import annotations

import re

import pytest

from tests.clinic.conftest import Api, Clinic, counts, make_clinic
from tests.clinic.test_work_schedule import line, ws
from tests.ui.conftest import browser

__all__ = ["ENGLISH", "api", "browser", "clinic", "counts", "refused", "schedule"]

# What the validation library says in English; none of it may reach a person.
ENGLISH = re.compile(r"of length|matching regex|RFC|int \| null|Expected|Invalid|got `|Object |required field"
                     r"|Missing|parameter|[`$]")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def refused(response, status: int = 422, code: str | None = None) -> dict:
    """The response is the refusal a person can read: the status, a stable code, Russian text."""
    assert response.status_code == status, f"{response.status_code} {response.text[:400]}"
    body = response.json()
    if code is not None:
        assert body["code"] == code, body
    assert CYRILLIC.search(body["message"]), body
    texts = [body["message"], *(body.get("details", {}).get("fields") or {}).values()]
    for text in texts:
        assert not ENGLISH.search(str(text).split(" — ", 1)[-1]), body
    return body


@pytest.fixture
async def api(client, admin) -> Api:
    return Api(client, admin)


@pytest.fixture
async def clinic(api: Api) -> Clinic:
    return await make_clinic(api, cabinet=True)  # a transfer's sample needs two warehouses


@pytest.fixture
async def schedule(api: Api, clinic: Clinic) -> None:
    """Doctor Efimova works 22.12.2021, 08:15–13:00."""
    await api.create("work-schedules", ws("2021-12-01", [line(clinic.efimova, "2021-12-22", "08:15", "13:00")]),
                     post=True)
