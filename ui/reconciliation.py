"""Отчёты → Акт сверки взаиморасчётов: choose the counterparty (a client or a supplier), the
organization and the period; the page shows the act, «PDF» prints it (kept in the generated
documents registry) and «Отправить по эл. почте» emails it to the counterparty. Reached from the
client card and from the supplier debts report with the counterparty filled in. Everything goes
through :mod:`erp.printing.reconciliation`, as the REST API does."""

from __future__ import annotations

from litestar import Request, Response, get, post

from erp.api.schemas import MAX_ID
from erp.platform.db import in_transaction
from erp.platform.errors import ErpError, ValidationError
from erp.printing import reconciliation
from erp.printing.api import pdf_response
from erp.services import reconciliation as acts
from ui import context
from ui.i18n import gettext as _
from ui.render import render
from ui.reports import _names

FIELDS = ("counterparty_id", "organization_id", "start", "end", "side")


def _ref(raw) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None


def _query(request: Request, chosen: dict[str, str]) -> acts.ActQuery:
    raw_id = chosen["counterparty_id"]
    if raw_id and _ref(raw_id) is None:
        raise ValidationError("Контрагент не найден", code="counterparty_not_found",
                              details={"fields": {"counterparty_id": "контрагент не найден"}})
    return acts.read_query(_ref(raw_id), _ref(chosen["organization_id"]), chosen["start"] or None,
                           chosen["end"] or None, chosen["side"] or None, context.today(request))


async def _page(request: Request, chosen: dict[str, str], *, act=None, error: str = "", notice: str = "",
                status: int = 200, to: str = "") -> Response:
    names = await _names(request, organizations=_ref(chosen["organization_id"]),
                         clients=_ref(chosen["counterparty_id"]))
    printed = reconciliation.ActPrint(act) if act is not None else None
    return render(request, "reports/reconciliation.html", status=status, section="reports", chosen=chosen,
                  act=act, printed=printed, error=error, notice=notice, names=names, to=to,
                  counterparty_ref=_ref(chosen["counterparty_id"]), organization_ref=_ref(chosen["organization_id"]))


def _chosen(values) -> dict[str, str]:
    return {k: str(values.get(k) or "").strip() for k in FIELDS}


@get("/reports/reconciliation", name="ui_report_reconciliation")
async def reconciliation_page(request: Request, format: str = "html") -> Response:
    chosen = _chosen(request.query_params)
    if not chosen["counterparty_id"]:
        return await _page(request, chosen)
    settings, config = context.settings(request), context.registry(request)
    try:
        query = _query(request, chosen)
        if format == "pdf":
            printed = await in_transaction(request.app.state.pool, lambda conn: reconciliation.pdf(
                conn, config, query, settings.tz, user_id=request.scope["user"].user_id))
            return pdf_response(printed.content, printed.file_name, (printed.generated_id,))
        async with context.acquire(request) as conn:
            act = await acts.build(conn, config, query, settings.tz)
    except ErpError as exc:
        return await _page(request, chosen, error=_(exc.message), status=exc.status)
    chosen |= {"start": act.start.isoformat(), "end": act.end.isoformat(), "side": act.side,
               "organization_id": str(act.organization_id)}
    return await _page(request, chosen, act=act, to=act.counterparty_email)


@post("/reports/reconciliation/send", name="ui_report_reconciliation_send", status_code=200)
async def send_reconciliation(request: Request) -> Response:
    """«Отправить по эл. почте»: the page comes back saying to whom the act went, or why it did not."""
    form = await context.form_data(request)
    chosen, to = _chosen(form), str(form.get("to") or "").strip()
    settings, config = context.settings(request), context.registry(request)
    act = None
    try:
        query = _query(request, chosen)
        async with context.acquire(request) as conn:
            act = await acts.build(conn, config, query, settings.tz)
            sent = await reconciliation.send(conn, config, query, settings.tz, to=to or None,
                                             user_id=request.scope["user"].user_id, secret_key=settings.secret_key)
    except ErpError as exc:
        return await _page(request, chosen, act=act, error=_(exc.message), status=exc.status, to=to)
    return await _page(request, chosen, act=act, notice=_("Акт сверки отправлен на %(to)s") % {"to": sent["to"]},
                       to=sent["to"])


ROUTES = [reconciliation_page, send_reconciliation]
