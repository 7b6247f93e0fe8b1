"""Номенклатура: goods and services; the service "Номенклатура AmoCRM" is predefined.

A service may list who performs it and where (issue 18, point 9): «Исполнители услуги» (doctors, each
with their own duration of it) and «Кабинеты услуги» (rooms). A service with performers is booked with
one of them only, and its free slots are those of its performers at times when one of its rooms is free
too; a service without them is booked with any doctor in any room. A group service (point 10) has a
number of places: that many clients book one slot of one doctor together."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.catalog_parts import TabularPart
from erp.platform.fields import Field

from .organizations import VAT_RATES

AMOCRM_SERVICE = "amocrm_service"

# Units of measure (ОКЕИ short names) a clinic's goods and services come in. The item form takes any
# unit; the Excel import refuses a unit that is neither here nor already in use, so a typo in a price
# list of thousands of lines is caught before it becomes a new unit.
UNITS = ("шт", "усл", "упак", "уп", "компл", "пар", "кг", "г", "мг", "л", "мл", "м", "см", "мм", "м2",
         "фл", "амп", "таб", "доза", "рул", "пач", "бут", "ч", "мин", "сеанс", "процедура", "посещ")
# Their ОКЕИ codes, where the classifier has one: the unified print forms (ТОРГ-13, ТОРГ-16) and the
# EnterpriseData export print or send them beside the name; any other unit goes by its name alone.
OKEI = {"шт": "796", "усл": "876", "упак": "778", "уп": "778", "компл": "839", "пар": "715", "кг": "166",
        "г": "163", "мг": "161", "л": "112", "мл": "111", "м": "006", "см": "004", "мм": "003", "м2": "055",
        "ч": "356", "мин": "355"}


def _only_services(part: str, what: str):
    def check(item, rows) -> dict[str, str]:
        if rows and item.get("kind") != "service":
            return {part: f"{what} бывают только у услуг: у товара их нет"}
        return {}
    return check


def _check(item) -> dict[str, str]:
    if item.get("group_capacity") is not None and item.get("kind") != "service":
        return {"group_capacity": "групповой бывает только услуга"}
    return {}


# Материалы услуги: the goods a service consumes, per unit of the service. Posting a ServiceRendering
# writes them off its warehouse at the moving-average cost (erp/documents/service_materials.py).
MATERIALS = TabularPart(
    "materials", "Материалы услуги",
    fields=(Field("nomenclature_id", "ref", "Материал", ref="nomenclature", required=True,
                  extra={"ref_where": {"kind": "goods"},
                         "ref_refusal": "«{name}» — услуга: материалами могут быть только товары",
                         "not_self": "услуга не может быть собственным материалом"}),
            Field("quantity", "quantity", "Количество", required=True,
                  check=lambda v: None if v > 0 else "количество должно быть больше нуля")),
    unique=("nomenclature_id",), unique_message="этот материал уже есть в списке",
    check=_only_services("materials", "материалы"),
)

# Исполнители услуги: the doctors who perform the service, each with the length of their appointment for it
# (empty: the service's own «Длительность приёма»). A service with no rows is performed by any doctor.
PERFORMERS = TabularPart(
    "performers", "Исполнители услуги",
    fields=(Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
            Field("duration_minutes", "int", "Длительность, мин",
                  check=lambda v: None if 0 < v <= 24 * 60 else "от 1 до 1440 минут")),
    unique=("doctor_id",), unique_message="этот врач уже есть в списке",
    check=_only_services("performers", "исполнители"),
)

# Кабинеты услуги: the rooms where the service is performed; free slots need one of them free.
ROOMS = TabularPart(
    "rooms", "Кабинеты услуги",
    fields=(Field("room_id", "ref", "Кабинет", ref="resources", required=True,
                  extra={"ref_where": {"kind": "room"}, "ref_refusal": "«{name}» — не кабинет",
                         "picker_fixed": {"kind": "room"}}),),
    unique=("room_id",), unique_message="этот кабинет уже есть в списке",
    check=_only_services("rooms", "кабинеты"),
)


def _only_goods(item, rows) -> dict[str, str]:
    if rows and item.get("kind") != "goods":
        return {"minimums": "минимальный остаток задаётся только для товаров: у услуги его нет"}
    return {}


# Минимальный остаток по складам (как «Настройки обеспечения» 1C:УТ для товара и склада): below it the
# item shows on the home page and in «Потребность в закупке» (ui/purchase_needs.py).
MINIMUMS = TabularPart(
    "minimums", "Минимальные остатки",
    fields=(Field("warehouse_id", "ref", "Склад", ref="warehouses", required=True),
            Field("minimum", "quantity", "Минимальный остаток", required=True,
                  check=lambda v: None if v >= 0 else "минимальный остаток не может быть отрицательным")),
    unique=("warehouse_id",), unique_message="для этого склада минимальный остаток уже задан",
    check=_only_goods,
)

nomenclature = Catalog(
    "nomenclature", "Номенклатура", item_title="Номенклатура", hierarchical=True,
    fields=(
        Field("kind", "enum", "Вид", choices=("goods", "service"), default="service", fixed_once_used=True),
        Field("unit", "str", "Единица", max_length=20, default="шт"),
        Field("article", "str", "Артикул", max_length=50),
        Field("vat_rate", "enum", "Ставка НДС", choices=VAT_RATES, default="none"),
        Field("price", "money", "Цена", nonnegative=True, default=0),
        Field("duration_minutes", "int", "Длительность приёма, мин",
              check=lambda v: None if 0 < v <= 24 * 60 else "от 1 до 1440 минут"),
        Field("group_capacity", "int", "Мест в группе (групповая услуга)",
              check=lambda v: None if 2 <= v <= 1000 else "от 2 до 1000 мест"),
    ),
    check=_check,
    predefined=(Predefined(AMOCRM_SERVICE, "Номенклатура AmoCRM",
                           {"kind": "service", "unit": "усл", "price": "0"}),),
    search_fields=("article",),
    parts=(MATERIALS, MINIMUMS, PERFORMERS, ROOMS),
)
