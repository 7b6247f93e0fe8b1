"""Журнал регистрации: the audit log.

Every change of data or settings, and every login, leaves one row in
``audit_log``: when, who (the acting user, or the integration or the command
line), what (an action and an object: ``document:requests`` 12, ``catalog:clients``
7, ``setting:smtp``, ``user`` 3) and the changed fields only, as
``{field: [before, after]}``. The row is inserted on the caller's connection,
inside the caller's transaction, so a change that rolls back leaves no trace
and a change that commits always has one. Secrets never reach it: fields named
as secret are written as ``***``.

Who is acting is a context variable, set for the duration of a request by the
API's bearer authentication and the UI's session middleware, by the amoCRM
widget and webhooks ("amoCRM") and by the command line ("cli:<os user>"), so
no function has to pass it along.

Documents are audited by :data:`on_document`, a subscriber the configuration
subscribes for every kind (:meth:`~erp.platform.metadata.Registry.subscribe_all`).
Its rows are part of the operation's own statement: writing a new document
together with posting it ("Провести и закрыть"), or re-posting a changed posted
one, is one row whose action is ``post`` and whose changes are the written fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import asyncpg

from .posting.plan import DOC_ID, DOC_NUMBER, Computed, Row
from .posting.subscribers import Subscriber

if TYPE_CHECKING:
    from .document import Doc

SECRET = "***"
DOCUMENT_ACTIONS = ("write", "post", "unpost", "mark", "unmark")
ITEM_ACTIONS = ("create", "update", "mark", "unmark", "purge")
ACTIONS = ("write", "post", "unpost", "mark", "unmark", "create", "update", "purge", "login", "login_failed",
           "settings")
# Bookkeeping columns a change of an item does not consist of.
TECHNICAL = frozenset({"id", "created_at", "updated_at"})
_INSERT = ("INSERT INTO audit_log (at, user_id, username, action, object_kind, object_id, presentation, changes,"
           " address) VALUES (now(), $1, $2, {action}, $3, $4, $5, $6, $7)")


@dataclass(frozen=True)
class Actor:
    """Who the audit log names: a user (``user_id``) or a process (``username`` only)."""

    user_id: int | None
    username: str
    address: str = ""


SYSTEM = Actor(None, "system")
AMOCRM = Actor(None, "amoCRM")
_actor: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Everything recorded inside the block names ``actor``."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


@contextmanager
def actor_scope() -> Iterator[None]:
    """Undo, at the end of the block, whatever actor was set inside it (a request's)."""
    token = _actor.set(_actor.get())
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(actor: Actor) -> None:
    """Name ``actor`` until the enclosing :func:`actor_scope` ends."""
    _actor.set(actor)


# -- what changed ---------------------------------------------------------------------------------


_AS_IS = frozenset({str, int, bool, float})


def plain(value: Any) -> Any:
    """``value`` as JSON keeps it: decimals as text (exact), moments and days in ISO 8601."""
    if value is None or type(value) in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any], *,
         secrets: Iterable[str] = ()) -> dict[str, list]:
    """``{field: [before, after]}`` for the fields of ``after`` whose value changed.

    With no ``before`` (a new object) the filled fields are listed from ``None``
    (a flag left false is not "filled").
    A secret field that changed is listed as ``***``: that it changed, never what to."""
    hidden = set(secrets)
    out: dict[str, list] = {}
    for key, new in after.items():
        if before is None:
            if _empty(new) or new is False:
                continue
            old = None
        else:
            old = before.get(key)
            if old == new or (_empty(old) and _empty(new)):
                continue
        if key in hidden:
            out[key] = [None if _empty(old) else SECRET, None if _empty(new) else SECRET]
        else:
            out[key] = [plain(old), plain(new)]
    return out


def item_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, list]:
    """The changed attributes of a catalog item (a row), without bookkeeping columns."""
    return diff(before, {k: v for k, v in after.items() if k not in TECHNICAL})


def _document_fields(doc: Doc, line_keys: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"number": doc.number, "date": doc.date, **doc.header}
    if line_keys:
        fields["lines"] = [{k: line.get(k) for k in line_keys} for line in doc.lines]
    return fields


