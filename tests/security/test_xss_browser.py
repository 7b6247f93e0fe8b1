"""Hostile names in real Chromium: no dialog opens, the name shows as text, and the CSP is never violated.

The server, the browser and the login come from tests/ui/test_browser.py; the
hostile names are those of test_xss.py. Lists, forms, the picker (typing into
it loads the htmx fragment), the day and week calendar, the home page, the
exchange log and Swagger are opened; an ``alert`` would raise a dialog event,
a blocked inline script or style a console "Content Security Policy" error.
"""

from __future__ import annotations

import pytest

from tests.security.test_xss import IMG, SCRIPT
from tests.ui.conftest import DAY, chromium, login, served  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def test_no_dialog_and_no_csp_violation_on_hostile_pages(chromium, served):  # noqa: F811
    api = served.api
    client = api.post("/api/catalogs/clients", json={"name": SCRIPT, "kind": "person"}).json()
    doctor = api.post("/api/catalogs/doctors", json={"name": IMG, "specialty": SCRIPT}).json()
    service = api.post("/api/catalogs/nomenclature", json={"name": IMG, "kind": "service", "price": "700",
                                                           "duration_minutes": 30}).json()
    r = api.post("/api/documents/work-schedules", params={"post": "true"}, json={
        "date": "2030-01-01T00:00:00", "month": "2030-01-01",
        "lines": [{"doctor_id": doctor["id"], "day": DAY, "start": "09:00", "end": "12:00"}]})
    assert r.status_code == 201, r.text
    request = served.create("requests", {"client_id": client["id"], "doctor_id": doctor["id"],
                                         "starts_at": f"{DAY}T09:30:00",
                                         "lines": [{"nomenclature_id": service["id"], "quantity": "1",
                                                    "price": "700"}]})
    page = login(chromium, served)
    dialogs, violations = [], []

    def on_dialog(dialog) -> None:
        if dialog.type == "beforeunload":  # "leave the unsaved form?": yes, that is not the page's doing
            dialog.accept()
        else:
            dialogs.append((dialog.type, dialog.message))
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    paths = ["/catalogs/clients", f"/catalogs/clients/{client['id']}", "/catalogs/doctors",
             f"/catalogs/doctors/{doctor['id']}", "/catalogs/nomenclature", "/documents/requests",
             f"/documents/requests/{request['id']}", f"/schedule?date={DAY}",
             f"/schedule/week?date={DAY}&doctor_id={doctor['id']}", "/", "/integrations/exchange-log",
             "/schema/swagger"]
    for path in paths:
        page.goto(served.base_url + path)
        page.wait_for_load_state("networkidle")
    page.goto(f"{served.base_url}/documents/requests/new")
    box = page.get_by_label("Клиент", exact=True)
    box.fill("script")
    option = page.locator("[data-picker] [role=option]", has_text=SCRIPT).first
    option.wait_for()
    assert option.inner_text().strip().startswith(SCRIPT)  # shown as text (then its code)
    option.click()
    assert box.input_value() == SCRIPT
    page.goto(f"{served.base_url}/schedule?date={DAY}")
    block = page.locator(f'.appointment[data-id="{request["id"]}"]')
    assert SCRIPT in block.inner_text()
    assert block.evaluate("b => b.style.top") != "", "the block's position is set by the static script"
    page.goto(f"{served.base_url}/schema/swagger")
    page.locator("#swagger-container .swagger-ui").wait_for(timeout=60_000)  # its scripts ran (slow at load)
    # ...and it reads the OpenAPI 3.1 document: the operations are listed, not "Unable to render".
    page.locator(".opblock-summary-path", has_text="/api/auth/token").first.wait_for()
    assert "Unable to render" not in page.content()
    page.close()
    assert dialogs == [], dialogs
    assert violations == [], violations
