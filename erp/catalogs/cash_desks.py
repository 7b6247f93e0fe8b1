"""Кассы: the cash desks of an organization, where cash money is kept. Together with the
bank accounts (``bank-accounts``) they are the money accounts of the register «Денежные
средства» (:mod:`erp.registers.money`)."""

from erp.platform.catalog import Catalog
from erp.platform.fields import Field

cash_desks = Catalog(
    "cash-desks", "Кассы", item_title="Касса",
    fields=(
        Field("organization_id", "ref", "Организация", ref="organizations", required=True, index=True),
        Field("responsible", "str", "Ответственный", max_length=200),
    ),
    search_fields=("responsible",),
)
