"""The variables a print template may use: the catalog the editor's picker shows,
the tree :func:`erp.printing.sandbox.check` checks a template against, and the
plain data (dicts, lists, strings, numbers, dates) a template is filled with.

Every printable kind offers the same names, so a template moves between kinds;
what a kind does not have is empty (an invoice has no doctor, a client's
contract no lines). ``doc`` is the whole form as the standard templates see it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from .formatting import long_date
from .forms import BankDetails, Form, Line, Party, PrintData, VatRow

NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")
VALUE_TYPES = {"text": "Текст", "link": "Ссылка", "template": "Сочетание переменных"}


@dataclass(frozen=True)
class Var:
    path: str          # "client.name"; a list's items: "lines[].name"
    title: str
    group: str
    snippet: str = ""  # what the picker inserts; "{{ path }}" when empty

    @property
    def insert(self) -> str:
        return self.snippet or "{{ " + self.path.replace("[]", "") + " }}"


_PARTY = (("name", "наименование"), ("inn", "ИНН"), ("kpp", "КПП"), ("address", "адрес"),
          ("requisites", "реквизиты одной строкой"))
_ORG = (("name", "краткое наименование"), ("full_name", "полное наименование"), ("inn", "ИНН"), ("kpp", "КПП"),
        ("address", "адрес"), ("director", "руководитель"), ("chief_accountant", "главный бухгалтер"),
        ("license_number", "лицензия на медицинскую деятельность"), ("requisites", "реквизиты одной строкой"))
_CLIENT = (("name", "наименование или ФИО"), ("inn", "ИНН"), ("kpp", "КПП"), ("phone", "телефон"),
           ("email", "эл. почта"), ("birth_date", "дата рождения (|long_date — прописью)"), ("address", "адрес"),
           ("identity_document", "документ, удостоверяющий личность"), ("requisites", "реквизиты одной строкой"))
_BANK = (("bank_name", "банк"), ("bik", "БИК"), ("correspondent_account", "корр. счёт"),
         ("account_number", "расчётный счёт"))
_DOCTOR = (("name", "ФИО полностью"), ("short_name", "ФИО кратко"), ("specialty", "специальность"))
_LINE = (("no", "№"), ("name", "наименование"), ("quantity", "количество (|quantity)"), ("unit", "ед. изм."),
         ("price", "цена (|money)"), ("discount", "скидка (|money)"), ("amount", "сумма (|money)"))

LINES_LOOP = ("{% for line in lines %}\n{{ line.no }}. {{ line.name }} — {{ line.quantity|quantity }} {{ line.unit }}"
              " × {{ line.price|money }} = {{ line.amount|money }}\n{% endfor %}")

CATALOG: tuple[Var, ...] = (
    *(Var(f"organization.{k}", f"Организация: {t}", "Организация") for k, t in _ORG),
    *(Var(f"client.{k}", f"Клиент (пациент): {t}", "Клиент") for k, t in _CLIENT),
    *(Var(f"bank.{k}", f"Банковский счёт: {t}", "Банковский счёт") for k, t in _BANK),
    *(Var(f"doctor.{k}", f"Врач: {t}", "Врач") for k, t in _DOCTOR),
    Var("lines_table", "Таблица строк: №, наименование, количество, ед., цена, скидка, сумма", "Строки"),
    Var("lines", "Строки документа — цикл по ним", "Строки", LINES_LOOP),
    *(Var(f"lines[].{k}", f"Строка: {t}", "Строки", "{{ line." + k + " }}") for k, t in _LINE),
    Var("total", "Итого, руб. (|money — «1 650,00»)", "Суммы", "{{ total|money }}"),
    Var("total_words", "Сумма прописью («Одна тысяча шестьсот пятьдесят рублей 00 копеек»)", "Суммы"),
    Var("vat_total", "НДС, руб. (|money)", "Суммы", "{{ vat_total|money }}"),
    Var("vat_text", "НДС строкой («В том числе НДС (20%): 275,00» или «Без налога (НДС)»)", "Суммы"),
    Var("vat_rows", "Строки НДС по ставкам — цикл", "Суммы",
        "{% for row in vat_rows %}{{ row.label }}: {{ row.amount|money if row.amount is not none else '-' }}"
        "{% endfor %}"),
    Var("title", "Название формы («Счёт на оплату»)", "Документ"),
    Var("heading", "Заголовок («Счёт на оплату № 12 от 22 декабря 2021 г.»)", "Документ"),
    Var("number", "Номер документа для печати («12»)", "Документ"),
    Var("date", "Дата документа («22.12.2021», |short_date)", "Документ", "{{ date|short_date }}"),
    Var("date_words", "Дата документа прописью («22 декабря 2021 г.»)", "Документ"),
    Var("starts_at", "Время приёма заявки («22 декабря 2021 г.»; |time — «14:30»)", "Документ",
        "{{ starts_at|long_date }} {{ starts_at|time }}"),
    Var("today_words", "Сегодняшняя дата прописью", "Документ"),
    Var("today", "Сегодняшняя дата («06.12.2026»)", "Документ", "{{ today|short_date }}"),
    Var("posted", "Проведён ли документ (да/нет)", "Документ", "{% if not posted %}Не проведён{% endif %}"),
    Var("lead_id", "Номер сделки amoCRM", "Документ"),
    Var("user.name", "Текущий пользователь: ФИО (или имя входа)", "Пользователь"),
    Var("user.username", "Текущий пользователь: имя входа", "Пользователь"),
    Var("signatures.director", "Факсимиле руководителя (картинка; пусто без факсимиле)", "Подписи",
        '{% if signatures.director %}<img src="{{ signatures.director }}" alt="">{% endif %}'),
    Var("signatures.accountant", "Факсимиле бухгалтера", "Подписи",
        '{% if signatures.accountant %}<img src="{{ signatures.accountant }}" alt="">{% endif %}'),
    Var("signatures.stamp", "Печать организации", "Подписи",
        '{% if signatures.stamp %}<img src="{{ signatures.stamp }}" alt="">{% endif %}'),
    Var("doc", "Документ целиком, как в стандартных формах (doc.heading, doc.supplier.requisites, doc.lines…)",
        "Стандартные формы", "{{ doc.heading }}"),
    Var("inline_css", "Стиль печатных форм (в base.html)", "Стандартные формы"),
)

_DOC_KEYS = {
    "heading": "", "number": "", "print_number": "", "date": "", "posted": "", "has_discount": "",
    "amount_in_words": "", "count_text": "", "director": "", "accountant": "", "total": "", "starts_at": "",
    "supplier": {k: "" for k, _ in _PARTY}, "buyer": {k: "" for k, _ in _PARTY},
    "bank": {k: "" for k, _ in _BANK}, "lines": {"[]": {k: "" for k, _ in _LINE}},
    "vat_rows": {"[]": {"label": "", "amount": ""}},
    "organization": {k: "" for k, _ in _ORG}, "client": {k: "" for k, _ in _CLIENT},
    "doctor": {k: "" for k, _ in _DOCTOR},
}


def tree(user_variables: dict[str, str] | None = None) -> dict[str, Any]:
    """The names and keys a template may use, as :func:`erp.printing.sandbox.check` wants them."""
    out: dict[str, Any] = {}
    for var in CATALOG:
        node = out
        parts = var.path.split(".")
        for i, part in enumerate(parts):
            key, is_list = (part[:-2], True) if part.endswith("[]") else (part, False)
            last = i == len(parts) - 1
            if last and not is_list:
                node.setdefault(key, "")
                break
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child.setdefault("[]", {}) if is_list else child
    out["doc"] = _DOC_KEYS
    out["lines"] = {"[]": {k: "" for k, _ in _LINE}}
    out["vat_rows"] = {"[]": {"label": "", "amount": ""}}
    for name in user_variables or {}:
        out[name] = ""
    return out


def _party(party: Party) -> dict[str, str]:
    return {**asdict(party), "requisites": party.requisites}


def _requisites(values: dict[str, Any]) -> str:
    parts = [values.get("full_name") or values.get("name") or "", values.get("inn") and f"ИНН {values['inn']}",
             values.get("kpp") and f"КПП {values['kpp']}", values.get("address") or ""]
    return ", ".join(p for p in parts if p)


def _with_requisites(values: dict[str, Any] | None, keys: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {k: "" for k, _ in keys}
    out.update(values or {})
    out["requisites"] = _requisites(out) if values else ""
    if "birth_date" in out and out["birth_date"] == "":
        out["birth_date"] = None
    return out


def build(data: PrintData, signatures: dict[str, str | None], *, user: dict[str, str], inline_css: str,
          lines_table: str, today: dt.date, derived: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plain data a template of ``data``'s kind is filled with."""
    lines = [asdict(line) for line in data.lines]
    vat_rows = [asdict(row) for row in data.vat_rows]
    vat_total = sum((row.amount or Decimal("0.00") for row in data.vat_rows), Decimal("0.00"))
    vat_text = "; ".join(row.label if row.amount is None else f"{row.label}: {_money(row.amount)}"
                         for row in data.vat_rows)
    bank = asdict(data.bank) if data.bank else None
    doc = {
        "heading": data.heading, "number": data.number, "print_number": data.print_number, "date": data.date,
        "posted": data.posted, "has_discount": data.has_discount, "amount_in_words": data.amount_in_words,
        "count_text": data.count_text, "director": data.director, "accountant": data.accountant,
        "total": data.total, "starts_at": data.starts_at, "supplier": _party(data.supplier),
        "buyer": _party(data.buyer), "bank": bank, "lines": lines, "vat_rows": vat_rows,
        "organization": data.organization, "client": data.client, "doctor": data.doctor,
    }
    out = {
        "doc": doc, "signatures": dict(signatures), "inline_css": Markup(inline_css),
        "organization": _with_requisites(data.organization, _ORG),
        "client": _with_requisites(data.client, _CLIENT),
        "bank": bank or {k: "" for k, _ in _BANK},
        "doctor": data.doctor or {k: "" for k, _ in _DOCTOR},
        "lines": lines, "lines_table": Markup(lines_table), "total": data.total,
        "total_words": data.amount_in_words, "vat_rows": vat_rows, "vat_total": vat_total, "vat_text": vat_text,
        "title": data.form.title, "heading": data.heading, "number": data.print_number, "date": data.date,
        "date_words": long_date(data.date), "starts_at": data.starts_at, "today": today,
        "today_words": long_date(today), "posted": data.posted, "lead_id": data.amocrm_lead_id or "",
        "user": user,
    }
    out.update(derived or {})
    return out


