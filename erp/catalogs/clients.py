"""Контрагенты (клиенты): persons and companies; "Клиент из AmoCRM" is predefined."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field
from erp.services.requisites import check_inn, check_kpp

AMOCRM_CLIENT = "amocrm_client"


# How many digits the INN of each kind of client has, and the kind as the message names it.
INN_LENGTH = {"company": (10, "организации"), "person": (12, "физического лица"),
              "sole_trader": (12, "индивидуального предпринимателя")}


def _check(item) -> dict[str, str]:
    problems = {}
    if item.get("kind") in ("person", "sole_trader") and item.get("kpp"):
        problems["kpp"] = f"у {INN_LENGTH[item['kind']][1]} нет КПП"
    inn, (digits, whose) = item.get("inn") or "", INN_LENGTH.get(item.get("kind"), (0, ""))
    if inn and digits and (len(inn) != digits or not inn.isdigit()):
        problems["inn"] = f"ИНН {whose} состоит из {digits} цифр"
    elif check_inn(inn):
        problems["inn"] = check_inn(inn)
    if item.get("email") and ("@" not in item["email"] or " " in item["email"]):
        problems["email"] = "неверный адрес электронной почты"
    return problems


clients = Catalog(
    "clients", "Клиенты", item_title="Клиент",
    fields=(
        Field("kind", "enum", "Вид", choices=("person", "sole_trader", "company"), default="person"),
        Field("inn", "str", "ИНН", max_length=12, index=True),  # checked with the kind, in _check
        Field("kpp", "str", "КПП", max_length=9, check=check_kpp),
        Field("phone", "str", "Телефон", max_length=50),
        Field("email", "str", "Эл. почта", max_length=200),
        Field("organization_id", "ref", "Организация (обслуживает)", ref="organizations"),
        Field("birth_date", "date", "Дата рождения"),
        Field("address", "str", "Адрес", max_length=500),
        Field("identity_document", "str", "Документ, удостоверяющий личность", max_length=300),
    ),
    predefined=(Predefined(AMOCRM_CLIENT, "Клиент из AmoCRM"),),
    check=_check, search_fields=("inn", "phone", "email"),
    write_roles=("admin", "accountant", "manager"),
)
