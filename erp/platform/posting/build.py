"""The build step: one operation on a document as a :class:`~.plan.PostingPlan`, or every error.

Pure: it reads the document before (``old``) and after (``new``) the operation and
what the needs read (:class:`~.inputs.Inputs`), and it does no I/O. The kind's
``fill``, ``rules`` and ``movements`` and the subscribers' rows run here, the
same for every path (create, save, post a draft, re-post, unpost, mark).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..document import Doc, DocumentKind
from ..document_input import check_computed
from ..errors import Conflict, ErpError, ValidationError
from ..info_register import InformationRegister
from ..lifecycle import State, guard
from ..register import AccumulationRegister
from .inputs import Inputs
from .plan import DocumentRow, InfoRecords, LinesWrite, Notify, Numbering, Operation, PostingPlan, RecordSet, Row

GUARDED = {"create": "write", "write": "write", "post": "post", "unpost": "unpost", "mark": "mark",
           "unmark": "unmark"}


@dataclasses.dataclass(frozen=True)
class Change:
    """What a subscriber is shown: the operation, the document before and after, the inputs it
    asked for and who acts."""

    kind: DocumentKind
    operation: Operation
    old: Doc | None
    new: Doc
    inputs: Inputs
    actor: Any


def combined(errors: Sequence[ErpError]) -> ErpError:
    """Every error as one: field errors merged, the others listed in ``details.errors``."""
    if len(errors) == 1:
        return errors[0]
    if all(isinstance(e, ValidationError) for e in errors):
        fields: dict[str, str] = {}
        for e in errors:
            fields |= e.details.get("fields", {})
        summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
        return ValidationError(f"Неверные данные — {summary}", details={"fields": fields})
    first = errors[0]
    out = type(first)("; ".join(e.message for e in errors), code=first.code, status=first.status,
                      details={**first.details, "errors": [e.as_dict() for e in errors]})
    return out


def _day(moment: dt.datetime, tz) -> dt.date:
    return moment.astimezone(tz).date()


def numbering(kind: DocumentKind, old: Doc | None, new: Doc, prefix: str | None, year: int) -> Numbering:
    """A new document's number comes from its series; a saved one keeps its number unless its
    date moved to another year or its prefix source changed (1C moves it into the new series)."""
    if old is None:
        return Numbering("new", prefix=prefix or "", year=year, width=kind.number_width)
    stored_prefix, stored_year = old.number_prefix, old.number_year
    target_prefix = stored_prefix if prefix is None else prefix
    if (target_prefix, year) == (stored_prefix, stored_year):
        return Numbering("keep", width=kind.number_width)
    return Numbering("move", prefix=target_prefix, year=year, width=kind.number_width, old_number=old.number,
                     old_prefix=stored_prefix, old_year=stored_year)


def build(registry, kind: DocumentKind, operation: Operation, old: Doc | None, new: Doc, inputs: Inputs, *,
          tz, subscribers: Sequence[Any] = (), actor: Any = None, author_id: int | None = None,
          prefix: str | None = None) -> PostingPlan | list[ErpError]:
    """The plan of ``operation`` taking ``old`` to ``new``, or every error that refuses it.

    ``prefix`` is the number prefix the document's series takes (None: unchanged)."""
    try:
        state = None if old is None else State(old.posted, old.deletion_mark)
        guard(GUARDED[operation], state, _day(old.date if old else new.date, tz), inputs.lock,
              new_day=_day(new.date, tz) if old is not None else None)
        if old is None and new.posted:
            guard("post", State(False, False), _day(new.date, tz), inputs.lock)
    except ErpError as exc:
        return [exc]
    header, lines = dict(new.header), [dict(ln) for ln in new.lines]
    if operation in ("create", "write", "post"):  # posting a saved draft fills it again, as 1C writes it
        try:
            if kind.fill is not None:
                header, lines = kind.fill(header, lines, inputs)
            check_computed(kind, header, lines)
        except ErpError as exc:
            return [exc]
        new = dataclasses.replace(new, header=header, lines=tuple(lines))
    errors: list[ErpError] = []
    if kind.rules is not None and operation not in ("mark", "unmark"):
        errors += kind.rules(old, new, inputs)
    if errors:
        return errors
    moves: dict[str, list] = {}
    posting = new.posted and operation not in ("mark", "unmark")
    if posting:
        if not kind.postable:
            return [Conflict(f"Документ «{kind.title}» не проводится", code="not_postable")]
        try:
            written = kind.movements(new, inputs) if kind.movements else {}
        except ErpError as exc:
            return [exc]
        moves = {(r if isinstance(r, str) else r.name): list(v) for r, v in written.items()}
        unknown = set(moves) - {r.name for r in kind.registers}
        if unknown:
            raise AssertionError(f"{kind.name}.movements() wrote undeclared registers {unknown}")
    unposting = old is not None and old.posted and not new.posted
    fresh = old is None
    registers: list[RecordSet] = []
    info: list[InfoRecords] = []
    if posting or unposting:
        for register in kind.registers:
            records = moves.get(register.name, [])
            if isinstance(register, AccumulationRegister):
                if fresh and not records:
                    continue
                registers.append(RecordSet(register.name, tuple(records), fresh=fresh))
            elif isinstance(register, InformationRegister):
                parsed = tuple({f.name: register._parse(f, rec.get(f.name)) for f in
                                (*register.dimensions, *register.resources)} for rec in records)
                info.append(InfoRecords(register.name, parsed, period=new.date))
    year = _day(new.date, tz).year
    number = numbering(kind, old, new, prefix, year)
    writing = operation in ("create", "write", "post")
    document = DocumentRow(
        kind=kind.name, table=kind.table, id=new.id or 0, date=new.date, posted=new.posted,
        deletion_mark=new.deletion_mark, header=header if writing else {},
        types={f.name: f.sql_type for f in kind.header if f.name in header} if writing else {},
        insert=old is None, based_on=new.based_on, author_id=author_id)
    lines_write = None
    if writing and kind.lines:
        lines_write = LinesWrite(kind.lines_table, tuple(f.name for f in kind.lines),
                                 tuple(f.sql_type for f in kind.lines), tuple(lines), replace=old is not None)
    rows: list[Row] = []
    notify: list[Notify] = []
    change = Change(kind, operation, old, new, inputs, actor)
    for subscriber in subscribers:
        for out in subscriber.rows(change):
            (notify if isinstance(out, Notify) else rows).append(out)
    overlaps = tuple((o.name, o.code, o.message(new, inputs)) for o in kind.overlaps
                     if posting and o.message is not None and all(new.header.get(f) is not None for f in o.equal))
    slot = kind.shared_slot
    slot_full = ((slot.code, slot.message(new, inputs) if slot.message else kind.conflict_message)
                 if slot is not None and posting and new.header.get(slot.key) else None)
    return PostingPlan(operation, document, number, lines_write, tuple(registers), tuple(info), tuple(rows),
                       tuple(dict.fromkeys(notify)), overlaps, slot_full)
