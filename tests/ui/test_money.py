"""Issue 15 in the web UI: the money catalogs, documents and reports."""


async def test_the_ui_lists_the_cash_desks_in_the_catalogs(browser, clinic, api):
    await api.item("cash-desks", {"name": "Касса регистратуры", "organization_id": clinic.org})
    page = (await browser.get("/catalogs")).text
    assert "Кассы" in page and "Статьи движения денежных средств" in page
    assert "Касса регистратуры" in (await browser.get("/catalogs/cash-desks")).text
    assert "Оплата поставщикам" in (await browser.get("/catalogs/cash-flow-items")).text
