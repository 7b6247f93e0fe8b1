"""Line arithmetic of sales documents: amount = quantity × price − discount,
and VAT included in the amount. Pure; money is Decimal rounded half-up to kopecks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from erp.platform.errors import ValidationError

KOP = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(KOP, rounding=ROUND_HALF_UP)


def vat_of(amount: Decimal, rate: str | None) -> Decimal:
    """НДС в том числе: the VAT part of an amount that includes it."""
    if rate in (None, "", "none", "0"):
        return Decimal("0.00")
    r = Decimal(rate)
    return money(amount * r / (HUNDRED + r))


def compute_line(line: dict, index: int, *, discounts: bool = True) -> dict:
    """Fill ``amount`` (and the discount pair) of one line, or raise ValidationError
    naming the field as ``lines[i].field``."""
    path = f"lines[{index}]"
    quantity, price = line.get("quantity"), line.get("price")
    problems: dict[str, str] = {}
    if quantity is None or quantity <= 0:
        problems[f"{path}.quantity"] = "количество должно быть больше нуля"
    if price is None or price < 0:
        problems[f"{path}.price"] = "цена не может быть пустой или отрицательной"
    if problems:
        raise _invalid(problems)
    gross = money(quantity * price)
    discount = Decimal("0.00")
    if discounts:
        percent, given = line.get("discount_percent"), line.get("discount_amount")
        if percent is not None and not (0 <= percent <= 100):
            raise _invalid({f"{path}.discount_percent": "скидка в процентах — от 0 до 100"})
        if given is not None and given < 0:
            raise _invalid({f"{path}.discount_amount": "скидка не может быть отрицательной"})
        if given is not None:
            discount = money(given)
        elif percent:
            discount = money(gross * percent / HUNDRED)
        if discount > gross:
            raise _invalid({f"{path}.discount_amount": f"скидка {discount} больше суммы строки {gross}"})
        if given is not None and percent is not None and gross and discount != money(gross * percent / HUNDRED) \
                and (discount * HUNDRED / gross).quantize(Decimal("0.0001")) != percent:
            raise _invalid({f"{path}.discount_amount":
                            f"скидка {discount} не равна {percent.normalize():f}% от суммы строки {gross}"})
        line["discount_amount"] = discount
        line["discount_percent"] = percent if percent is not None else (
            (discount * HUNDRED / gross).quantize(Decimal("0.0001")) if gross else Decimal(0))
    amount = gross - discount
    if line.get("amount") is not None and money(line["amount"]) != amount:
        raise _invalid({f"{path}.amount": f"сумма строки должна быть {amount} (количество × цена − скидка)"})
    line["amount"] = amount
    return line


def _invalid(problems: dict[str, str]) -> ValidationError:
    return ValidationError.fields(problems)
