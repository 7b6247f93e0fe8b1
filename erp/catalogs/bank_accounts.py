"""Банковские счета организаций."""

from erp.platform.catalog import Catalog
from erp.platform.fields import Field
from erp.services.requisites import check_account, check_bik, check_correspondent_account


def _check(item) -> dict[str, str]:
    problems = {}
    bik = item.get("bik") or ""
    for name, checker in (("account_number", check_account),
                          ("correspondent_account", check_correspondent_account)):
        problem = checker(item.get(name) or "", bik)
        if problem:
            problems[name] = problem
    return problems


def _name(item) -> str:
    """As 1C presents an account: «40702810938000000001 в ПАО Сбербанк»."""
    number, bank = item.get("account_number") or "", item.get("bank_name") or ""
    return f"{number} в {bank}" if bank else number


bank_accounts = Catalog(
    "bank-accounts", "Банковские счета", item_title="Банковский счёт",
    fields=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True, index=True),
        Field("bank_name", "str", "Банк", max_length=300),
        Field("bik", "str", "БИК", max_length=9, check=check_bik),
        Field("correspondent_account", "str", "Корр. счёт", max_length=20),
        Field("account_number", "str", "Номер счёта", max_length=20, required=True),
        Field("is_default", "bool", "Основной"),
    ),
    check=_check, search_fields=("account_number", "bank_name"), derive_name=_name,
)
