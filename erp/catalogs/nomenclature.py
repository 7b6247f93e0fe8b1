"""Номенклатура: goods and services; the service "Номенклатура AmoCRM" is predefined."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field

from .organizations import VAT_RATES

AMOCRM_SERVICE = "amocrm_service"

# Units of measure (ОКЕИ short names) a clinic's goods and services come in. The item form takes any
# unit; the Excel import refuses a unit that is neither here nor already in use, so a typo in a price
# list of thousands of lines is caught before it becomes a new unit.
UNITS = ("шт", "усл", "упак", "уп", "компл", "пар", "кг", "г", "мг", "л", "мл", "м", "см", "мм", "м2",
         "фл", "амп", "таб", "доза", "рул", "пач", "бут", "ч", "мин", "сеанс", "процедура", "посещ")

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
    ),
    predefined=(Predefined(AMOCRM_SERVICE, "Номенклатура AmoCRM",
                           {"kind": "service", "unit": "усл", "price": "0"}),),
    search_fields=("article",),
)
