"""Seed 001 end to end against a real ``erp serve`` (with its worker) and the fake amoCRM, set up with the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.amocrm.conftest import eventually
from tests.conftest import SECRET

pytestmark = pytest.mark.e2e
LEAD = 219219


def erp(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "ERP_SECRET_KEY": SECRET, "ERP_DATA_DIR": str(tmp_path / "d")}
    return subprocess.run([sys.executable, "-m", "erp.app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def test_the_seeds_flow(server, database_url, tmp_path, fake, clinic, admin):
    redirect = f"{server.base_url}/api/amocrm/oauth/callback"
    fake.add_lead(LEAD)
    connected = await asyncio.to_thread(
        erp, database_url, tmp_path, "amocrm", "connect", "--base-url", fake.base_url, "--client-id", fake.client_id,
        "--client-secret", fake.client_secret, "--redirect-uri", redirect, "--code", fake.issue_code())
    assert connected.returncode == 0, connected.stderr
    assert f"amoCRM подключён: {fake.subdomain}" in connected.stdout
    registered = await asyncio.to_thread(erp, database_url, tmp_path, "amocrm", "webhook", "register")
    assert registered.returncode == 0, registered.stderr
    assert fake.webhooks[0]["destination"].startswith(f"{server.base_url}/api/amocrm/webhook/")

    widget = {"X-Auth-Token": fake.disposable_token(server.base_url), "Origin": fake.base_url}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        slots = await http.get("/api/amocrm/widget/slots", params={"date": "2021-12-22"}, headers=widget)
        assert slots.status_code == 200, slots.text
        assert [d["name"] for d in slots.json()["doctors"]] == ["Ефимова Е.В.", "Ишаева М.И."]
        booked = await http.post("/api/amocrm/widget/appointments", headers=widget, json={
            "lead_id": LEAD, "date": "2021-12-22", "doctor_id": clinic.efimova, "time": "09:05"})
        assert booked.status_code == 201, booked.text
        request_id, number = booked.json()["request_id"], booked.json()["number"]
        assert number.isdigit()

        filled = await http.get(f"/api/documents/requests/{request_id}/based/service-renderings", headers=admin)
        assert filled.status_code == 200, filled.text
        rendering = {**filled.json(), "organization_id": clinic.org, "warehouse_id": clinic.warehouse,
                     "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "150.00"}]}
        posted = await http.post("/api/documents/service-renderings", params={"post": "true"}, json=rendering,
                                 headers=admin)
        assert posted.status_code == 201, posted.text
        # The acceptance's own words: within 2 seconds of the posting the lead shows the budget.
        assert await eventually(lambda: fake.lead(LEAD)["price"] == 150, within=2.0), fake.lead(LEAD)
        assert Decimal(fake.field_value(LEAD, "Сумма1С")) == Decimal("150.00")
        assert fake.field_value(LEAD, "Врач") == "Ефимова Е.В." and fake.field_value(LEAD, "Время записи") == "09:05"
        assert fake.notes(LEAD)[0]["params"]["text"] == f"Создана заявка № {number}: Ефимова Е.В., 22.12.2021 09:05"

        sr = posted.json()
        again = {**{k: sr[k] for k in ("date", "organization_id", "client_id", "doctor_id", "warehouse_id")},
                 "lines": [{"nomenclature_id": clinic.service, "quantity": "1", "price": "200.50"}]}
        reposted = await http.put(f"/api/documents/service-renderings/{sr['id']}", json=again, headers=admin)
        assert reposted.status_code == 200 and reposted.json()["posted"], reposted.text
        assert await eventually(lambda: fake.lead(LEAD)["price"] == 201, within=5.0), fake.lead(LEAD)
        assert fake.field_value(LEAD, "Сумма1С") == "200.50"

        unposted = await http.post(f"/api/documents/service-renderings/{sr['id']}/unpost", headers=admin)
        assert unposted.status_code == 200
        assert await eventually(lambda: fake.lead(LEAD)["price"] == 0, within=5.0), fake.lead(LEAD)
        assert Decimal(fake.field_value(LEAD, "Сумма1С")) == 0

        deliveries = await fake.fire_status_change(LEAD, 143)
        assert [d["status_code"] for d in deliveries] == [200]
        request = await http.get(f"/api/documents/requests/{request_id}", headers=admin)
        assert request.json()["posted"] is False, "the lost lead freed the doctor's time"
        log = await http.get("/api/amocrm/exchange-log", params={"direction": "in"}, headers=admin)
        assert "отменена, время врача освобождено" in log.json()["items"][0]["result"]

    status = await asyncio.to_thread(erp, database_url, tmp_path, "amocrm", "status")
    assert status.returncode == 0, status.stderr
    assert fake.subdomain in status.stdout and "с ошибкой 0" in status.stdout
    assert fake.max_requests_per_second <= 7


async def test_widget_zip_builds_the_uploadable_archive(tmp_path):
    out = tmp_path / "widget.zip"
    built = await asyncio.to_thread(erp, "postgresql://unused/none", tmp_path, "amocrm", "widget-zip", "--out",
                                    str(out))
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        manifest = archive.read("manifest.json").decode()
    assert {"manifest.json", "script.js", "i18n/ru.json", "i18n/en.json", "images/logo_main.png"} <= names
    assert '"lcard-1"' in manifest and "backend_url" in manifest
