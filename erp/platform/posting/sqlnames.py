"""Names and literals in SQL, said by one function each.

Every table and column name the posting engine writes into a statement goes
through :func:`ident`, which accepts only what the declarations allow
(lowercase latin letters, digits and ``_``) and quotes it, so a keyword such as
``end`` is a name too. Every string the engine writes as a literal (a register's
name in a shortfall row, a time zone) goes through :func:`literal`.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier; anything a declaration could not have declared is refused."""
    if not _IDENT.match(name):
        raise ValueError(f"not an SQL name the configuration could declare: {name!r}")
    return f'"{name}"'


def idents(names) -> str:
    return ", ".join(ident(n) for n in names)


def literal(text: str) -> str:
    """``text`` as an SQL string literal (quotes doubled; NUL refused)."""
    if "\x00" in text:
        raise ValueError("NUL in an SQL literal")
    return "'" + text.replace("'", "''") + "'"


def by_ids(ids: str) -> str:
    """The relation ``u(id)`` of the distinct ids of the array ``ids``, to look each one up by its primary
    key in a ``LATERAL (… WHERE t.id = u.id LIMIT 1)``: ``t.id = ANY(ids)`` let the generic plan (which
    takes ten ids for granted) scan a catalog of a thousand items on every posting instead, ≈0.3 ms a
    catalog (bench/NOTES.md item 26)."""
    return f"(SELECT DISTINCT unnest({ids}) AS id) AS u"


class Params:
    """The parameters of one statement, by name: ``p("doc_id")`` is ``$1`` wherever it is used,
    and :attr:`names` says which value goes in which place (numbers are given here and nowhere else)."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def __call__(self, name: str, sql_type: str | None = None) -> str:
        number = self._numbers.setdefault(name, len(self._numbers) + 1)
        return f"${number}::{sql_type}" if sql_type else f"${number}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._numbers)
