"""The document lifecycle, declared once.

Actions: write, post, unpost, mark (deletion), unmark. :data:`RULES` says
from which states each is allowed; :func:`guard` is the one function that
enforces them together with the period lock, for every caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import Conflict
from .period_lock import ensure_open


@dataclass(frozen=True)
class State:
    posted: bool
    deletion_mark: bool


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[State]
    refusal: str
    verb: str  # for the period-lock message: "записать", "провести", …


_ALL = frozenset(State(p, m) for p in (False, True) for m in (False, True))
_NOT_MARKED = frozenset(s for s in _ALL if not s.deletion_mark)

RULES: dict[str, Rule] = {
    "write": Rule(_NOT_MARKED, "Документ помечен на удаление: снимите пометку, чтобы изменить его",
                  "записать"),
    "post": Rule(_NOT_MARKED, "Документ помечен на удаление и не может быть проведён", "провести"),
    "unpost": Rule(frozenset({State(True, False)}), "Документ не проведён", "отменить проведение"),
    "mark": Rule(frozenset({State(False, False)}),
                 "Пометить на удаление можно только непроведённый документ без пометки",
                 "пометить на удаление"),
    "unmark": Rule(frozenset({State(False, True)}), "Документ не помечен на удаление",
                   "снять пометку удаления"),
}


class TransitionRefused(Conflict):
    code = "transition_refused"


def guard(action: str, state: State | None, day: dt.date, lock: dt.date | None,
          new_day: dt.date | None = None) -> None:
    """Refuse ``action`` on a document in ``state`` dated ``day`` (None: a new one)."""
    rule = RULES[action]
    if state is not None and state not in rule.allowed:
        raise TransitionRefused(rule.refusal, details={"action": action})
    ensure_open(lock, day, rule.verb)
    if new_day is not None and new_day != day:
        ensure_open(lock, new_day, "перенести в закрытый период")
