"""The clinic's test fixtures: an admin API client and a small clinic
(organization, bank account, three doctors, a warehouse, clients, a service
and goods) created through the REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


class Api:
    """The REST API as one role sees it; each call asserts the status it expects."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    async def call(self, method: str, path: str, *, status: int = 200, json: Any = None,
                   params: dict | None = None) -> Any:
        r = await self.client.request(method, path, json=json, params=params, headers=self.headers)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def get(self, path: str, expect: int = 200, **params) -> Any:
        return await self.call("GET", path, status=expect, params=params or None)

    async def post(self, path: str, json: Any = None, status: int = 200, **params) -> Any:
        return await self.call("POST", path, status=status, json=json, params=params or None)

    async def create(self, kind: str, data: dict, status: int = 201, post: bool = False) -> Any:
        return await self.call("POST", f"/api/documents/{kind}", status=status, json=data,
                               params={"post": "true"} if post else None)

    async def put(self, path: str, json: Any, status: int = 200) -> Any:
        return await self.call("PUT", path, status=status, json=json)

    async def patch(self, path: str, json: Any, status: int = 200) -> Any:
        return await self.call("PATCH", path, status=status, json=json)

    async def item(self, catalog: str, data: dict, status: int = 201) -> Any:
        return await self.call("POST", f"/api/catalogs/{catalog}", status=status, json=data)

    async def balance(self, register: str, **params) -> list[dict]:
        return await self.get(f"/api/registers/{register}/balance", **params)

    async def turnovers(self, register: str, **params) -> list[dict]:
        return await self.get(f"/api/registers/{register}/turnovers", **params)


@pytest.fixture
async def api(client, admin) -> Api:
    return Api(client, admin)


@dataclass(frozen=True)
class Clinic:
    org: int
    account: int
    efimova: int
    third: int
    ishaeva: int
    warehouse: int
    client: int
    supplier: int
    service: int
    goods: int
    amocrm_client: int
    amocrm_service: int
    cabinet: int = 0  # a second warehouse, «Процедурный кабинет», for transfers (``make_clinic(cabinet=True)``)
    room: int = 0  # the resource «Кабинет 1», always available
    desk: int = 0  # the cash desk «Основная касса»

    @property
    def doctors(self) -> tuple[int, int, int]:
        """In the seed's column order."""
        return self.efimova, self.third, self.ishaeva


@pytest.fixture
async def clinic(api: Api) -> Clinic:
    return await make_clinic(api)


async def make_clinic(api: Api, cabinet: bool = False) -> Clinic:
    """The clinic created through the API as ``api``'s role; with ``cabinet``, a second warehouse too."""
    org = await api.item("organizations", {
        "name": "Клиника", "full_name": "ООО «Клиника»", "inn": "7707083893", "kpp": "773601001",
        "ogrn": "1027700132195", "vat_rate": "none", "number_prefix": "К"})
    account = await api.item("bank-accounts", {
        "name": "Основной", "organization_id": org["id"], "bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "account_number": "40702810938000000001",
        "is_default": True})
    doctors = [await api.item("doctors", {"name": name, "full_name": full, "specialty": "Терапевт"})
               for name, full in (("Ефимова Е.В.", "Ефимова Елена Викторовна"),
                                  ("Петрова О.Н.", "Петрова Ольга Николаевна"),
                                  ("Ишаева М.И.", "Ишаева Марина Игоревна"))]
    warehouse = await api.item("warehouses", {"name": "Основной склад"})
    client = await api.item("clients", {"name": "Иванов Иван Иванович", "kind": "person"})
    supplier = await api.item("clients", {"name": "ООО «МедСнаб»", "kind": "company", "inn": "7812345675",
                                          "kpp": "781201001"})
    service = await api.item("nomenclature", {"name": "Приём терапевта", "kind": "service", "price": "1500.00",
                                              "duration_minutes": 40})
    goods = await api.item("nomenclature", {"name": "Шприц 5 мл", "kind": "goods", "price": "25.00"})
    amocrm_client = await predefined(api, "clients", "Клиент из AmoCRM")
    amocrm_service = await predefined(api, "nomenclature", "Номенклатура AmoCRM")
    second = (await api.item("warehouses", {"name": "Процедурный кабинет"}))["id"] if cabinet else 0
    room = await api.item("resources", {"name": "Кабинет 1", "kind": "room"})
    desk = await api.item("cash-desks", {"name": "Основная касса", "organization_id": org["id"]})
    return Clinic(org["id"], account["id"], *(d["id"] for d in doctors), warehouse["id"], client["id"],
                  supplier["id"], service["id"], goods["id"], amocrm_client["id"], amocrm_service["id"],
                  cabinet=second, room=room["id"], desk=desk["id"])


async def predefined(api: Api, catalog: str, name: str) -> dict:
    """The predefined item called ``name``, found as a user finds it: by searching."""
    page = await api.get(f"/api/catalogs/{catalog}", q=name)
    found = [item for item in page["items"] if item["predefined"]]
    assert [item["name"] for item in found] == [name]
    return found[0]


async def counts(db) -> dict[str, int]:
    """Rows of every document, register and catalog table: "nothing was written" is these unchanged."""
    tables = [r["tablename"] for r in await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND (tablename LIKE 'doc\\_%' OR tablename LIKE 'reg\\_%' OR tablename LIKE 'inf\\_%'"
        " OR tablename LIKE 'cat\\_%' OR tablename = 'document_counters') ORDER BY 1")]
    return {t: await db.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
