"""Статьи движения денежных средств: what money comes in or goes out for, in groups
(«Оплата поставщикам» › «Аренда»). Three items are predefined, and the documents use them
when the user names none: payments from customers, payments to suppliers, other expenses."""

from erp.platform.catalog import Catalog, Predefined

FROM_CUSTOMERS, TO_SUPPLIERS, OTHER_EXPENSES = "from_customers", "to_suppliers", "other_expenses"

cash_flow_items = Catalog(
    "cash-flow-items", "Статьи движения денежных средств", item_title="Статья движения денежных средств",
    hierarchical=True,
    predefined=(
        Predefined(FROM_CUSTOMERS, "Оплата от покупателей"),
        Predefined(TO_SUPPLIERS, "Оплата поставщикам"),
        Predefined(OTHER_EXPENSES, "Прочие расходы"),
    ),
)
