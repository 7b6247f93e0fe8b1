"""Акт сверки взаиморасчётов on paper: the act of :mod:`erp.services.reconciliation` laid out
as 1C prints it (the organization's data on the left, the counterparty's columns left blank for
it to fill, the closing balance in figures and in words, both parties' requisites and signature
lines), as an HTML preview or a PDF kept in the generated documents registry (the counterparty
is its «document»: kind ``clients``, form ``reconciliation``), and emailed through the SMTP
server in settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

import asyncpg
from markupsafe import Markup

from erp.platform.errors import Conflict, ValidationError
from erp.services.reconciliation import ActQuery, Reconciliation, build

from . import mail, registry, render
from .formatting import long_date, money, short_date
from .forms import Form, Party
from .words import amount_in_words

FORM = Form("reconciliation", "Акт сверки взаиморасчётов", "clients", "reconciliation.html", "Акт сверки",
            source="reconciliation")


@dataclass(frozen=True)
class ActPrint:
    """The act as the print pipeline sees a printed document (what the registry keeps of it)."""

    act: Reconciliation
    form: Form = FORM
    kind: str = "clients"
    posted: bool = True
    amocrm_lead_id: int | None = None

    @property
    def doc_id(self) -> int:
        return self.act.counterparty_id

    @property
    def client_id(self) -> int:
        return self.act.counterparty_id

    @property
    def organization_id(self) -> int:
        return self.act.organization_id

    @property
    def number(self) -> str:
        return self.act.counterparty_code

    @property
    def date(self) -> dt.date:
        return self.act.end

    @property
    def period(self) -> str:
        return f"{short_date(self.act.start)} – {short_date(self.act.end)}"

    @property
    def heading(self) -> str:
        return f"Акт сверки взаимных расчётов за период {self.period}"

    @property
    def file_name(self) -> str:
        name = "".join(c for c in self.act.counterparty.name if c not in '/\\:*?"<>|')
        return f"Акт сверки с {name} за {short_date(self.act.start)}-{short_date(self.act.end)}.pdf"

    @property
    def supplier(self) -> Party:
        return Party(self.act.organization.name)

    @property
    def balance_text(self) -> str:
        """«на 31.03.2026 задолженность в пользу ООО «Клиника» 1 500,00 руб. (Одна тысяча …)»."""
        act = self.act
        if act.in_favour_of is None:
            return f"на {short_date(act.end)} задолженность отсутствует."
        amount = abs(act.closing)
        return (f"на {short_date(act.end)} задолженность в пользу {act.in_favour_of} {money(amount)} руб. "
                f"({amount_in_words(amount)})")


def html(act: Reconciliation, *, inline_css: bool) -> str:
    template = render.environment().get_template(FORM.template)
    css = Markup(render.stylesheet_text()) if inline_css else ""
    return template.render(doc=ActPrint(act), act=act, inline_css=css)


async def preview(conn: asyncpg.Connection, config, query: ActQuery, tz) -> str:
    return html(await build(conn, config, query, tz), inline_css=True)


@dataclass(frozen=True)
class PrintedAct:
    content: bytes
    file_name: str
    act: Reconciliation
    generated_id: int | None


async def pdf(conn: asyncpg.Connection, config, query: ActQuery, tz, *, user_id: int | None,
              store: bool = True) -> PrintedAct:
    """The act's PDF; with ``store`` it is kept in the generated documents registry."""
    act = await build(conn, config, query, tz)
    [content] = await render.to_pdfs([html(act, inline_css=False)])
    printed = ActPrint(act)
    ids = await registry.store(conn, [(printed, content)], user_id=user_id, facsimile=False) if store else [None]
    return PrintedAct(content, printed.file_name, act, ids[0])


def message(smtp: mail.SmtpSettings, to: str, printed: PrintedAct) -> EmailMessage:
    data = ActPrint(printed.act)
    out = EmailMessage()
    out["From"] = formataddr((smtp.from_name or data.supplier.name, smtp.from_email))
    out["To"] = to
    out["Subject"] = f"{data.heading} — {printed.act.organization.name}"
    out.set_content(
        "Здравствуйте!\n\n"
        f"Направляем акт сверки взаимных расчётов за период {data.period} ({long_date(printed.act.end)}: "
        f"{data.balance_text}). Просим проверить, подписать и вернуть один экземпляр.\n\n"
        f"С уважением,\n{printed.act.organization.name}\n")
    out.add_attachment(printed.content, maintype="application", subtype="pdf", filename=printed.file_name)
    return out


async def send(conn: asyncpg.Connection, config, query: ActQuery, tz, *, to: str | None, user_id: int | None,
               secret_key: str) -> dict:
    """Email the act to the counterparty (or to ``to``); the registry row it was kept as."""
    smtp = await mail.get_smtp(conn, secret_key)
    if smtp is None:
        raise Conflict("Отправка почты не настроена: администратор должен заполнить настройки SMTP",
                       code="smtp_not_configured")
    printed = await pdf(conn, config, query, tz, user_id=user_id, store=False)
    address = (to or printed.act.counterparty_email or "").strip()
    if not address:
        raise ValidationError(
            f"У контрагента «{printed.act.counterparty.name}» не указан адрес эл. почты: заполните его в карточке "
            "или укажите адрес получателя", code="client_email_missing",
            details={"fields": {"to": "не указан адрес эл. почты"}})
    if not mail.valid_email(address):
        raise ValidationError.field("to", f"неверный адрес эл. почты «{address}»")
    await mail.deliver(smtp, message(smtp, address, printed))
    [generated_id] = await registry.store(conn, [(ActPrint(printed.act), printed.content)], user_id=user_id,
                                          facsimile=False, sent_to=address)
    return {"generated_id": generated_id, "to": address, "file_name": printed.file_name}
