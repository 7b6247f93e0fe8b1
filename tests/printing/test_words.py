"""Сумма прописью and Babel formatting, as printed under an invoice."""

import datetime as dt
from decimal import Decimal

import pytest

from erp.printing.formatting import long_date, money, quantity, vat_rate_label
from erp.printing.words import amount_in_words


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "Ноль рублей 00 копеек"),
    ("1", "Один рубль 00 копеек"),
    ("2", "Два рубля 00 копеек"),
    ("5", "Пять рублей 00 копеек"),
    ("11", "Одиннадцать рублей 00 копеек"),
    ("12", "Двенадцать рублей 00 копеек"),
    ("13", "Тринадцать рублей 00 копеек"),
    ("14", "Четырнадцать рублей 00 копеек"),
    ("21", "Двадцать один рубль 00 копеек"),
    ("101", "Сто один рубль 00 копеек"),
    ("150", "Сто пятьдесят рублей 00 копеек"),
    ("1000", "Одна тысяча рублей 00 копеек"),
    ("2000", "Две тысячи рублей 00 копеек"),
    ("5000", "Пять тысяч рублей 00 копеек"),
    ("1000000", "Один миллион рублей 00 копеек"),
    ("1234567.89", "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
    ("0.01", "Ноль рублей 01 копейка"),
    ("2.02", "Два рубля 02 копейки"),
    ("111.11", "Сто одиннадцать рублей 11 копеек"),
    ("22.21", "Двадцать два рубля 21 копейка"),
    ("1234.5", "Одна тысяча двести тридцать четыре рубля 50 копеек"),
])
def test_amount_in_words_as_1c_prints_it(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_refuses_float():
    with pytest.raises(TypeError):
        amount_in_words(150.0)


@pytest.mark.parametrize(("value", "text"), [
    ("1234.5", "1 234,50"), ("0", "0,00"), ("150", "150,00"), ("1234567.89", "1 234 567,89"),
])
def test_money_is_grouped_with_a_comma(value, text):
    assert money(Decimal(value)) == text


def test_quantity_drops_trailing_zeros():
    assert quantity(Decimal("2.000")) == "2"
    assert quantity(Decimal("1.500")) == "1,5"
    assert quantity(Decimal("1500")) == "1 500"


def test_dates_are_long_with_the_year_mark():
    assert long_date(dt.date(2021, 12, 22)) == "22 декабря 2021 г."
    assert long_date(dt.datetime(2021, 3, 1, 10, 0)) == "1 марта 2021 г."


def test_vat_labels():
    assert vat_rate_label("20") == "В том числе НДС (20%)"
    assert vat_rate_label("none") == "Без налога (НДС)"
