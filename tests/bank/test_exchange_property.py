"""The statement reader under Hypothesis, on plain data: any statement written in the format reads back as
written, in Windows-1251 and in UTF-8, whatever its line endings; and any bytes at all — a statement
mangled line by line, or noise — are either a statement or a :class:`StatementError` with its code,
never another exception (which the API would answer with a 500)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from erp.services.bank_exchange import StatementError, parse

ACCOUNT = st.text("0123456789", min_size=20, max_size=20)
# a name or a purpose: Cyrillic and Latin letters, digits, the punctuation of payment orders (all in cp1251)
TEXT = st.text(st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
                               "abcXYZ0123456789 .,-№«»\"'()/%;:"), max_size=60).map(str.strip)
DAY = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
AMOUNT = st.decimals(D("0.01"), D("999999999999.99"), places=2)


@st.composite
def payment(draw) -> dict:
    return {"Номер": str(draw(st.integers(1, 999999))), "Дата": draw(DAY), "Сумма": draw(AMOUNT),
            "ПлательщикСчет": draw(ACCOUNT), "ПлательщикИНН": draw(st.text("0123456789", min_size=10, max_size=12)),
            "Плательщик1": draw(TEXT), "ПолучательСчет": draw(ACCOUNT), "Получатель1": draw(TEXT),
            "НазначениеПлатежа": draw(TEXT), "ДатаПоступило": draw(st.none() | DAY)}


def written(account: str, payments: list[dict], newline: str) -> str:
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", f"РасчСчет={account}",
             "СекцияРасчСчет", f"РасчСчет={account}", "НачальныйОстаток=0.00", "КонецРасчСчет"]
    for p in payments:
        lines.append("СекцияДокумент=Платежное поручение")
        for key, value in p.items():
            if isinstance(value, dt.date):
                value = value.strftime("%d.%m.%Y")
            if value is not None and value != "":
                lines.append(f"{key}={value}")
        lines.append("КонецДокумента")
    lines.append("КонецФайла")
    return newline.join(lines) + newline


@settings(max_examples=150, deadline=None)
@given(ACCOUNT, st.lists(payment(), max_size=8), st.sampled_from(["\r\n", "\n"]), st.sampled_from(["cp1251", "utf-8"]))
def test_a_statement_reads_back_as_written(account, payments, newline, encoding):
    s = parse(written(account, payments, newline).encode(encoding))
    assert s.accounts == (account,) and s.encoding == encoding
    assert [(d.number, d.date, d.amount, d.payer_account, d.payer_inn, d.payer_name, d.recipient_account,
             d.recipient_name, d.purpose, d.received) for d in s.documents] == [
        (p["Номер"], p["Дата"], p["Сумма"], p["ПлательщикСчет"], p["ПлательщикИНН"], p["Плательщик1"],
         p["ПолучательСчет"], p["Получатель1"], p["НазначениеПлатежа"], p["ДатаПоступило"]) for p in payments]
    assert all(isinstance(d.amount, D) and d.amount > 0 for d in s.documents)


@settings(max_examples=300, deadline=None)
@given(ACCOUNT, st.lists(payment(), min_size=1, max_size=3), st.data())
def test_a_statement_mangled_anywhere_is_read_or_refused_with_a_code(account, payments, data):
    lines = written(account, payments, "\n").split("\n")
    index = data.draw(st.integers(0, len(lines) - 1))
    how = data.draw(st.sampled_from(["drop", "noise", "cut", "duplicate"]))
    if how == "drop":
        del lines[index]
    elif how == "noise":
        lines[index] = data.draw(st.text(max_size=40))
    elif how == "cut":
        lines = lines[:index]
    else:
        lines.insert(index, lines[index])
    content = "\n".join(lines).encode(data.draw(st.sampled_from(["cp1251", "utf-8"])), errors="replace")
    try:
        parse(content)
    except StatementError as exc:
        assert exc.code.startswith("statement_") or exc.code in ("invalid_text", "file_too_large")
        assert exc.status in (413, 422) and exc.message.startswith("Выписка не загружена")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_noise_after_the_header_is_refused_with_a_code(noise):
    try:
        parse(b"1CClientBankExchange\r\n" + noise)
    except StatementError as exc:
        assert exc.status in (413, 422)
