"""Номенклатура: goods and services; the service "Номенклатура AmoCRM" is predefined."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field

from .organizations import VAT_RATES

AMOCRM_SERVICE = "amocrm_service"

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
