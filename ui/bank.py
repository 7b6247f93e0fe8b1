"""Банк и касса: the accountant's money desk in one place, as in 1C's section of that name: the money
documents (incoming and outgoing payments, transfers, the bank statement upload), the catalogs that
hold the money (cash desks, bank accounts, cash-flow items) and the money reports."""

from __future__ import annotations

from litestar import Request, Response, get

from erp.platform.errors import Forbidden
from ui import context
from ui.i18n import gettext as _
from ui.render import SECTIONS, render

DOCUMENTS = ("payments", "outgoing-payments", "money-transfers")
CATALOGS = ("cash-desks", "bank-accounts", "cash-flow-items")
REPORTS = (("/reports/money", "Денежные средства"), ("/reports/money/flow", "Движение денежных средств"),
           ("/reports/receivables", "Дебиторская задолженность по срокам"),
           ("/reports/supplier-debts", "Долги поставщикам"),
           ("/reports/reconciliation", "Акт сверки взаиморасчётов"))


@get("/bank", name="ui_bank")
async def index(request: Request) -> Response:
    roles = next(s.roles for s in SECTIONS if s.key == "bank")
    if getattr(request.scope.get("user"), "role", None) not in roles:
        raise Forbidden(_("Недостаточно прав: раздел «Банк и касса» открыт бухгалтеру и администратору"))
    registry = context.registry(request)
    documents = [registry.documents[name] for name in DOCUMENTS if name in registry.documents]
    catalogs = [registry.catalogs[name] for name in CATALOGS if name in registry.catalogs]
    return render(request, "lists/bank.html", section="bank", documents=documents, catalogs=catalogs,
                  reports=REPORTS)


ROUTES = [index]
