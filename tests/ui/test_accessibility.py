"""Usable by keyboard: every input of the main screens has a label. Focus,
Tab order, Enter and Ctrl+Enter are driven in real Chromium in
``test_browser_forms.py``."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.ui.conftest import DAY, schedule_month


class Controls(HTMLParser):
    """Inputs, selects and textareas without a label, an aria-label or a wrapping label."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[dict] = []
        self.in_label = 0
        self.in_template = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labels.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append({**a, "_wrapped": self.in_label > 0, "_template": self.in_template > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1
        if tag == "template":
            self.in_template -= 1

    def unlabelled(self) -> list[str]:
        return [c.get("name") or c.get("id") or "?" for c in self.controls
                if not (c["_wrapped"] or c.get("aria-label") or c.get("id") in self.labels)]


async def test_every_input_of_the_main_screens_has_a_label(browser, api, clinic):
    await schedule_month(api, clinic)
    request = await api.create("requests", {"client_id": clinic.client, "doctor_id": clinic.efimova,
                                            "starts_at": f"{DAY}T09:00:00"}, post=True)
    for path in ("/login", "/", "/catalogs/clients", "/catalogs/clients/new", "/catalogs/resources/new",
                 "/documents/resource-schedules/new", "/documents/service-renderings",
                 "/documents/service-renderings/new", f"/documents/requests/{request['id']}",
                 "/schedule/work-schedules/new?month=2030-01", f"/schedule?date={DAY}", f"/schedule/week?date={DAY}",
                 f"/schedule/month?date={DAY}", "/reports/stock",
                 "/reports/stock-turnover", "/reports/item-history", "/reports/sales", "/reports/money",
                 "/reports/money/flow", "/reports/receivables",
                 f"/reports/money/documents?organization_id={clinic.org}&account_kind=cash-desks&account_id={clinic.desk}",
                 f"/reports/receivables/invoices?client_id={clinic.client}", "/reports/reconciliation",
                 f"/reports/reconciliation?counterparty_id={clinic.client}", "/integrations",
                 "/integrations/exchange-log", "/admin/users", "/admin/settings",
                 "/admin/period-lock", "/admin/document-defaults", "/admin/print-templates",
                 "/admin/print-templates/invoice", "/admin/print-templates/new?kind=requests",
                 "/admin/print-variables", f"/clients/{clinic.client}"):
        parser = Controls()
        parser.feed((await browser.get(path)).text)
        assert parser.controls or path == "/", path
        assert parser.unlabelled() == [], path

