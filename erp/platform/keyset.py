"""Keyset pagination: the cursor is the last row's sort key, so every page
costs the same, first or last."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from .errors import ValidationError

PAGE_SIZES = (25, 50, 100, 200)


def check_limit(limit: int) -> int:
    if limit not in PAGE_SIZES:
        raise ValidationError.field("limit", f"размер страницы: {', '.join(map(str, PAGE_SIZES))}")
    return limit


def encode(values: list[Any]) -> str:
    tagged = []
    for v in values:
        if isinstance(v, dt.datetime):
            tagged.append(["t", v.isoformat()])
        elif isinstance(v, dt.date):
            tagged.append(["d", v.isoformat()])
        elif isinstance(v, Decimal):
            tagged.append(["n", str(v)])
        else:
            tagged.append(["v", v])
    return base64.urlsafe_b64encode(msgspec.json.encode(tagged)).decode().rstrip("=")


def decode(cursor: str, types: tuple[type, ...]) -> list[Any]:
    """The sort key a cursor carries, checked against the ``types`` of the list's key:
    a forged, damaged or stale cursor (one of another list) is a 422 ``invalid_cursor``."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError
        raw = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        out = []
        for tag, v in raw:
            out.append(_READERS[tag](v))
        if len(out) != len(types) or not all(_fits(v, t) for v, t in zip(out, types, strict=True)):
            raise ValueError
        return out
    except Exception:
        raise ValidationError.field(
            "after", "неверный курсор страницы (подделан или устарел): начните с первой страницы",
            code="invalid_cursor") from None


MAX_CURSOR = 2000


def _moment(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    value.astimezone(dt.UTC)  # an overflow here is a forged cursor
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError(value)
    return value


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    return value


_READERS: dict[str, Callable[[Any], Any]] = {"t": _moment, "d": dt.date.fromisoformat, "n": Decimal, "v": _value}


def _fits(value: Any, t: type) -> bool:
    if t is int:
        return type(value) is int and -(2**63) <= value < 2**63
    if t is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    if t is dt.date:
        return type(value) is dt.date
    return isinstance(value, t)
