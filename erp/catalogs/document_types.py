"""Типы документов (Документы 2.0): what a printed document is — «Счёт», «Акт»,
«Договор», «Согласие»… Every print template names its type, and the registry
of generated documents filters by it. The predefined types always exist;
an administrator adds more."""

from erp.platform.catalog import Catalog, Predefined
from erp.platform.fields import Field

INVOICE, ACT, CONTRACT, CONSENT, INVENTORY, OTHER = "invoice", "act", "contract", "consent", "inventory", "other"

document_types = Catalog(
    "document-types", "Типы документов", item_title="Тип документа",
    fields=(Field("sort_order", "int", "Порядок", default=0),),
    predefined=(
        Predefined(INVOICE, "Счёт", {"sort_order": 1}),
        Predefined(ACT, "Акт", {"sort_order": 2}),
        Predefined(CONTRACT, "Договор", {"sort_order": 3}),
        Predefined(CONSENT, "Согласие", {"sort_order": 4}),
        Predefined(INVENTORY, "Инвентаризационная опись", {"sort_order": 5}),
        Predefined(OTHER, "Прочее", {"sort_order": 9}),
    ),
    write_roles=("admin",),
)
