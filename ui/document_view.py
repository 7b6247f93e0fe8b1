"""What a document form shows besides its inputs: how a new one starts, the
names behind the references, the derived values (an invoice's status), the
kinds that can be created on its basis, the totals, the movements as tables
per register, and a stock shortage told in names, not ids."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Request

from erp.platform.document import Doc, DocumentKind
from erp.platform.posting import derive
from erp.printing import defaults as document_defaults
from ui import context, i18n
from ui.formdata import COMPUTED_LINE_FIELDS, FormState, input_value, number_input, state_from_values
from ui.i18n import gettext as _
from ui.queries import lists


@dataclass
class DocumentView:
    names: dict[tuple[str, int], str]
    derived: dict[str, Any]
    based_on_targets: list[DocumentKind]
    based_on_text: str
    total: Decimal | None
    title: str
    computed: frozenset[str] = field(default=COMPUTED_LINE_FIELDS)
    derived_lines: list[dict[str, Any]] = field(default_factory=list)  # per line: what arrived, what is to come


def _ids(value: Any) -> int | None:
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def state_refs(kind: DocumentKind, state: FormState) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for f in kind.header:
        if f.type == "ref" and _ids(state.header.get(f.name)) is not None:
            wanted.setdefault(f.ref, set()).add(_ids(state.header[f.name]))
    for line in state.lines:
        for f in kind.lines:
            if f.type == "ref" and _ids(line.get(f.name)) is not None:
                wanted.setdefault(f.ref, set()).add(_ids(line[f.name]))
    if state.based_on:
        wanted.setdefault(state.based_on[0], set()).add(state.based_on[1])
    return wanted


def _total(kind: DocumentKind, state: FormState, doc: Doc | None) -> Decimal | None:
    if doc is not None and doc.header.get("amount_total") is not None:
        return doc.header["amount_total"]
    if not any(f.name == "amount" for f in kind.lines):
        return None
    total = Decimal(0)
    for line in state.lines:
        try:
            total += Decimal(number_input(str(line.get("amount") or 0)))
        except InvalidOperation:
            continue
    return total


def _offered(basis, doc: Doc | None, derived: Mapping[str, Any]) -> bool:
    return basis is not None and (doc is None or basis.offered is None or basis.offered(doc, derived))


async def build(request: Request, kind: DocumentKind, state: FormState, doc: Doc | None) -> DocumentView:
    registry = context.registry(request)
    tz = context.settings(request).tz
    async with context.acquire(request) as conn:
        names = await lists.ref_names(conn, registry, state_refs(kind, state), tz, i18n.document_name)
        derived = dict((await derive(conn, registry, kind, [doc])).get(doc.id, {})) if doc is not None else {}
    per_line = derived.pop("lines", None) or []
    derived_lines = [{**ln, **more} for ln, more in zip(doc.lines, per_line, strict=False)] if doc is not None else []
    targets = [k for k in registry.documents.values() if _offered(k.based_on_source(kind.name), doc, derived)]
    based_on_text = names.get(state.based_on, "") if state.based_on else ""
    if doc is not None:
        title = f"{_(kind.title)} № {doc.number} {_('от')} {i18n.datetime(doc.date, tz)}"
    else:
        title = f"{_(kind.title)} ({_('создание')})"
    return DocumentView(names, derived, targets, based_on_text, _total(kind, state, doc), title,
                        derived_lines=derived_lines)


async def new_state(request: Request, kind: DocumentKind, engine, params: Mapping[str, str]) -> FormState:
    """What a new document's form starts with: filled "based on" another document
    (``?based_on_kind=&based_on_id=``), or the defaults (Документы 2.0: the
    organization, its bank account, the lines' discount) and whatever the link
    prefills, e.g. the doctor and the time of a calendar cell."""
    tz = context.settings(request).tz
    base_kind, base_id = params.get("based_on_kind"), params.get("based_on_id", "")
    if base_kind and base_id.isdigit():
        async with context.acquire(request) as conn:
            filled = await engine.fill_based_on(conn, kind, base_kind, int(base_id))
            filled = await _with_money_account(conn, kind, filled)
        state = state_from_values(kind, filled, filled["lines"], dt.datetime.now(tz), tz, (base_kind, int(base_id)))
    else:
        async with context.acquire(request) as conn:
            defaults = await document_defaults.new_document(conn, kind, _chosen_id(params.get("organization_id")))
        state = state_from_values(kind, {k: v for k, v in defaults["document"].items() if k != "lines"}, [],
                                  dt.datetime.now(tz), tz)
        line_fields = {f.name: f for f in kind.lines}
        state.line_defaults = {k: input_value(line_fields[k], v) for k, v in defaults["line_defaults"].items()}
        flags = {f.name for f in kind.header if f.type == "bool"}
        state.header.update({f.name: (params[f.name] == "true") if f.name in flags else params[f.name]
                             for f in kind.header if params.get(f.name)})
    if kind.lines and not state.lines:
        state.lines.append({**{f.name: "" for f in kind.lines}, **state.line_defaults})
    return state


def _chosen_id(value: str | None) -> int | None:
    """An id a link chose (``?organization_id=``), when it is one: anything else is left to the form."""
    return int(value) if value and value.isdigit() and int(value) < 2**63 else None


async def _with_money_account(conn, kind: DocumentKind, filled: dict) -> dict:
    """A document filled on the basis of another (a payment from an invoice that names no bank
    account) takes its organization's default bank account and cash desk where the base named none."""
    organization = filled.get("organization_id")
    if not organization:
        return filled
    found = await document_defaults.money_accounts(conn, kind, organization)
    return {**filled, **{name: value for name, value in found.items() if filled.get(name) is None}}


async def describe_shortage(request: Request, shortfalls: list[dict[str, Any]]) -> list[str]:
    """Each shortfall of a posting error (``details["shortfalls"]``: register,
    dimensions, available, required, the moment when short at a past one) as a person reads it:
    «Основной склад, Шприц 5 мл: доступно 2, требуется 5», «…: на 10.03.2026 12:00 не хватает 3 (доступно 2,
    требуется 5)»."""
    registry = context.registry(request)
    wanted: dict[str, set[int]] = {}
    for s in shortfalls:
        register = registry.registers.get(s.get("register"))
        for f in register.dimensions if register else ():
            if f.type == "ref" and s.get("dimensions", {}).get(f.name) is not None:
                wanted.setdefault(f.ref, set()).add(s["dimensions"][f.name])
    async with context.acquire(request) as conn:
        names = await lists.ref_names(conn, registry, wanted)
    lines = []
    for s in shortfalls:
        register = registry.registers.get(s.get("register"))
        dims = s.get("dimensions", {})
        shown = s.get("names") or {}  # the names a kind's own check gave (a money account's)
        key = ", ".join(names.get((f.ref, dims.get(f.name)), str(dims.get(f.name))) if f.type == "ref"
                        else shown[f.name]
                        for f in (register.dimensions if register else ())
                        if (f.type == "ref" and f.name not in shown) or f.name in shown)
        amounts = {"key": key, "available": i18n.number(s.get("available")),
                   "required": i18n.number(s.get("required"))}
        if s.get("moment"):  # short not now but at a past moment (a back-dated document, a receipt unposted)
            amounts |= {"moment": i18n.datetime(dt.datetime.fromisoformat(s["moment"])),
                        "missing": i18n.number(Decimal(s["required"]) - Decimal(s["available"]))}
            lines.append(_("%(key)s: на %(moment)s не хватает %(missing)s (доступно %(available)s, требуется"
                           " %(required)s)") % amounts)
        else:
            lines.append(_("%(key)s: доступно %(available)s, требуется %(required)s") % amounts)
    return lines


@dataclass(frozen=True)
class MovementTable:
    title: str
    columns: list[Any]
    rows: list[dict[str, Any]]
    balance: bool


async def movement_tables(request: Request, kind: DocumentKind, moves: dict[str, list[dict]]) -> list[MovementTable]:
    """Движения документа: one table per register the kind writes, with names for references."""
    registry = context.registry(request)
    tz = context.settings(request).tz
    wanted: dict[str, set[int]] = {}
    for register in kind.registers:
        lists.collect_refs(registry, (*register.dimensions, *getattr(register, "attributes", ())),
                           moves.get(register.name, []), wanted)
    async with context.acquire(request) as conn:
        names = await lists.ref_names(conn, registry, wanted, tz, i18n.document_name)
    tables = []
    for register in kind.registers:
        columns = [*register.dimensions, *register.resources, *getattr(register, "attributes", ())]
        rows = [{**r, "_names": names} for r in moves.get(register.name, [])]
        for i, f in enumerate(columns):
            if by := f.extra.get("ref_by"):  # a reference whose catalog is another column's value: shown by name
                columns[i] = dataclasses.replace(f, type="str")
                for r in rows:
                    if r.get(f.name) is not None:
                        r[f.name] = names.get((r.get(by), r[f.name]), f"#{r[f.name]}")
        tables.append(MovementTable(_(register.title), columns, rows, getattr(register, "kind", "") == "balance"))
    return tables
