"""Организации: the clinic's legal entities."""

from erp.platform.catalog import Catalog
from erp.platform.fields import Field
from erp.services.requisites import check_inn, check_kpp, check_ogrn

VAT_RATES = ("20", "10", "0", "none")


def _check(item) -> dict[str, str]:
    problems = {}
    if item.get("inn") and len(item["inn"]) == 10 and not item.get("kpp"):
        problems["kpp"] = "для организации с ИНН из 10 цифр нужен КПП"
    if item.get("kpp") and item.get("inn") and len(item["inn"]) == 12:
        problems["kpp"] = "у индивидуального предпринимателя нет КПП"
    return problems


organizations = Catalog(
    "organizations", "Организации", item_title="Организация",
    fields=(
        Field("full_name", "str", "Полное наименование", max_length=500),
        Field("inn", "str", "ИНН", max_length=12, check=check_inn, index=True),
        Field("kpp", "str", "КПП", max_length=9, check=check_kpp),
        Field("ogrn", "str", "ОГРН", max_length=15, check=check_ogrn),
        Field("address", "str", "Адрес", max_length=500),
        Field("director", "str", "Руководитель", max_length=200),
        Field("chief_accountant", "str", "Главный бухгалтер", max_length=200),
        Field("vat_rate", "enum", "Ставка НДС", choices=VAT_RATES, default="none"),
        Field("license_number", "str", "Лицензия на медицинскую деятельность", max_length=300),
        Field("number_prefix", "str", "Префикс номеров документов", max_length=5,
              check=lambda v: None if v.isalnum() or not v else "только буквы и цифры"),
    ),
    check=_check, search_fields=("inn", "full_name"), write_roles=("admin", "accountant"),
)
