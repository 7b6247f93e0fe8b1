"""«Заполнить из Excel» of «Ввод начальных остатков»: one section's table read from a workbook.

The first sheet's header row names the columns, as the document's table titles them (the case,
«ё» and spaces do not matter; a few other words an accountant's file uses are understood too):

* «Товары на складах»: Склад, Номенклатура, Количество, Сумма;
* «Расчёты с клиентами»: Клиент, Сумма;
* «Расчёты с поставщиками»: Поставщик, Сумма;
* «Денежные средства»: Касса and/or Банковский счёт, Сумма.

A reference is found by its code (leading zeros may be lost in Excel), else — an item — by its
article, a client or a supplier by INN, a bank account by its number, and else by its name;
only unmarked items, only goods as stock, only this organization's cash desks and bank accounts.
Each row is judged the way the document would judge the line, and every row's every problem is
listed. Nothing is ever written here: the lines go into the document's form (or an API client's
document), and only when no row has an error. The file itself passes the catalog import's guards
(:mod:`.xlsx_file`): not an .xlsx, a broken sheet, text in a wrong encoding, a file too large or
a «zip bomb» is one clear Russian refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from erp.documents import opening_balance as kind
from erp.platform.errors import ValidationError
from erp.platform.fields import FieldError

from .import_columns import normalize
from .labels import CHOICE_LABELS
from .xlsx_file import ImportFileError, read_sheet

FIELDS = {f.name: f for f in kind.opening_balances.lines}
# The words of a header row that name each column (normalized), the field's own title first.
WORDS: dict[str, tuple[str, ...]] = {
    "warehouse_id": ("склад", "место хранения"),
    "nomenclature_id": ("номенклатура", "товар", "наименование", "наименование товара", "артикул", "код товара"),
    "quantity": ("количество", "кол-во", "кол.", "остаток", "количество остаток"),
    "client_id": ("клиент", "покупатель", "контрагент", "пациент"),
    "supplier_id": ("поставщик", "контрагент"),
    "cash_desk_id": ("касса",),
    "bank_account_id": ("банковский счет", "счет", "расчетный счет", "номер счета"),
    "balance": ("сумма", "себестоимость", "стоимость", "сумма долга", "долг", "остаток денег"),
}
# A reference column: the catalog's table and the other columns that identify an item besides the
# code and the name.
CATALOGS = {
    "warehouse_id": ("cat_warehouses", ()),
    "nomenclature_id": ("cat_nomenclature", ("article",)),
    "client_id": ("cat_clients", ("inn",)),
    "supplier_id": ("cat_clients", ("inn",)),
    "cash_desk_id": ("cat_cash_desks", ()),
    "bank_account_id": ("cat_bank_accounts", ("account_number",)),
}
WHAT = {"warehouse_id": "склад", "nomenclature_id": "номенклатура", "client_id": "клиент",
        "supplier_id": "поставщик", "cash_desk_id": "касса", "bank_account_id": "банковский счёт"}


@dataclass
class Row:
    row: int  # as Excel numbers it
    line: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # what each reference was found as
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, column: str, message: str) -> None:
        self.errors.append({"column": column, "message": message})


@dataclass
class Filled:
    section: str
    sheet: str
    columns: dict[str, str]  # field → the file's header it was read from
    rows: list[Row]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The document's lines, in the file's order; none while any row is wrong."""
        return [] if self.errors else [r.line for r in self.rows]


def section_title(section: str) -> str:
    return CHOICE_LABELS.get(section, section)


def _columns(section: str, headers: list[str]) -> dict[str, int]:
    """Each of the section's columns and where it is in the file; a 422 naming what is missing."""
    found: dict[str, int] = {}
    wanted = kind.COLUMNS[section]
    for name in wanted:
        words = (normalize(FIELDS[name].label), *WORDS[name])
        found_at = next((i for i, h in enumerate(headers) if normalize(h) in words and i not in found.values()),
                        None)
        if found_at is not None:
            found[name] = found_at
    missing = [FIELDS[n].label for n in kind.REQUIRED[section] if n not in found]
    if section == kind.MONEY and "cash_desk_id" not in found and "bank_account_id" not in found:
        missing.insert(0, "Касса или Банковский счёт")
    if missing:
        needed = ", ".join(f"«{FIELDS[n].label}»" for n in wanted)
        raise ImportFileError(f"В файле нет колонок {', '.join(f'«{m}»' for m in missing)}. Для раздела "
                              f"«{section_title(section)}» первая строка листа называет колонки: {needed}",
                              "missing_columns")
    return found


