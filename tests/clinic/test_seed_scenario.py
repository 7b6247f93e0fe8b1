"""Acceptance point 9: seed 001's own example, through the REST API.

The December 2021 schedule is posted; on 22.12.2021 Ефимова Е.В. and Ишаева
М.И. work, the third doctor does not. A Request from amoCRM lead 219219 books
Ефимова Е.В. at 9:05, and the slots around it disappear. «Оказание услуг» on
the basis of the Request, with «Номенклатура AmoCRM» at 150,00, makes the client
owe 150,00 and Ефимова Е.В.'s sales 150,00; unposting it takes both back.
"""

from tests.clinic.seed import seed_lines
from tests.clinic.test_free_slots import grid


async def test_the_seed_example(api, clinic):
    schedule = await api.create("work-schedules", {"date": "2021-12-08T00:00:00", "month": "2021-12-01",
                                                   "lines": seed_lines(clinic.doctors)}, post=True)
    assert schedule["posted"]

    day = await api.get("/api/schedule/slots", date="2021-12-22")
    doctors = {d["name"]: d for d in day["doctors"]}
    assert set(doctors) == {"Ефимова Е.В.", "Ишаева М.И."}
    assert doctors["Ефимова Е.В."]["slots"][:6] == ["08:15", "08:20", "08:25", "08:30", "08:35", "08:40"]
    assert doctors["Ишаева М.И."]["slots"][0] == "08:00"
    assert doctors["Ефимова Е.В."]["intervals"] == [["08:15", "13:00"]]

    request = await api.create("requests", {"doctor_id": clinic.efimova, "starts_at": "2021-12-22T09:05:00",
                                            "amocrm_lead_id": 219219}, post=True)
    assert (request["client_id"], request["amocrm_lead_id"], request["posted"]) == (
        clinic.amocrm_client, 219219, True)
    slots = (await api.get("/api/schedule/slots", date="2021-12-22", doctor_id=clinic.efimova))["doctors"][0]["slots"]
    assert slots == grid("08:15", "08:35") + grid("09:35", "12:30")

    filled = await api.get(f"/api/documents/requests/{request['id']}/based/service-renderings")
    assert [ln["nomenclature_id"] for ln in filled["lines"]] == [clinic.amocrm_service]
    filled["lines"][0]["price"] = "150.00"
    rendering = await api.create("service-renderings", filled, post=True)
    assert [(ln["quantity"], ln["price"], ln["amount"]) for ln in rendering["lines"]] == [("1.000", "150.00", "150.00")]
    assert rendering["amount_total"] == "150.00"

    async def owed_and_sold() -> tuple[list, list]:
        owed = await api.balance("settlements", client_id=clinic.amocrm_client)
        sold = await api.turnovers("sales", start="2000-01-01", end="2100-01-01", doctor_id=clinic.efimova)
        return [r["amount"] for r in owed], [r["amount"] for r in sold]

    assert await owed_and_sold() == (["150.00"], ["150.00"])
    await api.post(f"/api/documents/service-renderings/{rendering['id']}/unpost")
    assert await owed_and_sold() == ([], [])
