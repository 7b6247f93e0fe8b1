"""Контрагенты (клиенты): persons and companies; "Клиент из AmoCRM" is predefined."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field
from erp.requisites import check_inn, check_kpp

AMOCRM_CLIENT = "amocrm_client"


def _check(item) -> dict[str, str]:
    problems = {}
    if item.get("kind") == "person" and item.get("kpp"):
        problems["kpp"] = "у физического лица нет КПП"
    if item.get("email") and ("@" not in item["email"] or " " in item["email"]):
        problems["email"] = "неверный адрес электронной почты"
    return problems


clients = Catalog(
    "clients", "Клиенты", item_title="Клиент",
    fields=(
        Field("kind", "enum", "Вид", choices=("person", "company"), default="person"),
        Field("inn", "str", "ИНН", max_length=12, check=check_inn, index=True),
        Field("kpp", "str", "КПП", max_length=9, check=check_kpp),
        Field("phone", "str", "Телефон", max_length=50),
        Field("email", "str", "Эл. почта", max_length=200),
        Field("organization_id", "ref", "Организация (обслуживает)", ref="organizations"),
    ),
    predefined=(Predefined(AMOCRM_CLIENT, "Клиент из AmoCRM"),),
    check=_check, search_fields=("inn", "phone", "email"),
    write_roles=("admin", "accountant", "manager"),
)
