"""Reading a document from input: header, lines and date, checked against
the kind's declaration. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from .dates import checked_moment
from .document import DocumentKind
from .errors import ValidationError
from .fields import FieldError
from .local_time import NonexistentLocalTime, localize

SYSTEM_INPUT = {"id", "number", "posted", "deletion_mark"}


def parse_moment(raw: Any, tz: ZoneInfo, field: str = "date") -> dt.datetime:
    """An ISO moment; without an offset it is read in ``tz``, a wall time the clock skips
    refused (see :func:`.dates.read_moment`, the one reader of moments)."""
    return checked_moment(raw, tz, field)


def parse_document(kind: DocumentKind, data: Mapping[str, Any], tz: ZoneInfo,
                   settings: Any = None) -> tuple[dt.datetime | None, dict, list[dict], tuple | None]:
    """Return ``(date, header, lines, based_on)`` or raise one ValidationError that
    names every bad field (lines as ``lines[2].price``)."""
    problems: dict[str, str] = {}
    header_names = {f.name for f in kind.header} | {f.name for f in kind.derived_fields}
    for key in data:
        if key not in header_names and key not in {"date", "lines", "based_on"} | SYSTEM_INPUT:
            problems[key] = "неизвестное поле"
    date, skipped = None, {}  # skipped: the wall times the clock skips, a code of their own
    if data.get("date") is not None:
        try:
            date = parse_moment(data["date"], tz)
        except ValidationError as exc:
            problems.update(exc.details["fields"])
            if isinstance(exc, NonexistentLocalTime):
                skipped.update(exc.details["fields"])
    header: dict[str, Any] = {}
    for f in kind.header:
        if f.read_only:
            continue
        try:
            header[f.name] = f.parse(data.get(f.name, f.default))
            if f.type == "datetime" and header[f.name] is not None:
                header[f.name] = localize(header[f.name], tz, f.name)  # read on the clinic's clock
        except FieldError as exc:
            problems[f.name] = str(exc)
        except ValidationError as exc:
            problems.update(exc.details["fields"])
            if isinstance(exc, NonexistentLocalTime):
                skipped.update(exc.details["fields"])
    lines: list[dict] = []
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        problems["lines"] = "ожидается список строк"
        raw_lines = []
    if raw_lines and not kind.lines:
        problems["lines"] = "у документа нет табличной части"
    line_names = {f.name for f in kind.lines} | {f.name for f in kind.derived_line_fields}
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, Mapping):
            problems[f"lines[{i}]"] = "строка должна быть объектом"
            continue
        for key in raw:
            if key not in line_names and key not in ("line_no", "id", "document_id"):
                problems[f"lines[{i}].{key}"] = "неизвестное поле"
        line: dict[str, Any] = {}
        for f in kind.lines:
            try:
                line[f.name] = f.parse(raw.get(f.name, f.default))
            except FieldError as exc:
                problems[f"lines[{i}].{f.name}"] = str(exc)
        lines.append(line)
    based_on = _based_on(kind, data.get("based_on"), problems)
    if problems:
        raise _invalid(problems, NonexistentLocalTime.code if problems.keys() == skipped.keys() else None)
    if kind.prepare is not None:
        header, lines = kind.prepare(dict(header), [dict(x) for x in lines], settings)
        check_computed(kind, header, lines)
    return date, header, lines, based_on


def check_computed(kind: DocumentKind, header: dict, lines: list[dict]) -> None:
    """Sums the document computed itself (line amounts, totals) stay within the limits of
    their fields, so that a column never overflows in the database."""
    problems: dict[str, str] = {}
    for f in kind.header:
        try:
            f.check_limits(header.get(f.name))
        except FieldError as exc:
            problems[f.name] = str(exc)
    for i, line in enumerate(lines):
        for f in kind.lines:
            try:
                f.check_limits(line.get(f.name))
            except FieldError as exc:
                problems[f"lines[{i}].{f.name}"] = str(exc)
    if problems:
        raise _invalid(problems)


def _based_on(kind: DocumentKind, raw: Any, problems: dict[str, str]) -> tuple[str, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("kind"), str) \
            or isinstance(raw.get("id"), bool) or not isinstance(raw.get("id"), int):
        problems["based_on"] = "ожидается {\"kind\": вид документа, \"id\": число}"
        return None
    if kind.based_on_source(raw["kind"]) is None:
        problems["based_on"] = f"документ не вводится на основании «{raw['kind']}»"
        return None
    return raw["kind"], raw["id"]


def _invalid(problems: Mapping[str, str], code: str | None = None) -> ValidationError:
    summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
    return ValidationError(f"Неверные данные — {summary}", code=code, details={"fields": dict(problems)})
