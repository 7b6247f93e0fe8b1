"""Excel import row (12, issue 20 point 3): 10 000 clients from an .xlsx, through the REST API of a real
``erp serve``, in under 30 s.

The workbook is what a clinic brings: a header row as the product's own export writes it, then
persons (name, phone, e-mail), companies (a valid 10-digit INN and a KPP) and sole traders (a
12-digit INN), every INN different and right. ``POST /api/catalogs/clients/import`` is timed from
the upload to the answer: reading the sheet, judging every row with the catalog's checks,
finding none of them existing, and writing them all in one transaction with their audit records.
The check after it counts the clients the import added (exactly the file's rows); the note adds
the preview of the same file (``.../import/preview``, nothing written) and the import of a second
file, the companies and sole traders again with a new phone: found by INN and updated, none created.
"""

from __future__ import annotations

import io
import secrets
import time

import httpx

from .core import Context, Row, fmt, limit, thousands

ORDER = 65

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _control(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def inn(number: int, length: int) -> str:
    if length == 10:
        body = str(number).zfill(9)
        return body + _control(body, _INN10)
    body = str(number).zfill(10)
    body += _control(body, _INN11)
    return body + _control(body, _INN12)


def workbook(n: int, tag: str, seed: int, *, keyed_only: bool = False, phone: str | None = None) -> bytes:
    """``n`` clients: two persons, then a company, then a sole trader, and so on (``keyed_only``: the
    companies and sole traders alone, with ``phone``)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Клиенты")
    sheet.append(["Код", "Наименование", "Вид", "ИНН", "КПП", "Телефон", "Эл. почта"])
    for i in range(n):
        kind = ("Физическое лицо", "Физическое лицо", "Юридическое лицо", "Индивидуальный предприниматель")[i % 4]
        if kind == "Юридическое лицо":
            row = [None, f"ООО «Импорт {tag}-{i:05d}»", kind, inn(seed * 100_000 + i, 10), "770101001", phone, None]
        elif kind == "Индивидуальный предприниматель":
            row = [None, f"ИП Импортов {tag}-{i:05d}", kind, inn(seed * 100_000 + i, 12), None, phone, None]
        elif keyed_only:
            continue
        else:
            row = [None, f"Пациент {tag}-{i:05d}", kind, None, None, f"+7 900 {i // 10000:03d}-{i % 10000:04d}",
                   f"p{i}.{tag}@example.ru"]
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def rows(ctx: Context) -> list[Row]:
    n = ctx.pick(smoke=500, full=10_000)
    tag = secrets.token_hex(3)
    seed = int(tag, 16) % 9000 + 1000
    content = workbook(n, tag, seed)
    changed = workbook(n, tag, seed, keyed_only=True, phone="+7 495 000-00-00")
    server = await ctx.server()
    pool = await ctx.pool()
    before = await pool.fetchval("SELECT count(*) FROM cat_clients")
    files = {"file": ("clients.xlsx", content)}
    async with server.client() as http:
        http.timeout = httpx.Timeout(300)  # a full-size file may take longer than a request's usual minute
        started = time.perf_counter()
        preview = await http.post("/api/catalogs/clients/import/preview", files=files)
        checked = time.perf_counter() - started
        assert preview.status_code == 200 and preview.json()["errors"] == 0, preview.text[:500]
        started = time.perf_counter()
        r = await http.post("/api/catalogs/clients/import", files=files)
        took = time.perf_counter() - started
        assert r.status_code == 200, r.text[:500]
        result = r.json()
        started = time.perf_counter()
        again = await http.post("/api/catalogs/clients/import", files={"file": ("clients-2.xlsx", changed)})
        repeat = time.perf_counter() - started
        assert again.status_code == 200, again.text[:500]
    added = await pool.fetchval("SELECT count(*) FROM cat_clients") - before
    keyed = n // 2  # the companies and sole traders, found again by INN
    assert result["create"] == n and added == n, (result, added)
    assert (again.json()["create"], again.json()["update"]) == (0, keyed), again.json()
    return [limit("12", "Excel import of 10 000 clients",
                  f"{thousands(n)} new clients in one .xlsx ({len(content) // 1024} KB): persons, companies and sole "
                  "traders with valid INNs; POST /api/catalogs/clients/import → erp serve, one transaction",
                  took, "s", at_most=30, target_text="≤ 30 s", comparison=f"{thousands(round(n / took))} rows/s",
                  note=f"preview of the same file {fmt(checked, 's')} (nothing written); a second file of the "
                       f"{thousands(keyed)} companies and sole traders with a new phone: {fmt(repeat, 's')}, all "
                       "found by INN and updated, none created")]
