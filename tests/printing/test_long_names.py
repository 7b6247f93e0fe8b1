"""Acceptance point 19 of issue 14: long names never push the act or the
invoice off the page, and in the signature block they wrap beside the
signature line instead of running over it. Checked on the PDF's own
coordinates (pdfplumber): every character inside the printable area, no
character of a name over a signature line."""

import io

import pdfplumber

from tests.printing.conftest import invoice_data, rendering_data

MM = 72 / 25.4
LEFT, RIGHT = 15 * MM, 10 * MM  # the print stylesheet's page margins
# 60 characters, as a clinic meets them: a double surname and a long patronymic
LONG = "Константинопольская-Шереметьева Александра Вячеславовна-Оглы"


def _check(content: bytes, names: list[str]) -> None:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            outside = [c["text"] for c in chars if c["x0"] < LEFT - 1 or c["x1"] > page.width - RIGHT + 1]
            assert not outside, f"text outside the page box: {''.join(outside)!r}"
            lines = [e for e in page.horizontal_edges if 25 * MM < e["x1"] - e["x0"] < 40 * MM]  # signature lines
            assert lines or page.page_number < len(pdf.pages)
            for line in lines:
                over = [c["text"] for c in chars if c["x1"] > line["x0"] + 0.5 and c["x0"] < line["x1"] - 0.5
                        and line["top"] - 30 < c["top"] < line["top"] + 1]
                assert not over, f"text over a signature line: {''.join(over)!r}"
        text = "".join(c["text"] for page in pdf.pages for c in page.chars if c["text"].strip())
    for name in names:
        assert text.count(name.replace(" ", "")) >= 1, f"{name} is printed whole"


async def test_an_act_for_a_client_with_a_60_character_name_stays_on_the_page(api, clinic):
    assert len(LONG) == 60
    client = await api.item("clients", {"name": LONG, "kind": "person"})
    doc = await api.create("service-renderings", rendering_data(
        clinic, (clinic.service, "1", "1500"), client_id=client["id"]), post=True)
    _check(await api.pdf(f"/api/documents/service-renderings/{doc['id']}/print/act"), [LONG])


async def test_an_invoice_with_long_signatories_stays_on_the_page(api, clinic):
    await api.call("PATCH", f"/api/catalogs/organizations/{clinic.org}",
                   json={"director": LONG, "chief_accountant": LONG})
    client = await api.item("clients", {"name": LONG, "kind": "person"})
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500"), client_id=client["id"]),
                           post=True)
    _check(await api.pdf(f"/api/documents/invoices/{doc['id']}/print/invoice"), [LONG])
