"""Fixtures of the Excel import tests: the small clinic, an admin's browser, and workbooks made as a user makes them."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from tests.ui.conftest import api, browser, clinic, login_as  # noqa: F401  (fixtures reused here)


def xlsx(headers: list[str], *rows: list[Any], title: str = "Лист1") -> bytes:
    """A workbook as Excel saves one: a header row, then the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(client, headers: dict, catalog: str, content: bytes, *, preview: bool = False,
                 mapping: str | None = None, status: int = 200, filename: str = "file.xlsx") -> dict:
    path = f"/api/catalogs/{catalog}/import" + ("/preview" if preview else "")
    data = {"mapping": mapping} if mapping is not None else {}
    r = await client.post(path, headers=headers, files={"file": (filename, content)}, data=data)
    assert r.status_code == status, f"POST {path}: {r.status_code} {r.text[:3000]}"
    return r.json()


async def snapshot(db, table: str) -> list[dict]:
    """Every row of a catalog table, in code order: "nothing changed" is this unchanged."""
    return [dict(r) for r in await db.fetch(f'SELECT * FROM "{table}" ORDER BY code')]


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _control(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def inn(number: int, length: int = 10) -> str:
    """A valid INN (its control digits right) made from ``number``."""
    if length == 10:
        body = str(number).zfill(9)[-9:]
        return body + _control(body, _INN10)
    body = str(number).zfill(10)[-10:]
    body += _control(body, _INN11)
    return body + _control(body, _INN12)


async def audit_rows(db) -> int:
    return await db.fetchval("SELECT count(*) FROM audit_log")


async def fill_catalogs(rest, ids) -> dict[str, int]:
    """Every importable catalog with what a clinic has: groups within groups, articles, durations, VAT,
    a sole trader, a client served by an organization, a doctor no longer seeing patients, a marked item."""
    services = await rest.item("nomenclature", {"name": "Услуги", "is_group": True})
    therapy = await rest.item("nomenclature", {"name": "Терапия", "is_group": True, "parent_id": services["id"]})
    await rest.item("nomenclature", {"name": "Консультация терапевта повторная", "kind": "service",
                                    "parent_id": therapy["id"], "article": "T-002", "price": "1250.50",
                                    "vat_rate": "20", "duration_minutes": 20, "unit": "усл"})
    await rest.item("nomenclature", {"name": "Бинт стерильный 7×14", "kind": "goods", "unit": "упак",
                                    "article": "B-714", "price": "38.90", "vat_rate": "10"})
    await rest.item("clients", {"name": "ИП Сидоров Пётр Петрович", "kind": "sole_trader", "inn": inn(5001007, 12),
                               "phone": "+7 916 000-00-01", "email": "sidorov@example.ru"})
    await rest.item("clients", {"name": "Смирнова Анна", "kind": "person", "phone": "8 (495) 123-45-67",
                               "organization_id": ids.org})
    marked = await rest.item("clients", {"name": "Удалённый клиент", "kind": "person"})
    await rest.post(f"/api/catalogs/clients/{marked['id']}/mark-deletion")
    await rest.item("doctors", {"name": "Орлов Д.С.", "full_name": "Орлов Дмитрий Сергеевич", "specialty": "Хирург",
                               "active": False})
    await rest.item("warehouses", {"name": "Аптечный склад"})
    return {"services": services["id"], "therapy": therapy["id"]}