def document_changes(old: Doc | None, new: Doc, action: str) -> dict[str, list]:
    """A write's changed fields (the lines as a whole when any line changed), or the flag an action turns."""
    if action == "post":
        return {} if old is not None and old.posted else {"posted": [False, True]}
    if action == "unpost":
        return {"posted": [True, False]}
    if action in ("mark", "unmark"):
        return {"deletion_mark": [action == "unmark", action == "mark"]}
    # What this write did not send (read-only attributes) is not its change.
    line_keys = list(dict.fromkeys(k for line in new.lines for k in line))
    if old is not None and not new.lines and old.lines:
        line_keys = list(dict.fromkeys(k for line in old.lines for k in line))
    after = _document_fields(new, line_keys)
    return diff(None if old is None else _document_fields(old, line_keys), after)


# -- recording ------------------------------------------------------------------------------------


async def record(conn: asyncpg.Connection, action: str, object_kind: str, *, object_id: int | None = None,
                 presentation: str = "", changes: Mapping[str, Any] | None = None,
                 actor: Actor | None = None) -> None:
    """One row, in the caller's transaction."""
    who = actor or _actor.get()
    await conn.execute(_INSERT.format(action="$8"), who.user_id, who.username, object_kind, object_id,
                       presentation[:300], dict(changes or {}), who.address[:64], action)


async def record_many(conn: asyncpg.Connection, action: str, object_kind: str,
                      objects: list[tuple[int, str, Mapping[str, Any]]]) -> None:
    """One row per ``(id, presentation, changes)``, in one statement (e.g. a purge)."""
    if not objects:
        return
    who = _actor.get()
    await conn.execute(
        "INSERT INTO audit_log (at, user_id, username, action, object_kind, object_id, presentation, changes,"
        " address) SELECT now(), $1, $2, $3, $4, o.id, o.presentation, o.changes, $5"
        " FROM unnest($6::bigint[], $7::text[], $8::jsonb[]) AS o(id, presentation, changes)",
        who.user_id, who.username, action, object_kind, who.address[:64], [o[0] for o in objects],
        [o[1][:300] for o in objects], [dict(o[2]) for o in objects])


async def record_setting(conn: asyncpg.Connection, name: str, before: Mapping[str, Any] | None,
                         after: Mapping[str, Any], *, object_id: int | None = None, presentation: str = "",
                         secrets: Iterable[str] = ()) -> None:
    """A settings change (``setting:<name>``), when something did change."""
    changes = diff(before or {}, after, secrets=secrets)
    if changes:
        await record(conn, "settings", f"setting:{name}", object_id=object_id, presentation=presentation,
                     changes=changes)


def _row(change, action: str, changes: Mapping[str, Any], *, numbered: bool = False) -> Row:
    who = change.actor or _actor.get()
    return Row("audit_log", {
        "at": dt.datetime.now(dt.UTC), "user_id": who.user_id, "username": who.username, "action": action,
        "object_kind": f"document:{change.kind.name}", "object_id": DOC_ID, "presentation": DOC_NUMBER,
        "changes": Computed("number_into", into=dict(changes)) if numbered else dict(changes),
        "address": who.address[:64]}, types={"at": "timestamptz", "user_id": "bigint", "username": "text",
                                             "action": "text", "object_kind": "text", "changes": "jsonb",
                                             "address": "text"})


def document_rows(change) -> list[Row]:
    """One row per operation (two when a draft is saved and posted at once): a new document written
    and posted ("Провести и закрыть") or a posted one re-posted is one ``post`` row whose changes
    are the written fields; a new one's number is the one its statement gave it."""
    old, new = change.old, change.new
    match change.operation:
        case "create":
            return [_row(change, "post" if new.posted else "write", document_changes(None, new, "write"),
                         numbered=True)]
        case "write":
            written = document_changes(old, new, "write")
            if old.posted:
                return [_row(change, "post", written)]
            rows = [_row(change, "write", written)]
            if new.posted:
                rows.append(_row(change, "post", document_changes(old, new, "post")))
            return rows
        case action:
            return [_row(change, action, document_changes(old, new, action))]


on_document = Subscriber("audit", document_rows)
