"""Сумма прописью: an amount in words, the way 1C prints it under an invoice.

``amount_in_words(Decimal("150"))`` → ``"Сто пятьдесят рублей 00 копеек"``:
the rubles in words with a capital letter, the kopecks in two digits, and
both nouns agreeing with their numbers (1 рубль, 2 рубля, 5 рублей; 21
копейка). The words of the number come from num2words; the agreement of the
nouns is ours, because num2words' currency mode spells kopecks in words.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

RUBLE = ("рубль", "рубля", "рублей")
KOPECK = ("копейка", "копейки", "копеек")


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian noun form for ``n``: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    n = abs(n)
    if n % 100 in range(11, 15):
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if n % 10 in (2, 3, 4):
        return forms[1]
    return forms[2]


def number_in_words(n: int) -> str:
    """A whole number of rubles in words (masculine: "один", "два"; thousands agree by themselves)."""
    return num2words(n, lang="ru")


def amount_in_words(amount: Decimal) -> str:
    """``"Одна тысяча двести тридцать четыре рубля 56 копеек"``."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount_in_words takes a Decimal")
    kop_total = int((abs(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    rubles, kopecks = divmod(kop_total, 100)
    words = number_in_words(rubles)
    if amount < 0:
        words = f"минус {words}"
    text = f"{words} {plural(rubles, RUBLE)} {kopecks:02d} {plural(kopecks, KOPECK)}"
    return text[0].upper() + text[1:]
