"""How print forms show numbers and dates (Babel, ru_RU).

Money is ``"1 234,50"`` and a date is ``"22 декабря 2021 г."``. Babel's
Russian group separator is a no-break space; forms use a plain one (table
cells do not wrap it anyway), so the printed text reads and copies as the
accountant types it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "ru_RU"
_SPACES = str.maketrans({"\xa0": " ", "\u202f": " "})


def money(value: Decimal | None) -> str:
    """``Decimal("1234.5")`` → ``"1 234,50"``."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.00", locale=LOCALE).translate(_SPACES)


def quantity(value: Decimal | None) -> str:
    """``Decimal("2.000")`` → ``"2"``, ``Decimal("1.500")`` → ``"1,5"``."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.###", locale=LOCALE).translate(_SPACES)


def long_date(value: dt.date | dt.datetime) -> str:
    """``date(2021, 12, 22)`` → ``"22 декабря 2021 г."``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{format_date(value, format='d MMMM y', locale=LOCALE)} г."


def short_date(value: dt.date | dt.datetime) -> str:
    """``"22.12.2021"``, for file names and lists."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%d.%m.%Y")


def vat_rate_label(rate: str | None) -> str:
    """``"20"`` → ``"НДС (20%)"``; no rate → ``"Без налога (НДС)"``."""
    if rate in (None, "", "none"):
        return "Без налога (НДС)"
    return f"В том числе НДС ({rate}%)"


def clock(value: dt.datetime | dt.time | None) -> str:
    """``14:05``."""
    return value.strftime("%H:%M") if value else ""
