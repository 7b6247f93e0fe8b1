"""Between HTML forms and the services: what a form shows, and what a
submitted form means.

A form's *state* holds every value as the input shows it (text, or a flag
for checkboxes), so a refused form comes back exactly as it was typed.
:func:`parse_document_form` turns a submitted form into the engine's input
(empty rows of a tabular section are dropped) and remembers which row each
line came from, so that an error about ``lines[2].price`` lands in the right
cell. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erp.platform.fields import Field

# Line attributes the documents compute themselves: shown, never submitted.
COMPUTED_LINE_FIELDS = frozenset({"amount", "vat_amount"})
_LINE_KEY = re.compile(r"^lines-(\d{1,4})-([a-z_]+)$")
_ERROR_KEY = re.compile(r"^lines\[(\d+)\]\.([a-z_]+)$")


@dataclass
class FormState:
    header: dict[str, Any] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    date: str = ""
    based_on: tuple[str, int] | None = None
    line_defaults: dict[str, Any] = field(default_factory=dict)  # what a new row starts with


@dataclass
class FormErrors:
    header: dict[str, str] = field(default_factory=dict)
    lines: dict[int, dict[str, str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.header or self.lines or self.other)


def input_value(f: Field, value: Any, tz=None) -> Any:
    """A stored value as its input shows it."""
    if f.type == "bool":
        return bool(value)
    if value is None:
        return ""
    if f.type in ("money", "quantity", "percent") and isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return money_text(value) if f.type == "money" else text
    if f.type == "datetime" and isinstance(value, dt.datetime):
        return local_moment(value, tz)
    if f.type == "time" and isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def money_text(value: Decimal) -> str:
    """Money as an accountant types it: «1 500,00» (plain spaces, so that it is typed back as shown)."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def number_input(text: str) -> str:
    """A typed number as the engine reads it: «1 500,00» (any kind of space) is 1500.00, and so is
    «1,500.00» (a comma beside a point groups digits)."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text)
    return text.replace(",", "") if "," in text and "." in text else text.replace(",", ".")


def local_moment(value: dt.datetime, tz) -> str:
    """For ``<input type=datetime-local>``."""
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%dT%H:%M")


def editable(fields: Sequence[Field]) -> list[Field]:
    return [f for f in fields if not f.read_only]


def state_from_values(kind, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], date: Any,
                      tz, based_on: tuple[str, int] | None = None) -> FormState:
    """The state of a stored document, a filled "based on" one, or a prefilled new one."""
    moment = date if isinstance(date, dt.datetime) else None
    return FormState(
        header={f.name: input_value(f, header.get(f.name), tz) for f in kind.header},
        lines=[{f.name: input_value(f, ln.get(f.name), tz) for f in kind.lines} for ln in lines],
        date=local_moment(moment, tz) if moment else (str(date) if date else ""),
        based_on=based_on)


def _flag(raw: Any) -> bool:
    return str(raw).lower() in ("on", "true", "1", "yes")


def _raw(f: Field, form: Mapping[str, Any], key: str) -> Any:
    if f.type == "bool":
        return _flag(form.get(key, ""))
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1]
    return str(value).strip() if f.type not in ("str", "text") else str(value)


def _api_value(f: Field, raw: Any) -> Any:
    """Input text as the engine reads it (it parses strings itself)."""
    if f.type == "bool":
        return bool(raw)
    if raw == "" and f.type not in ("str", "text"):
        return None
    if f.type in ("money", "quantity", "percent") and isinstance(raw, str):
        return number_input(raw)
    return raw


def parse_document_form(kind, form: Mapping[str, Any]) -> tuple[FormState, dict[str, Any], list[int]]:
    """``(state, engine input, row index of each line)``."""
    state = FormState(date=str(form.get("date", "")).strip())
    data: dict[str, Any] = {}
    for f in editable(kind.header):
        state.header[f.name] = _raw(f, form, f.name)
        value = _api_value(f, state.header[f.name])
        if value is not None:  # an empty field takes its declared default
            data[f.name] = value
    if state.date:
        data["date"] = state.date
    rows: dict[int, dict[str, Any]] = {}
    for key in form:
        m = _LINE_KEY.match(key)
        if m:
            rows.setdefault(int(m.group(1)), {})
    line_fields = [f for f in kind.lines if f.name not in COMPUTED_LINE_FIELDS and not f.read_only]
    lines, origins = [], []
    for index in sorted(rows):
        shown = {f.name: _raw(f, form, f"lines-{index}-{f.name}") for f in kind.lines}
        state.lines.append(shown)
        if all(shown[f.name] in ("", False) for f in line_fields):
            continue
        line = {f.name: _api_value(f, shown[f.name]) for f in line_fields}
        lines.append({k: v for k, v in line.items() if v is not None})
        origins.append(len(state.lines) - 1)
    if kind.lines:
        data["lines"] = lines
    base_kind, base_id = str(form.get("based_on_kind", "")), str(form.get("based_on_id", ""))
    if base_kind and base_id.isdigit():
        state.based_on = (base_kind, int(base_id))
        data["based_on"] = {"kind": base_kind, "id": int(base_id)}
    return state, data, origins


def parse_item_form(catalog, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A catalog item form: ``(state, service input)``. A tabular part's rows come as
    ``<part>-<row>-<field>``; empty rows are dropped, and ``state["<part>__origins"]`` keeps the
    row each sent line came from (for :func:`part_errors`)."""
    state: dict[str, Any] = {"name": str(form.get("name", ""))}
    data: dict[str, Any] = {"name": state["name"]}
    for f in catalog.fields:
        state[f.name] = _raw(f, form, f.name)
        data[f.name] = _api_value(f, state[f.name])
    if catalog.hierarchical:
        parent = str(form.get("parent_id", "")).strip()
        state["parent_id"] = parent
        data["parent_id"] = int(parent) if parent.isdigit() else None
        state["is_group"] = data["is_group"] = _flag(form.get("is_group", ""))
    for part in catalog.parts:
        key = re.compile(rf"^{part.name}-(\d{{1,4}})-([a-z_]+)$")
        indexes = sorted({int(m.group(1)) for k in form if (m := key.match(k))})
        rows, sent, origins = [], [], []
        for index in indexes:
            shown = {f.name: _raw(f, form, f"{part.name}-{index}-{f.name}") for f in part.fields}
            rows.append(shown)
            if all(v in ("", False) for v in shown.values()):
                continue
            line = {f.name: _api_value(f, shown[f.name]) for f in part.fields}
            sent.append({k: v for k, v in line.items() if v is not None})
            origins.append(len(rows) - 1)
        state[part.name], state[f"{part.name}__origins"] = rows, origins
        data[part.name] = sent
    return state, data


def part_errors(catalog, errors: FormErrors, state: Mapping[str, Any]) -> FormErrors:
    """``errors`` with each ``<part>[i].<field>`` moved to the form row line ``i`` came from."""
    for part in catalog.parts:
        origins = state.get(f"{part.name}__origins") or []
        pattern = re.compile(rf"^{part.name}\[(\d+)\]\.([a-z_]+)$")
        for key in [k for k in errors.header if pattern.match(k)]:
            m = pattern.match(key)
            index = int(m.group(1))
            row = origins[index] if index < len(origins) else index
            errors.header[f"{part.name}[{row}].{m.group(2)}"] = errors.header.pop(key)
    return errors


def errors_from(details: Mapping[str, Any] | None, origins: Sequence[int] = ()) -> FormErrors:
    """Field errors of a ValidationError, placed on the header field or the table cell."""
    out = FormErrors()
    for key, message in ((details or {}).get("fields") or {}).items():
        m = _ERROR_KEY.match(key)
        if m:
            index = int(m.group(1))
            row = origins[index] if index < len(origins) else index
            out.lines.setdefault(row, {})[m.group(2)] = message
        elif key.startswith("lines"):
            out.other.append(message)
        else:
            out.header[key] = message
    return out
