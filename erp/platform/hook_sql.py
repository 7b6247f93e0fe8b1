"""Hooks said in SQL: a subscriber's work as part of the posting's own statement.

A hook (see :meth:`~erp.platform.metadata.Registry.subscribe`) runs Python on
the engine's connection inside the engine's transaction: for every write, post,
unpost and mark, one round trip or more of its own. For the commonest operation,
a new document written and posted at once ("Провести и закрыть"), a hook may
also say what it does as SQL (:func:`in_statement`): then the engine writes the
document, its movements, their balance control, its number and every hook's
rows in **one statement**, with no transaction around it, so the gapless
counter's row is locked only inside that statement, as in the raw-SQL ceiling.

A hook's SQL is data-modifying CTEs (``name AS (INSERT ...)``, names the hook's
own) that may read the CTE ``doc`` (the new document's ``id`` and ``number``),
with its own arguments as ``$1``, ``$2``…, and expressions the statement must
evaluate (a CTE that only reads, e.g. a ``pg_notify``, runs only when read).
The text must not depend on the values (they go in ``args``): the statement is
prepared once per kind and shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .document import Doc, DocumentKind

_ARGUMENT = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class HookStatement:
    """One hook's part of a new document's posting statement."""

    ctes: str = ""
    args: tuple[Any, ...] = ()
    evaluate: tuple[str, ...] = ()

    def shape(self) -> tuple[str, tuple[str, ...]]:
        return self.ctes, self.evaluate


Said = Callable[["DocumentKind", "Doc"], HookStatement | None]


def in_statement(said: Said):
    """Declare that a hook can also be said as SQL: ``said(kind, doc)`` gives its part of the
    statement that writes and posts the new document ``doc`` (its number is ``doc.number`` in the
    SQL, ``""`` in ``doc``), or None when the hook has nothing to do for it. The hook is then not
    called for that operation; it is for every other one."""
    def mark(hook):
        hook.said_in_sql = said
        return hook

    return mark


def speak_sql(hooks: Sequence[Callable]) -> bool:
    """Whether every one of ``hooks`` can be said as SQL."""
    return all(hasattr(hook, "said_in_sql") for hook in hooks)


def statements_of(hooks: Sequence[Callable], kind: DocumentKind, doc: Doc) -> list[HookStatement]:
    """Every hook's part for ``doc`` (hooks that :func:`speak_sql`)."""
    return [s for s in (hook.said_in_sql(kind, doc) for hook in hooks) if s is not None]


def spliced(parts: Sequence[HookStatement], first_arg: int) -> tuple[str, list[str], list[Any]]:
    """The parts' CTEs and expressions with their arguments numbered from ``first_arg``, and the arguments."""
    ctes, evaluate, args = [], [], []
    for part in parts:
        offset = first_arg + len(args) - 1

        def shift(sql: str, offset: int = offset) -> str:
            return _ARGUMENT.sub(lambda m: f"${int(m.group(1)) + offset}", sql)

        if part.ctes:
            ctes.append(shift(part.ctes))
        evaluate += [shift(e) for e in part.evaluate]
        args += part.args
    return ", ".join(ctes), evaluate, args
