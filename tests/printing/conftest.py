"""Print form fixtures: a clinic with full requisites created through the REST
API, invoices and acts, and reading PDFs back as text."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pypdf
import pytest


class Api:
    """The REST API as one role sees it; each call asserts the status it expects."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    async def raw(self, method: str, path: str, *, status: int = 200, **kwargs):
        r = await self.client.request(method, path, headers=self.headers, **kwargs)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r

    async def call(self, method: str, path: str, *, status: int = 200, json: Any = None,
                   params: dict | None = None) -> Any:
        r = await self.raw(method, path, status=status, json=json, params=params)
        return r.json() if r.content else None

    async def get(self, path: str, status: int = 200, **params) -> Any:
        return await self.call("GET", path, status=status, params=params or None)

    async def post(self, path: str, json: Any = None, status: int = 200) -> Any:
        return await self.call("POST", path, status=status, json=json)

    async def put(self, path: str, json: Any, status: int = 200) -> Any:
        return await self.call("PUT", path, status=status, json=json)

    async def item(self, catalog: str, data: dict) -> dict:
        return await self.call("POST", f"/api/catalogs/{catalog}", status=201, json=data)

    async def create(self, kind: str, data: dict, post: bool = False) -> dict:
        return await self.call("POST", f"/api/documents/{kind}", status=201, json=data,
                               params={"post": "true"} if post else None)

    async def pdf(self, path: str, status: int = 200, **params) -> bytes:
        r = await self.raw("GET", path, status=status, params=params or None)
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")
        return r.content


@pytest.fixture
async def api(client, admin) -> Api:
    return Api(client, admin)


@dataclass(frozen=True)
class Clinic:
    org: int
    account: int
    client: int
    company: int
    service: int
    goods: int
    doctor: int


@pytest.fixture
async def clinic(api: Api) -> Clinic:
    return await make_clinic(api)


async def make_clinic(api: Api) -> Clinic:
    """An organization with full requisites and a bank account, clients, services, goods, a doctor."""
    org = await api.item("organizations", {
        "name": "Клиника", "full_name": "ООО «Клиника Здоровье»", "inn": "7707083893", "kpp": "773601001",
        "ogrn": "1027700132195", "address": "191000, Санкт-Петербург, Невский пр., д. 1",
        "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В.", "vat_rate": "none",
        "number_prefix": "К"})
    account = await api.item("bank-accounts", {
        "name": "Основной", "organization_id": org["id"], "bank_name": "ПАО Сбербанк г. Москва",
        "bik": "044525225", "correspondent_account": "30101810400000000225",
        "account_number": "40702810938000000001", "is_default": True})
    client = await api.item("clients", {"name": "Иванов Иван Иванович", "kind": "person",
                                        "email": "ivanov@example.com"})
    company = await api.item("clients", {"name": "ООО «МедСнаб»", "kind": "company", "inn": "7812345675",
                                         "kpp": "781201001"})
    service = await api.item("nomenclature", {"name": "Приём терапевта", "kind": "service", "unit": "усл",
                                              "price": "1500.00"})
    goods = await api.item("nomenclature", {"name": "Шприц 5 мл", "kind": "goods", "unit": "шт", "price": "25.00"})
    doctor = await api.item("doctors", {"name": "Ефимова Е.В.", "full_name": "Ефимова Елена Викторовна"})
    return Clinic(org["id"], account["id"], client["id"], company["id"], service["id"], goods["id"], doctor["id"])


def invoice_data(clinic: Clinic, *lines: tuple[int, str, str], **header) -> dict:
    return {"date": "2021-12-22T13:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
            "client_id": clinic.client, **header,
            "lines": [{"nomenclature_id": n, "quantity": q, "price": p} for n, q, p in lines]}


def rendering_data(clinic: Clinic, *lines: tuple[int, str, str], **header) -> dict:
    return {"date": "2021-12-22T15:00:00", "organization_id": clinic.org, "client_id": clinic.client,
            "doctor_id": clinic.doctor, **header,
            "lines": [{"nomenclature_id": n, "quantity": q, "price": p} for n, q, p in lines]}


def pdf_pages(content: bytes) -> list[str]:
    """The text of every page as one line: any run of white space (line breaks,
    no-break spaces) is one space, as a reader would see it."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return [re.sub(r"\s+", " ", page.extract_text()).strip() for page in reader.pages]


def pdf_text(content: bytes) -> str:
    return " ".join(pdf_pages(content))


def pdf_images(content: bytes) -> int:
    """How many images the PDF draws (facsimiles, stamps)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return sum(len(page.images) for page in reader.pages)


async def generated_count(db) -> int:
    return await db.fetchval("SELECT count(*) FROM generated_documents")
