"""Выгрузка в Excel: a list or a report as a real .xlsx workbook (openpyxl).

Money and quantities go in as numbers with a number format, dates as dates,
references as the names people see on the screen.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from litestar import Response
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ui.i18n import gettext as _
from ui.render import choice_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"money": "#,##0.00", "quantity": "#,##0.###", "percent": "0.00##"}


def cell_value(field, value: Any, names: Mapping[tuple[str, int], str], tz=None) -> Any:
    """A stored value as the spreadsheet should hold it."""
    if value is None:
        return None
    if field is None:
        return value
    if field.type == "ref":
        return names.get((field.ref, value), str(value))
    if field.type == "enum":
        return choice_label(value)
    if field.type == "bool":
        return _("Да") if value else _("Нет")
    if field.type == "datetime" and isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(tzinfo=None) if tz else value.replace(tzinfo=None)
    return value


def catalog_row(catalog, columns, row: Mapping[str, Any], names) -> list[Any]:
    return [cell_value(c.field, row.get(c.key), names) for c in columns]


def document_row(columns, doc, extra: Mapping[str, Any], names, tz) -> list[Any]:
    values = {"date": doc.date.astimezone(tz).replace(tzinfo=None), "number": doc.number, **doc.header, **extra}
    return [_("Да") if doc.posted else _("Нет"), _("Да") if doc.deletion_mark else _("Нет"),
            *(cell_value(c.field, values.get(c.key), names, tz) for c in columns)]


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
             formats: Sequence[str | None] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "Лист1"
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F5D33F")
    for row in rows:
        ws.append(list(row))
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows[:200] if r[index - 1] is not None])
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
        for cell in ws[get_column_letter(index)][1:]:
            if isinstance(cell.value, Decimal):
                cell.number_format = (formats[index - 1] if formats and formats[index - 1] else
                                      "#,##0.00" if cell.value == cell.value.quantize(Decimal("0.01")) else "#,##0.###")
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "DD.MM.YYYY"
            elif cell.data_type == "f":
                cell.data_type = "s"  # a name like "=HYPERLINK(…)" is data, never a formula the sheet would run
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def response(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], filename: str,
             formats: Sequence[str | None] | None = None) -> Response:
    body = workbook(title, headers, rows, formats)
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"})
