"""Справочники → Клиенты → Карточка клиента: the client's whole story on one page.

Appointments ahead and behind with their visit status, renderings, invoices with what is still
due, payments, the debt per organization, the sales of a period and the PDFs generated for the
client, each row a link to its document; «Записать на приём», «Выставить счёт» and «Принять
оплату» open the new document's form with the client filled in (the buttons a role may not use
are not shown). A client linked to an amoCRM contact links to the contact's card in amoCRM.
Reading goes through :mod:`erp.services.client_card`, as the REST API's does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get

from erp.amocrm import contacts as amocrm_contacts
from erp.platform.errors import ValidationError
from erp.services import client_card
from ui import context
from ui.i18n import gettext as _
from ui.render import render

ACTIONS = ("requests", "invoices", "payments")


def _actions(request: Request, card: client_card.Summary) -> list[tuple[str, str, str]]:
    """(title, link, kind) of each button the user's role may use."""
    titles = {"requests": _("Записать на приём"), "invoices": _("Выставить счёт"), "payments": _("Принять оплату")}
    out = []
    for kind_name in ACTIONS:
        kind = context.registry(request).documents[kind_name]
        if not context.can_write(request, kind):
            continue
        prefill = {"client_id": card.client.id}
        owed = [d for d in card.debts if d.amount > 0]
        if kind_name == "payments" and len(owed) == 1:  # one organization is owed: pay it off
            prefill |= {"organization_id": owed[0].organization_id, "amount": str(owed[0].amount)}
        out.append((titles[kind_name], f"/documents/{kind_name}/new?{urlencode(prefill)}", kind_name))
    return out


@get("/clients/{client_id:int}", name="ui_client_card")
async def card(request: Request, client_id: int) -> Response:
    params = request.query_params
    chosen = {k: str(params.get(k) or "").strip() for k in ("start", "end")}
    errors: dict[str, str] = {}
    try:
        start, end = client_card.read_period(chosen["start"], chosen["end"])
        if start and end:
            client_card.check_period(start, end)
    except ValidationError as exc:
        errors = {k: _(v) for k, v in ((exc.details or {}).get("fields") or {}).items()}
        start = end = None
    async with context.acquire(request) as conn:
        summary = await client_card.summary(conn, context.registry(request), client_id,
                                            tz=context.settings(request).tz, start=start, end=end)
        contact = await amocrm_contacts.of_client(conn, client_id)
    documents = context.registry(request).documents
    kind_titles = {k.name: _(k.title) for k in documents.values()} | {"clients": _("Клиент")}
    return render(request, "clients/card.html", status=422 if errors else 200, section="catalogs", card=summary,
                  chosen=chosen, errors=errors, actions=_actions(request, summary), kind_titles=kind_titles,
                  can_pay=context.can_write(request, documents["payments"]), amocrm_contact=contact)


ROUTES = [card]
