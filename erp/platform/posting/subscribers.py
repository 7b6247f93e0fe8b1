"""Subscribers: what else an operation on a document writes, as data.

A subscriber (the audit log, the amoCRM outbox, anything later) is told of every
operation on the documents it subscribed to (:meth:`~erp.platform.metadata.Registry.subscribe`)
and answers with rows to insert and channels to notify
(:class:`~.plan.Row`, :class:`~.plan.Notify`), which the compiler puts into the
operation's own statement: they exist exactly when the operation commits. What it
must read to decide, it declares like a kind does (:mod:`.inputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..document import Doc, DocumentKind
    from .build import Change
    from .plan import Notify, Operation, Row


def _nothing(kind: DocumentKind, operation: Operation, old: Doc | None, new: Doc) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Subscriber:
    """``rows(change)`` gives the rows and notifications of one operation; ``needs(kind, operation,
    old, new)`` what it reads first (``change.inputs`` has them by the same names)."""

    name: str
    rows: Callable[[Change], Sequence[Row | Notify]]
    needs: Callable[[DocumentKind, Operation, Doc | None, Doc], Mapping[str, Any]] = _nothing