def _money(value: Decimal) -> str:
    from .formatting import money

    return money(value)


def link(url: str, title: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, title or url)


def derived_values(variables: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The user's variables: fixed texts and links as values, combinations as template texts
    (filled in the sandbox with the document's data)."""
    values: dict[str, Any] = {}
    combined: dict[str, str] = {}
    for var in variables:
        if var["value_type"] == "text":
            values[var["name"]] = var["value"]
        elif var["value_type"] == "link":
            values[var["name"]] = link(var["value"], var["title"])
        else:
            combined[var["name"]] = var["value"]
    return values, combined


def sample(form: Form) -> PrintData:
    """Example data for the trial render when a template is saved: every variable has a value."""
    lines = (Line(1, "Приём врача-терапевта", Decimal("1.000"), "усл", Decimal("1500.00"), Decimal("0.00"),
                  Decimal("1500.00")),
             Line(2, "Анализ крови", Decimal("2.000"), "шт", Decimal("75.00"), Decimal("0.00"), Decimal("150.00")))
    org = {"name": "Клиника", "full_name": "ООО «Клиника»", "inn": "7707083893", "kpp": "773601001",
           "address": "Москва, ул. Тверская, 1", "director": "Смирнов А.А.", "chief_accountant": "Кузнецова Т.В.",
           "license_number": "Л041-01137-77/00368421 от 01.02.2021"}
    client = {"name": "Иванов Иван Иванович", "inn": "", "kpp": "", "email": "ivanov@example.ru",
              "phone": "+7 900 000-00-00", "birth_date": dt.date(1980, 5, 17), "address": "Москва",
              "identity_document": "паспорт 4500 123456"}
    return PrintData(
        form=form, kind=form.kind, doc_id=0, number="К0000000012", print_number="12", date=dt.date(2026, 1, 15),
        posted=True, organization_id=0, client_id=0, amocrm_lead_id=219219, client_email=client["email"],
        supplier=Party(org["full_name"], org["inn"], org["kpp"], org["address"]), buyer=Party(client["name"]),
        bank=BankDetails("ПАО Сбербанк", "044525225", "30101810400000000225", "40702810938000000001"),
        lines=lines, total=Decimal("1650.00"), vat_rows=(VatRow("Без налога (НДС)", None),),
        director=org["director"], accountant=org["chief_accountant"], organization=org, client=client,
        doctor={"name": "Ефимова Анна Сергеевна", "short_name": "Ефимова А.С.", "specialty": "терапевт"},
        starts_at=dt.datetime(2026, 1, 15, 10, 30))
