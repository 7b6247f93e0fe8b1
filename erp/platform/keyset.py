"""Keyset pagination: the cursor is the last row's sort key, so every page
costs the same, first or last."""

from __future__ import annotations

import base64
import datetime as dt
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


def decode(cursor: str, count: int) -> list[Any]:
    try:
        raw = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        out = []
        for tag, v in raw:
            out.append({"t": dt.datetime.fromisoformat, "d": dt.date.fromisoformat,
                        "n": Decimal, "v": lambda x: x}[tag](v))
        if len(out) != count:
            raise ValueError
        return out
    except Exception:
        raise ValidationError.field("after", "неверный курсор страницы") from None
