"""Shortfalls: what balance control found wrong, for people and for machines.

The posting statement checks its own balances (see :mod:`erp.platform.posting.compile`) and,
when something is short, the server refuses it with SQLSTATE :data:`SHORTAGE` and the shortfalls
as JSON; :class:`BalanceShortage` is that refusal as a 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from .errors import Conflict


class Shortfall(msgspec.Struct, frozen=True, kw_only=True):
    """A key whose controlled resource breaks a rule: went negative, or (``zero_with``
    names its pair) stayed non-zero where the pair is zero.

    ``required`` is what the recorder takes from the key (its expenses less its
    receipts, never below zero; 0 for ``zero_with``); ``available`` is the balance after the write
    plus ``required``: what the key had without this recorder. ``moment``, when set, says the balance
    is short not now but at that past moment (a back-dated expense, a receipt unposted or moved later
    under goods spent before a later receipt): the lowest balance after the write from the earliest
    moment it touches on, and ``required`` what the recorder's movements take up to that moment.
    ``names`` (the dimensions' presentations), ``labels`` (the fields' titles) and ``balances`` (every
    resource of the key after the write; at ``moment``, those controlled in the past) are filled when
    known, for people (see :mod:`.shortfall_names`).
    """

    register: str
    dimensions: dict[str, Any]
    resource: str
    available: Decimal
    required: Decimal
    title: str = ""
    zero_with: str | None = None
    moment: dt.datetime | None = None
    names: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    balances: dict[str, Decimal] | None = None

    def _label(self, name: str) -> str:
        return (self.labels or {}).get(name) or name

    def describe(self) -> str:
        names = self.names or {}
        key = ", ".join(f"{self._label(k)} «{names[k]}»" if k in names else f"{k}={v}"
                        for k, v in self.dimensions.items())
        if self.zero_with:
            amounts = (f"остаток {self.available - self.required} при нулевом остатке"
                       f" «{self._label(self.zero_with)}», а должен быть 0")
        elif self.moment is not None:
            amounts = f"на {self.moment:%d.%m.%Y %H:%M} не хватает {self.required - self.available}"
            if self.required > 0:
                amounts += f" (доступно {self.available}, требуется {self.required})"
        elif self.required > 0:
            amounts = f"доступно {self.available}, требуется {self.required}"
        else:
            amounts = f"остаток станет {self.available - self.required}"
        after = ""
        if self.balances:
            when = f" на {self.moment:%d.%m.%Y %H:%M}" if self.moment is not None else ""
            after = (f" (после изменения{when}: "
                     + ", ".join(f"{self._label(r)} {v}" for r, v in self.balances.items()) + ")")
        return f"{self.title or self.register} ({key}), {self._label(self.resource)}: {amounts}{after}"

    def as_dict(self) -> dict[str, Any]:
        out = {"register": self.register, "dimensions": self.dimensions, "resource": self.resource,
               "available": str(self.available), "required": str(self.required)}
        if self.zero_with:
            out["zero_with"] = self.zero_with
        if self.moment is not None:
            out["moment"] = self.moment.isoformat()
        if self.names:
            out["names"] = self.names
        if self.balances:
            out["balances"] = {r: str(v) for r, v in self.balances.items()}
        return out


# The SQLSTATE of erp_balance_shortage(): a statement that controls its own balances refused (migration
# 2026-12-01T12:00:00); the shortfalls are the error's DETAIL, as JSON.
SHORTAGE = "EB001"


class BalanceShortage(Conflict):
    """A posting would leave a negative balance; the transaction must roll back."""

    code = "balance_shortage"

    def __init__(self, shortfalls: Sequence[Shortfall]) -> None:
        heading = "Остаток станет неверным: " if any(s.zero_with for s in shortfalls) else "Недостаточно остатка: "
        super().__init__(heading + "; ".join(s.describe() for s in shortfalls),
                         details={"shortfalls": [s.as_dict() for s in shortfalls]})
        self.shortfalls = list(shortfalls)


def raise_if_short(shortfalls: Sequence[Shortfall]) -> None:
    if shortfalls:
        raise BalanceShortage(shortfalls)


def shortfalls_of(rows: Iterable[Mapping[str, Any]], titles: Mapping[str, str]) -> list[Shortfall]:
    """The :func:`check_query` rows as shortfalls (rows without a register are skipped)."""
    return [Shortfall(register=row["register"], dimensions=msgspec.json.decode(row["dims"]),
                      resource=row["resource"], available=row["balance"] + row["required"],
                      required=row["required"], title=titles[row["register"]], zero_with=row.get("zero_with"),
                      moment=row.get("moment"), balances=row.get("after"))
            for row in rows if row["register"] is not None]
