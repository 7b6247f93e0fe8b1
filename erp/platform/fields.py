"""Attributes (реквизиты): one declaration gives the column, the API type and
the validation of a field of a catalog, a document, a tabular section or a
register.

Money and quantities are ``Decimal`` in Python and ``numeric`` in PostgreSQL.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from piccolo.columns import (
    BigInt,
    Boolean,
    Column,
    Date,
    Integer,
    Numeric,
    Text,
    Time,
    Timestamptz,
    Varchar,
)

from .dates import DateError, read_day, read_moment

FieldType = Literal["str", "text", "int", "bool", "money", "quantity", "percent",
                    "date", "time", "datetime", "ref", "enum"]

_DIGITS = {"money": (15, 2), "quantity": (15, 3), "percent": (7, 4)}

# The real limits of every number an attribute holds: ``(minimum, maximum)``, both inclusive.
# One table for the check before the database (``Field.parse``) and for the OpenAPI schema.
# Amounts stop at 999 999 999 999,99 although numeric(15,2) holds ten times more: the headroom
# is for register totals and document sums accumulating many such amounts.
LIMITS: dict[str, tuple[int | Decimal, int | Decimal]] = {
    "int": (-(2**31), 2**31 - 1),  # integer (int4): sort_order, minutes
    "bigint": (-(2**63), 2**63 - 1),  # Field(big=True), bigint (int8): amoCRM ids
    "ref": (1, 2**63 - 1),  # a bigint id
    "money": (Decimal("-999999999999.99"), Decimal("999999999999.99")),  # numeric(15,2)
    "quantity": (Decimal("-999999999.999"), Decimal("999999999.999")),  # numeric(15,3)
    "percent": (Decimal("-999.9999"), Decimal("999.9999")),  # numeric(7,4)
}


def limit_text(value: int | Decimal) -> str:
    """``999999999999.99`` as people read it: ``999 999 999 999,99``."""
    sign = "-" if value < 0 else ""
    whole, _, frac = str(abs(value)).partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + " ".join(groups) + ("," + frac if frac else "")


def quote(name: str) -> str:
    """A column name as an SQL identifier (attribute names such as ``end`` are
    SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


NUL_TEXT = "недопустимый символ: нулевой байт (NUL)"


class FieldError(ValueError):
    """A value does not fit its field; the message is Russian and for people."""


@dataclass(frozen=True)
class Field:
    """One attribute.

    ``ref`` names the catalog (or document kind) a ``"ref"`` field points to.
    ``choices`` lists the allowed values of an ``"enum"`` field.
    ``check`` is an extra validator: it gets the parsed value and returns an
    error message or ``None``.
    ``big`` makes an ``"int"`` field a ``bigint`` (for outside ids such as amoCRM's,
    which are 64-bit); its range is checked before the database.
    ``fixed_once_used`` (catalog attributes): the value cannot change once documents
    use the item, because their postings depend on it (see :mod:`.catalog_usage`).
    """

    name: str
    type: FieldType = "str"
    title: str = ""
    required: bool = False
    default: Any = None
    ref: str | None = None
    choices: tuple[str, ...] = ()
    max_length: int = 250
    check: Callable[[Any], str | None] | None = None
    read_only: bool = False
    nonnegative: bool = False
    index: bool = False
    big: bool = False
    fixed_once_used: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.type == "ref" and not self.ref:
            raise ValueError(f"field {self.name}: a ref needs ref=")
        if self.type == "enum" and not self.choices:
            raise ValueError(f"field {self.name}: an enum needs choices=")

    @property
    def label(self) -> str:
        return self.title or self.name

    @functools.cached_property
    def limits(self) -> tuple[int | Decimal, int | Decimal] | None:
        """``(minimum, maximum)`` from :data:`LIMITS`, or ``None`` for values that are not numbers."""
        key = "bigint" if self.type == "int" and self.big else self.type
        bounds = LIMITS.get(key)
        if bounds is None:
            return None
        low, high = bounds
        if self.nonnegative and low < 0:
            low = type(low)(0)
        return low, high

    def check_limits(self, value: Any) -> Any:
        """``value``, or a FieldError naming the limit it passes (computed sums are checked too)."""
        bounds = self.limits
        if bounds is None or value is None or isinstance(value, bool):
            return value
        low, high = bounds
        if value > high:
            raise FieldError(f"слишком большое число: не больше {limit_text(high)}")
        if value < low:
            if low == 0:
                raise FieldError("не может быть отрицательным")
            raise FieldError(f"слишком маленькое число: не меньше {limit_text(low)}")
        return value

    # -- storage ---------------------------------------------------------

    def column(self, *, null: bool | None = None) -> Column:
        """The Piccolo column that stores this field."""
        nullable = (not self.required) if null is None else null
        kwargs: dict[str, Any] = {"null": nullable, "index": self.index}
        match self.type:
            case "str" | "enum":
                return Varchar(length=self.max_length, default="", **kwargs)
            case "text":
                return Text(default="", **kwargs)
            case "int" if self.big:
                return BigInt(default=None if nullable else 0, **kwargs)
            case "int":
                return Integer(default=None if nullable else 0, **kwargs)
            case "bool":
                return Boolean(default=bool(self.default), **{**kwargs, "null": False})
            case "money" | "quantity" | "percent":
                return Numeric(digits=_DIGITS[self.type], default=None if nullable else Decimal(0), **kwargs)
            case "date":
                return Date(default=None, **kwargs)
            case "time":
                return Time(default=None, **kwargs)
            case "datetime":
                return Timestamptz(default=None, **kwargs)
            case "ref":
                return BigInt(default=None if nullable else 0, **kwargs)
        raise AssertionError(self.type)

    @functools.cached_property
    def sql_type(self) -> str:
        match self.type:
            case "str" | "enum":
                return f"varchar({self.max_length})"
            case "money" | "quantity" | "percent":
                p, s = _DIGITS[self.type]
                return f"numeric({p},{s})"
            case "ref":
                return "bigint"
            case "int" if self.big:
                return "bigint"
            case "datetime":
                return "timestamptz"
        return {"text": "text", "int": "integer", "bool": "boolean", "date": "date",
                "time": "time"}[self.type]

    # -- the API ---------------------------------------------------------

    @property
    def python_type(self) -> Any:
        base: Any = {"str": str, "text": str, "int": int, "bool": bool, "money": Decimal,
                     "quantity": Decimal, "percent": Decimal, "date": dt.date, "time": dt.time,
                     "datetime": dt.datetime, "ref": int}.get(self.type)
        if self.type == "enum":
            base = Literal[self.choices]  # a runtime type for the schema: the field's allowed values
        return base

    @functools.cached_property
    def _plain(self) -> tuple[builtins.type, Any, Any, Decimal | None] | None:
        """What :meth:`parse` takes as it is, without the general path: an ``int`` for an id or an
        integer, a ``Decimal`` for a number, within the limits (and at the scale), for a field without
        a ``check``: ``(type, minimum, maximum, step)``. Most values are such (every resource of every
        movement a posting builds), and the general path was a sixth of a posting's Python time
        (bench/NOTES.md item 26); anything else takes the general path and its errors."""
        bounds = self.limits
        if self.check is not None or bounds is None:
            return None
        if self.type in ("int", "ref"):
            return int, bounds[0], bounds[1], None
        if self.type in _DIGITS:
            return Decimal, bounds[0], bounds[1], _bounds(_DIGITS[self.type])[0]
        return None

    def parse(self, raw: Any) -> Any:
        """Turn a JSON value into the stored Python value, or raise FieldError."""
        plain = self._plain
        if plain is not None and type(raw) is plain[0]:
            if plain[3] is None:
                if plain[1] <= raw <= plain[2]:
                    return raw
            elif isinstance(raw, Decimal) and raw.is_finite() and plain[1] <= raw <= plain[2]:  # NaN: asked first
                rounded = raw.quantize(plain[3])
                if rounded == raw:
                    return rounded
        if raw is None or (raw == "" and self.type not in ("str", "text")):
            if self.required:
                raise FieldError("обязательное поле не заполнено")
            return None if self.type not in ("str", "text", "bool") else self.empty()
        value = self.check_limits(self._coerce(raw))
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise FieldError(problem)
        return value

    def empty(self) -> Any:
        return {"str": "", "text": "", "bool": bool(self.default)}.get(self.type)

    def _coerce(self, raw: Any) -> Any:
        t = self.type
        if t in ("str", "text"):
            if not isinstance(raw, str):
                raise FieldError("ожидается строка")
            value = raw.strip()
            if "\x00" in value:
                raise FieldError(NUL_TEXT)
            if t == "str" and len(value) > self.max_length:
                raise FieldError(f"не длиннее {self.max_length} символов")
            if self.required and not value:
                raise FieldError("обязательное поле не заполнено")
            return value
        if t == "enum":
            if raw not in self.choices:
                raise FieldError(f"допустимые значения: {', '.join(self.choices)}")
            return raw
        if t in ("int", "ref"):
            if isinstance(raw, bool) or not isinstance(raw, int):
                if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
                    raw = int(raw)
                else:
                    raise FieldError("ожидается целое число")
            if t == "ref" and raw <= 0:
                raise FieldError("ожидается идентификатор (целое число больше нуля)")
            return raw
        if t == "bool":
            if not isinstance(raw, bool):
                raise FieldError("ожидается true или false")
            return raw
        if t in ("money", "quantity", "percent"):
            return parse_decimal(raw, _DIGITS[t])
        try:
            if t == "date":
                return read_day(raw)
            if t == "datetime":
                return read_moment(raw)
        except DateError as exc:
            raise FieldError(str(exc)) from None
        if t == "time":
            return _parse_iso(raw, dt.time.fromisoformat, "ожидается время ЧЧ:ММ")
        raise AssertionError(t)


def parse_decimal(raw: Any, digits: tuple[int, int] = (15, 2)) -> Decimal:
    kind = type(raw)
    if kind is Decimal or kind is int:  # most values, e.g. every resource of every movement
        value = Decimal(raw)
    else:
        if isinstance(raw, bool | float):
            # The API decodes JSON numbers straight to Decimal; a float can only
            # come from Python callers, and its shortest repr is what they meant.
            if isinstance(raw, float) and raw == raw and abs(raw) < 1e15:
                raw = repr(raw)
            else:
                raise FieldError("ожидается число")
        if not isinstance(raw, str | int | Decimal):
            raise FieldError("ожидается число")
        try:
            value = Decimal(str(raw).strip().replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise FieldError("ожидается число") from None
    if not value.is_finite():
        raise FieldError("ожидается конечное число")
    step, limit = _bounds(digits)
    if abs(value) >= limit:
        raise FieldError("слишком большое число")
    rounded = value.quantize(step)
    if value != rounded:
        raise FieldError(f"не больше {digits[1]} знаков после запятой")
    return rounded


@functools.cache
def _bounds(digits: tuple[int, int]) -> tuple[Decimal, Decimal]:
    """The step of ``digits`` (precision, scale) and the first value too large for them."""
    precision, scale = digits
    return Decimal(1).scaleb(-scale), Decimal(10) ** (precision - scale)


def _parse_iso(raw: Any, parse: Callable[[str], Any], message: str) -> Any:
    if isinstance(raw, dt.date | dt.time | dt.datetime):
        return raw
    if not isinstance(raw, str):
        raise FieldError(message)
    try:
        return parse(raw)
    except ValueError:
        raise FieldError(message) from None
