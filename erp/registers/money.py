"""Денежные средства: the money of each organization in each of its money accounts — a cash desk
(``cash-desks``) or a bank account (``bank-accounts``). Never negative.

A money account is two dimensions, its kind (the catalog's name) and its id, because one key
holds either. The cash-flow item (статья движения денежных средств) is kept on every movement
as an attribute, not a dimension: reports by item read it from the movements, while the balance
is controlled per organization and account. Money taken in under «Оплата от покупателей» is
paid out under «Оплата поставщикам» from the same desk, and the desk never goes negative."""

from erp.app.settings import timezone_name
from erp.platform.fields import Field
from erp.platform.register import AccumulationRegister

CASH_DESKS, BANK_ACCOUNTS = "cash-desks", "bank-accounts"


def _an_id(value: int) -> str | None:
    return None if value > 0 else "ожидается идентификатор (целое число больше нуля)"


money = AccumulationRegister(
    "money", kind="balance", title="Денежные средства", timezone=timezone_name(),
    dimensions=(Field("organization_id", "ref", "Организация", ref="organizations", required=True),
                Field("account_kind", "enum", "Вид счёта", choices=(CASH_DESKS, BANK_ACCOUNTS), max_length=20,
                      required=True),
                Field("account_id", "int", "Касса или банковский счёт", big=True, required=True, check=_an_id,
                      extra={"ref_by": "account_kind"})),
    resources=(Field("amount", "money", "Сумма"),),
    attributes=(Field("cash_flow_item_id", "ref", "Статья движения денежных средств", ref="cash-flow-items"),),
    no_negative=("amount",),
)
