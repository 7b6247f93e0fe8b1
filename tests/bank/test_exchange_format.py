"""The bank statement format (``1CClientBankExchange``) and the matching rules on plain data: no database.

The files in ``statements/`` are written by hand from the format's description (the exchange of
1С:Предприятие with «Клиент-Банк», version 1.03): ``kl_to_1c_windows.txt`` in Windows-1251 with CRLF as
Sberbank exports it, ``kl_to_1c_utf8.txt`` in UTF-8 with the older keys (``ПлательщикРасчСчет``,
``НазначениеПлатежа1``…) and a comma in an amount; the broken ones: an HTML page saved instead of the
statement, one cut short in its second document, one with an amount «1 250-00 руб.», one of an account
that is not ours.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from erp.services.bank_exchange import StatementError, invoice_numbers, number_parts, parse
from erp.services.bank_statement import IN, OUT, TRANSFER, direction_of, pick_client, pick_invoice

FILES = Path(__file__).parent / "statements"


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_a_windows_1251_statement_reads_its_accounts_sections_and_payments():
    s = parse(read("kl_to_1c_windows.txt"))
    assert (s.version, s.encoding, s.start, s.end) == ("1.03", "cp1251", dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    assert s.accounts == ("40702810938000000001",)
    [section] = s.sections
    assert (section.opening, section.received, section.written_off, section.closing) == (
        D("0.00"), D("5750.00"), D("1000.00"), D("4750.00"))
    first, second, third = s.documents
    assert (first.number, first.date, first.amount, first.payer_inn, first.payer_kpp, first.payer_name) == (
        "214", dt.date(2026, 12, 1), D("4500.00"), "7701234560", "770101001", 'ООО "Ромашка"')
    assert first.received == dt.date(2026, 12, 2) and first.kind == "Платежное поручение"
    assert first.purpose == "Оплата по счету № 1 от 30.11.2026 за медицинские услуги. Без НДС"
    assert second.payer_name == "Сидорова Анна Петровна" and second.payer_inn == "500100732259"
    assert (third.payer_account, third.recipient_account, third.recipient_name, third.written_off) == (
        "40702810938000000001", "40702810500000000321", "ООО «МедСнаб»", dt.date(2026, 12, 3))
    assert sum(d.amount for d in s.documents if d.recipient_account in s.accounts) == section.received


def test_a_utf8_statement_with_the_older_keys_and_a_comma_reads_the_same_way():
    s = parse(read("kl_to_1c_utf8.txt"))
    assert s.encoding == "utf-8"
    repeated, advance, transfer = s.documents
    assert repeated.key == parse(read("kl_to_1c_windows.txt")).documents[2].key  # the same row in two files
    assert (advance.amount, advance.payer_account, advance.recipient_account) == (
        D("2000.00"), "40702810400000012345", "40702810938000000001")
    assert advance.purpose == "Аванс за медицинские услуги по договору № 15/2026 от 01.11.2026. Без НДС"
    assert advance.payer_name == 'ООО "Ромашка"'  # «ИНН 7701234560» taken off the name
    assert transfer.amount == D("500.00")


def test_a_bom_a_dos_encoding_and_lf_endings_are_read():
    text = read("kl_to_1c_windows.txt").decode("cp1251")
    assert parse(b"\xef\xbb\xbf" + text.encode("utf-8")).documents[0].payer_name == 'ООО "Ромашка"'
    dos = text.replace("Кодировка=Windows", "Кодировка=DOS").replace("\r\n", "\n")
    s = parse(dos.replace("«", '"').replace("»", '"').encode("cp866"))  # DOS has no «»
    assert s.encoding == "cp866" and s.documents[2].recipient_name == 'ООО "МедСнаб"'


@pytest.mark.parametrize(("name", "code", "words"), [
    ("broken_header.txt", "statement_bad_header", "не начинается со строки «1CClientBankExchange»"),
    ("truncated.txt", "statement_broken", "файл обрезан: секция строки 52 не закрыта"),
    ("bad_amount.txt", "statement_bad_amount", "«Сумма=1 250-00 руб.» — не сумма"),
])
def test_a_broken_file_is_refused_in_russian_naming_its_line(name, code, words):
    with pytest.raises(StatementError) as caught:
        parse(read(name))
    assert caught.value.code == code and caught.value.status == 422
    assert words in caught.value.message and caught.value.message.startswith("Выписка не загружена")
    if name != "broken_header.txt":
        assert caught.value.details["line"] > 20


@pytest.mark.parametrize(("content", "code", "status"), [
    (b"", "statement_bad_header", 422),
    (b"1CClientBankExchange\r\n\x00\x00", "invalid_text", 422),
    ("1CClientBankExchange\nВерсияФормата=1.03\nРасчСчет=40702810938000000001\n".encode(), "statement_broken", 422),
    ("1CClientBankExchange\nРасчСчет=40702810938000000001\nКонецФайла\n".encode(), "statement_bad_header", 422),
    ("1CClientBankExchange\nВерсияФормата=1.03\nКонецФайла\n".encode(), "statement_no_our_account", 422),
    ("1CClientBankExchange\nВерсияФормата=1.03\nРасчСчет=1\nмусор\nКонецФайла\n".encode(), "statement_broken", 422),
    ("1CClientBankExchange\nВерсияФормата=1.03\nРасчСчет=1\nКонецДокумента\nКонецФайла\n".encode(),
     "statement_broken", 422),
    (b"1CClientBankExchange\n" + b" " * (10 * 1024 * 1024), "file_too_large", 413),
])
def test_hostile_and_cut_files_get_their_own_codes(content, code, status):
    with pytest.raises(StatementError) as caught:
        parse(content)
    assert (caught.value.code, caught.value.status) == (code, status)


def doc_text(**keys: str) -> bytes:
    body = {"Номер": "1", "Дата": "01.12.2026", "Сумма": "10.00", "ПлательщикСчет": "1", "ПолучательСчет": "2", **keys}
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "РасчСчет=2", "СекцияДокумент=Платежное поручение",
             *(f"{k}={v}" for k, v in body.items() if v is not None), "КонецДокумента", "КонецФайла"]
    return "\r\n".join(lines).encode("cp1251")


@pytest.mark.parametrize(("keys", "code"), [
    ({"Сумма": "0.00"}, "statement_bad_amount"),
    ({"Сумма": "-5.00"}, "statement_bad_amount"),
    ({"Сумма": "1e5"}, "statement_bad_amount"),
    ({"Сумма": "9999999999999.00"}, "statement_bad_amount"),
    ({"Сумма": "10.005"}, "statement_bad_amount"),
    ({"Дата": "2026-12-01"}, "statement_bad_date"),
    ({"Дата": "31.02.2026"}, "statement_bad_date"),
    ({"Номер": None}, "statement_broken"),
    ({"ПолучательСчет": None}, "statement_broken"),
    ({"Номер": "1" * 65}, "statement_broken"),
    ({"ПлательщикСчет": "4070 2810 9380 0000 0001"}, "statement_broken"),
    ({"ПолучательСчет": "9" * 35}, "statement_broken"),
])
def test_a_payment_with_a_bad_amount_date_or_missing_key_refuses_the_file(keys, code):
    with pytest.raises(StatementError) as caught:
        parse(doc_text(**keys))
    assert caught.value.code == code and "строка 4" in caught.value.message


def test_an_amount_keeps_its_kopecks_as_decimal():
    assert parse(doc_text(Сумма="1234567.8")).documents[0].amount == D("1234567.80")
    assert parse(doc_text(Сумма="999999999999.99")).documents[0].amount == D("999999999999.99")


def test_the_direction_follows_our_account():
    [doc] = parse(doc_text()).documents
    assert direction_of(doc, {"2": {}}) == IN
    assert direction_of(doc, {"1": {}}) == OUT
    assert direction_of(doc, {"1": {}, "2": {}}) == TRANSFER
    with pytest.raises(StatementError) as caught:
        direction_of(doc, {"3": {}})
    assert caught.value.code == "statement_unknown_account"


@pytest.mark.parametrize(("purpose", "found"), [
    ("Оплата по счету № 12 от 01.12.2026. Без НДС", [("", 12)]),
    ("Оплата по счёту №12", [("", 12)]),
    ("Оплата сч. К0000000012 за услуги", [("К", 12)]),
    ("Оплата по счету на оплату N 7 и счету 8", [("", 7), ("", 8)]),
    ("ОПЛАТА ПО СЧ 00015 ОТ 01.12.2026", [("", 15)]),
    ("Оплата по счет-фактуре 44", [("", 44)]),
    ("Оплата за прием терапевта", []),
    ("Перевод с расчетного счета 40702810938000000001", []),
])
def test_invoice_numbers_are_read_from_the_purpose(purpose, found):
    assert invoice_numbers(purpose) == found


def test_the_invoice_picked_is_the_clients_named_one_with_something_due_not_after_the_payment():
    day = dt.date(2026, 12, 2)
    invoices = [
        {"id": 1, "number": "К0000000012", "date": dt.date(2025, 12, 1), "due": D("0.00")},  # last year's, paid
        {"id": 2, "number": "К0000000012", "date": dt.date(2026, 12, 1), "due": D("4500.00")},
        {"id": 3, "number": "К0000000013", "date": dt.date(2026, 12, 1), "due": D("100.00")},
        {"id": 4, "number": "К0000000014", "date": dt.date(2026, 12, 5), "due": D("100.00")},  # after the payment
    ]
    assert pick_invoice("Оплата по счету № 12 от 01.12.2026", invoices, day)["id"] == 2
    assert pick_invoice("Оплата по счету № К-12", invoices, day)["id"] == 2
    assert pick_invoice("Оплата по счету № КЛ12", invoices, day) is None  # another prefix
    assert pick_invoice("Оплата по счету № 14", invoices, day) is None
    assert pick_invoice("Оплата услуг", invoices, day) is None
    assert number_parts("К-0000000012") == ("К", 12)


def test_a_client_is_the_one_of_the_inn_or_of_its_kpp():
    one = {"id": 1, "kpp": "770101001"}
    two = {"id": 2, "kpp": "770201001"}
    assert pick_client([one], "") == (one, [])
    assert pick_client([one, two], "770201001") == (two, [])
    assert pick_client([one, two], "") == (None, [one, two])
    assert pick_client([], "770101001") == (None, [])
