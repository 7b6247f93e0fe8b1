"""``Field.parse`` takes an ``int`` id or a ``Decimal`` number within its limits as it is (the plain path,
most values of every posting); it must answer exactly what the general path answers: the same value at
the same scale, or the same error, for any value, at the edges of the limits too."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from erp.platform.fields import Field, FieldError

FIELDS = [
    Field("amount", "money"),
    Field("quantity", "quantity", nonnegative=True),
    Field("percent", "percent"),
    Field("client_id", "ref", ref="clients"),
    Field("minutes", "int"),
    Field("amocrm_id", "int", big=True),
]


def general(field: Field, raw: Any) -> tuple[str, Any]:
    """What the general path answers (the plain path switched off for this call)."""
    plain = field.__dict__.pop("_plain", None)
    field.__dict__["_plain"] = None
    try:
        return outcome(field, raw)
    finally:
        field.__dict__.pop("_plain", None)
        if plain is not None:
            field.__dict__["_plain"] = plain


def outcome(field: Field, raw: Any) -> tuple[str, Any]:
    try:
        value = field.parse(raw)
    except FieldError as exc:
        return "error", str(exc)
    return "value", (value, str(value) if isinstance(value, Decimal) else value)


numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=Decimal("-1000000000000"), max_value=Decimal("1000000000000"), places=2),
    st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=5),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.booleans(),
)


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.type + ("_big" if f.big else ""))
@settings(max_examples=300, deadline=None)
@given(raw=numbers)
@example(raw=Decimal("999999999999.99"))
@example(raw=Decimal("999999999999.991"))
@example(raw=Decimal("-999999999.999"))
@example(raw=Decimal("1000000000000"))
@example(raw=Decimal("sNaN"))
@example(raw=Decimal("1.005"))
@example(raw=0)
@example(raw=2**63 - 1)
@example(raw=2**63)
@example(raw=2**31)
@example(raw=True)
def test_plain_path_answers_as_the_general_one(field, raw):
    assert outcome(field, raw) == general(field, raw)


def test_plain_path_keeps_the_scale_and_refuses_what_the_column_cannot_hold():
    money, ref = FIELDS[0], FIELDS[3]
    assert str(money.parse(Decimal("5.1"))) == "5.10"
    with pytest.raises(FieldError, match="знаков после запятой"):
        money.parse(Decimal("1.005"))
    with pytest.raises(FieldError, match="конечное"):
        money.parse(Decimal("NaN"))
    with pytest.raises(FieldError, match="больше нуля"):
        ref.parse(0)
    with pytest.raises(FieldError, match="целое"):
        ref.parse(True)
