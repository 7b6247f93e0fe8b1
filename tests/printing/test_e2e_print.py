"""Printing through a real ``erp serve`` process: a PDF and a batch large enough
to go to the worker processes, as the browser and the UI would get them."""

import httpx
import pytest

from erp.auth.service import add_user
from erp.printing.render import PARALLEL_FROM
from tests.printing.conftest import Api, invoice_data, make_clinic, pdf_pages

pytestmark = pytest.mark.e2e


async def test_print_and_batch_through_erp_serve(server, db):
    await add_user(db, "printer", "accountant", "password-123")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        token = (await http.post("/api/auth/token", json={"username": "printer", "password": "password-123"})).json()
        api = Api(http, {"Authorization": f"Bearer {token['access_token']}"})
        await add_user(db, "boss", "admin", "password-123")
        token = (await http.post("/api/auth/token", json={"username": "boss", "password": "password-123"})).json()
        boss = Api(http, {"Authorization": f"Bearer {token['access_token']}"})
        made = await make_clinic(boss)
        ids = [(await boss.create("invoices", invoice_data(made, (made.service, "1", f"{200 + n}")), post=True))["id"]
               for n in range(PARALLEL_FROM + 2)]

        single = pdf_pages(await api.pdf(f"/api/documents/invoices/{ids[0]}/print/invoice"))
        assert "Счёт на оплату № 1 от 22 декабря 2021 г." in single[0]
        r = await api.raw("POST", "/api/print/batch", json={"documents": [{"kind": "invoices", "id": i} for i in ids]})
        pages = pdf_pages(r.content)
        assert [f"Всего к оплате: {200 + n},00" in page for n, page in enumerate(pages)] == [True] * len(ids)
        listed = await api.get("/api/generated-documents", limit=25)
        assert len(listed["items"]) == len(ids) + 1
    log = server.log.read_text()
    assert "worker process died" not in log and "Traceback" not in log, log[-2000:]
