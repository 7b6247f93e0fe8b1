"""Languages of the UI: Russian by default, English on request.

Message ids are the Russian texts themselves, so the Russian catalog is the
identity and titles that come from declarations (``Catalog.title``,
``Field.title``…) translate through the same catalogs as template strings.
The catalogs are Babel ``.po`` files in ``ui/locale``, read at start-up (no
compile step, so they work after ``pip install .``).

The current language is a context variable set per request by the session
middleware; :func:`gettext` and the formatting helpers read it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = {"ru": "ru_RU", "en": "en_US"}
DEFAULT = "ru"
LOCALE_DIR = Path(__file__).parent / "locale"
DATE_FORMATS = {"ru": "dd.MM.yyyy", "en": "MMM d, yyyy"}

current = contextvars.ContextVar("ui_locale", default=DEFAULT)
# The clinic's time zone: moments are shown in it.
zone = contextvars.ContextVar("ui_timezone", default=None)


def normalize(lang: str | None) -> str:
    return lang if lang in LOCALES else DEFAULT


@cache
def catalog(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        po = read_po(fh, locale=LOCALES[lang])
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string}


def gettext(message: str) -> str:
    if not message:
        return message
    return catalog(current.get()).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


_ = gettext


def babel_locale() -> str:
    return LOCALES[current.get()]


def money(value: Any) -> str:
    """1 234,50 (ru) or 1,234.50 (en)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # as a form shows it: «1 500,00»
        value = _typed_number(value)
    return format_decimal(Decimal(value), format="#,##0.00", locale=babel_locale())


def _typed_number(text: str) -> str:
    from ui.formdata import number_input

    return number_input(text)


def number(value: Any, digits: int = 3) -> str:
    """A quantity without trailing zeros: 1 234,5."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(value), format="#,##0." + "#" * digits, locale=babel_locale())


def _local(value: dt.datetime, tz=None) -> dt.datetime:
    tz = tz or zone.get()
    return value.astimezone(tz) if tz is not None and value.tzinfo is not None else value


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return format_date(value, DATE_FORMATS[current.get()], locale=babel_locale())


def datetime(value: dt.datetime | None, tz=None) -> str:
    if value is None:
        return ""
    value = _local(value, tz)
    pattern = DATE_FORMATS[current.get()] + (" HH:mm" if current.get() == "ru" else ", h:mm a")
    return format_datetime(value, pattern, locale=babel_locale())


def time(value: dt.time | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return format_time(value, "HH:mm", locale=babel_locale())


def month(value: dt.date) -> str:
    """«Декабрь 2021» / «December 2021»."""
    return format_date(value, "LLLL y", locale=babel_locale()).capitalize()


def weekday(value: dt.date) -> str:
    return format_date(value, "EEE", locale=babel_locale()).capitalize()


def day_long(value: dt.date) -> str:
    """«22 декабря 2021, ср» / «Wed, Dec 22, 2021»."""
    if current.get() == "ru":
        return format_date(value, "d MMMM y, EEE", locale="ru_RU")
    return format_date(value, "EEE, MMM d, y", locale="en_US")


def document_name(title: str, number: str, moment: dt.datetime) -> str:
    """«Заявка № 00000000012 от 22.12.2021» / «Request № 00000000012 dated Dec 22, 2021»."""
    return f"{gettext(title)} № {number} {gettext('от')} {date(moment)}"