def _text(value: Any) -> str:
    """A cell as the text a reference is looked up by (a NUL never reaches the database: PostgreSQL's text
    cannot hold one, and such a text names nothing)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\x00", "").strip()


def _number(name: str, value: Any) -> Decimal:
    """A cell as the field's number: Excel's binary fractions rounded to the field's kopecks or grams
    when that is all they differ by; a FieldError in Russian otherwise."""
    f = FIELDS[name]
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise FieldError("ожидается число")
    if isinstance(value, float):
        try:
            exact = Decimal(repr(value))
        except InvalidOperation:
            raise FieldError("ожидается число") from None
        if exact.is_finite():
            step = Decimal("0.001") if f.type == "quantity" else Decimal("0.01")
            near = exact.quantize(step) if abs(exact) < Decimal("1e15") else exact
            if abs(exact - near) < Decimal("1e-9"):
                value = near
    parsed = f.parse(value)
    if parsed is None:
        raise FieldError("не заполнено")
    return parsed


async def _found(conn: asyncpg.Connection, name: str, values: Iterable[str], organization: int | None
                 ) -> dict[str, list[dict[str, Any]]]:
    """Each text of a reference column and the unmarked items it may mean: by code, by the catalog's
    other key, by name (in that order: the first that finds anything wins)."""
    table, keys = CATALOGS[name]
    texts = sorted(set(values))
    if not texts:
        return {}
    extra = {"nomenclature_id": ", kind, is_group", "client_id": ", is_group", "supplier_id": ", is_group"}
    args: list[Any] = [texts, [t.lstrip("0") for t in texts], [normalize(t) for t in texts]]
    where = ""
    if name in ("cash_desk_id", "bank_account_id"):
        args.append(organization)
        where = " AND organization_id = $4"
    others = "".join(f" OR {k} = ANY($1::text[])" for k in keys)
    rows = await conn.fetch(
        f"SELECT id, code, name{''.join(f', {k}' for k in keys)}{extra.get(name, '')} FROM {table}"
        f" WHERE NOT deletion_mark{where} AND (code = ANY($1::text[]) OR ltrim(code, '0') = ANY($2::text[]){others}"
        f" OR replace(regexp_replace(btrim(lower(name)), '\\s+', ' ', 'g'), 'ё', 'е') = ANY($3::text[]))", *args)
    items = [dict(r) for r in rows if not r.get("is_group")]
    out: dict[str, list[dict[str, Any]]] = {}
    for text in texts:
        by_code = [i for i in items if text.lstrip("0") and i["code"].lstrip("0") == text.lstrip("0")]
        by_key = [i for i in items for k in keys if i.get(k) and i[k] == text]
        by_name = [i for i in items if normalize(i["name"]) == normalize(text)]
        out[text] = by_code or by_key or by_name
    return out


def _reference(row: Row, name: str, text: str, found: Mapping[str, list[dict[str, Any]]], section: str,
               column: str) -> None:
    items = found.get(text) or []
    if not items:
        where = " у организации документа" if name in ("cash_desk_id", "bank_account_id") else ""
        row.fail(column, f"{WHAT[name].capitalize()} «{text}» не найден{_ending(name)}{where}"
                         " (ищется по коду, " + {"nomenclature_id": "артикулу", "client_id": "ИНН",
                                                  "supplier_id": "ИНН", "bank_account_id": "номеру счёта"}
                 .get(name, "") + (", " if name in ("nomenclature_id", "client_id", "supplier_id",
                                                   "bank_account_id") else "") + "наименованию)")
        return
    if len({i["id"] for i in items}) > 1:
        row.fail(column, f"«{text}»: найдено несколько ({', '.join(i['code'] for i in items[:5])}); укажите код")
        return
    item = items[0]
    if name == "nomenclature_id" and item.get("kind") == "service":
        row.fail(column, f"«{item['name']}» — услуга, ввести остатком можно только товар")
        return
    row.line[name] = item["id"]
    row.names[name] = item["name"]


def _ending(name: str) -> str:
    return "а" if name in ("nomenclature_id", "cash_desk_id") else ""


async def read(conn: asyncpg.Connection, content: bytes, section: str, organization: int | None) -> Filled:
    """The section's lines from the workbook ``content``, each row with its problems. Writes nothing."""
    if section not in kind.SECTIONS:
        raise ValidationError.field("section", "допустимые значения: " + ", ".join(kind.SECTIONS))
    if section == kind.MONEY and organization is None:
        raise ValidationError.field("organization_id", "укажите организацию: кассы и счета ищутся у неё")
    sheet = read_sheet(content)
    columns = _columns(section, sheet.headers)
    refs = [n for n in columns if n in CATALOGS]
    texts = {n: [_text(cells[columns[n]]) for _number_, cells in sheet.rows if cells[columns[n]] is not None]
             for n in refs}
    found = {n: await _found(conn, n, texts[n], organization) for n in refs}
    rows = []
    for number, cells in sheet.rows:
        row = Row(number, {n: None for n in FIELDS})
        for name, at in columns.items():
            value, column = cells[at], sheet.headers[at] or FIELDS[name].label
            if value is None:
                continue
            if name in CATALOGS:
                _reference(row, name, _text(value), found[name], section, column)
                continue
            try:
                row.line[name] = _number(name, value)
            except FieldError as exc:
                row.fail(column, f"{exc} (в ячейке «{_text(value)[:40]}»)")
        said = {e["column"] for e in row.errors}
        for key, message in kind.line_problems(section, 0, row.line).items():
            name = key.split(".", 1)[1]
            column = sheet.headers[columns[name]] if name in columns else FIELDS[name].label
            if column not in said:  # a cell's own problem is said once
                row.fail(column, "не заполнено" if message == kind.EMPTY else message)
        rows.append(row)
    return Filled(section, sheet.title, {n: sheet.headers[i] for n, i in columns.items()}, rows)
