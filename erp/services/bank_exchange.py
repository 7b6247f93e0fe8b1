"""Выписка банка в формате обмена 1С с «Клиент-Банком» (``1CClientBankExchange``, the ``kl_to_1c.txt``
every Russian bank exports): reading the file into typed records, with no database.

The file is text, one ``Ключ=Значение`` a line, in Windows-1251 (``Кодировка=Windows``), in DOS
(cp866, ``Кодировка=DOS``) or, from newer banks, in UTF-8. It opens with the line
``1CClientBankExchange``, then the header (``ВерсияФормата``, ``Кодировка``, ``ДатаНачала``,
``ДатаКонца``, one ``РасчСчет=`` per account), then per account a ``СекцияРасчСчет`` …
``КонецРасчСчет`` with its balances, then one ``СекцияДокумент=<вид>`` … ``КонецДокумента`` per
payment, and ends with ``КонецФайла``. A document's keys: ``Номер``, ``Дата``, ``Сумма``,
``ПлательщикСчет`` (or ``ПлательщикРасчСчет``), ``ПлательщикИНН``, ``Плательщик1`` / ``Плательщик``,
likewise ``Получатель…``, ``НазначениеПлатежа`` (or ``НазначениеПлатежа1``…``6``), ``ДатаПоступило``
and ``ДатаСписано``.

An upload is untrusted: a file too large, with NUL bytes, in no known encoding, without the header,
cut short (no ``КонецФайла``, a section never closed), with a line that is not ``Ключ=Значение``,
a document missing a required key, a bad date or amount — each is a :class:`StatementError` with
a Russian message naming the line and a stable code, raised before anything is looked up.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import msgspec

from erp.platform.errors import ValidationError

MAX_FILE_BYTES = 10 * 1024 * 1024  # the application's request body limit
MAX_AMOUNT = Decimal("999999999999.99")
HEADER = "1CClientBankExchange"
ENCODINGS = {"windows": "cp1251", "dos": "cp866", "utf-8": "utf-8", "utf8": "utf-8"}
_AMOUNT = re.compile(r"^\d{1,12}(?:[.,]\d{1,2})?$")
_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,34}$")  # 20 digits in Russia; an IBAN at most 34
MAX_NUMBER = 64
_INN_IN_NAME = re.compile(r"^ИНН\s*\d*\s*", re.IGNORECASE)


class StatementError(ValidationError):
    """A file that is not a readable statement: nothing is looked up and nothing is written."""

    code = "statement_broken"

    def __init__(self, message: str, code: str, *, line: int | None = None, status: int = 422) -> None:
        where = f"строка {line}: " if line else ""
        details: dict = {"fields": {"file": where + message}}
        if line:
            details["line"] = line
        super().__init__(f"Выписка не загружена: {where}{message}", code=code, status=status, details=details)


class AccountSection(msgspec.Struct, frozen=True):
    """СекцияРасчСчет: an account's period and balances as the bank states them."""

    account: str
    start: dt.date | None
    end: dt.date | None
    opening: Decimal | None
    received: Decimal | None
    written_off: Decimal | None
    closing: Decimal | None


class BankDocument(msgspec.Struct, frozen=True):
    """СекцияДокумент: one payment on the statement (платёжное поручение, банковский ордер…)."""

    line: int  # the line of ``СекцияДокумент`` in the file
    kind: str
    number: str
    date: dt.date
    amount: Decimal
    payer_account: str
    payer_inn: str
    payer_kpp: str
    payer_name: str
    recipient_account: str
    recipient_inn: str
    recipient_kpp: str
    recipient_name: str
    purpose: str
    received: dt.date | None  # ДатаПоступило
    written_off: dt.date | None  # ДатаСписано

    @property
    def key(self) -> tuple[dt.date, str, str, str, Decimal]:
        """What makes a row the same row in another file: date, number, both accounts, amount."""
        return (self.date, self.number, self.payer_account, self.recipient_account, self.amount)


class Statement(msgspec.Struct, frozen=True):
    version: str
    encoding: str  # the codec the file was read with
    start: dt.date | None
    end: dt.date | None
    accounts: tuple[str, ...]  # the header's РасчСчет and the sections' accounts, in order
    sections: tuple[AccountSection, ...]
    documents: tuple[BankDocument, ...]


# -- text ----------------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """The file's text and codec. UTF-8 when the bytes are UTF-8 (Windows-1251 Cyrillic almost never
    is); else what ``Кодировка`` says, read in each single-byte codec: ``DOS`` is cp866, anything else
    Windows-1251."""
    if len(content) > MAX_FILE_BYTES:
        raise StatementError(f"файл слишком большой ({len(content) / 1024 / 1024:.1f} МБ): выписка бывает не больше "
                             f"{MAX_FILE_BYTES // 1024 // 1024} МБ", "file_too_large", status=413)
    if b"\x00" in content:
        raise StatementError("в файле есть нулевые байты (NUL): это не текстовая выписка, а двоичный файл "
                             "(или выписка в UTF-16 — сохраните её в Windows-1251 или UTF-8)", "invalid_text")
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if re.search("Кодировка=DOS".encode("cp866"), content, re.IGNORECASE):
        return content.decode("cp866"), "cp866"
    return content.decode("cp1251", errors="replace"), "cp1251"


def _date(value: str, key: str, line: int, *, required: bool = True) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            raise StatementError(f"пустое поле «{key}»", "statement_bad_date", line=line)
        return None
    m = _DATE.match(value)
    try:
        if not m:
            raise ValueError
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        raise StatementError(f"«{key}={value}» — не дата ДД.ММ.ГГГГ", "statement_bad_date", line=line) from None


def amount_of(value: str, key: str = "Сумма", line: int | None = None, *, positive: bool = True) -> Decimal:
    """An amount as the format writes it (``1500.00``; a comma is tolerated), to the kopeck."""
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    sign = ""
    if not positive and text.startswith("-"):
        sign, text = "-", text[1:]
    try:
        if not _AMOUNT.match(text):
            raise InvalidOperation
        amount = Decimal(sign + text.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise StatementError(f"«{key}={value}» — не сумма (ожидается, например, 1500.00)", "statement_bad_amount",
                             line=line) from None
    if positive and amount <= 0:
        raise StatementError(f"«{key}={value}»: сумма платежа должна быть больше нуля", "statement_bad_amount",
                             line=line)
    if abs(amount) > MAX_AMOUNT:
        raise StatementError(f"«{key}={value}»: сумма больше 999 999 999 999,99", "statement_bad_amount", line=line)
    return amount


# -- the file ------------------------------------------------------------------------------------


def parse(content: bytes) -> Statement:
    """Read a statement file, or raise the :class:`StatementError` of its first fault."""
    text, codec = decode(content)
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None or lines[first].strip() != HEADER:
        shown = lines[first].strip()[:60] if first is not None else ""
        raise StatementError(
            f"файл не начинается со строки «{HEADER}»" + (f" (в нём «{shown}»)" if shown else " (файл пуст)")
            + ": это не выписка в формате обмена 1С с «Клиент-Банком»", "statement_bad_header",
            line=(first or 0) + 1)
    header: dict[str, str] = {}
    accounts: list[str] = []
    sections: list[AccountSection] = []
    documents: list[BankDocument] = []
    open_section: tuple[str, int, dict[str, str]] | None = None  # ("account"|kind, its line, its keys)
    ended = False
    for index in range(first + 1, len(lines)):
        number, raw = index + 1, lines[index].strip()
        if not raw:
            continue
        if ended:
            raise StatementError(f"после «КонецФайла» ещё есть строки («{raw[:60]}»)", "statement_broken", line=number)
        key, eq, value = raw.partition("=")
        key = key.strip()
        if key in ("СекцияРасчСчет", "СекцияДокумент"):
            if open_section is not None:
                raise StatementError(f"новая секция начинается, а секция строки {open_section[1]} не закрыта",
                                     "statement_broken", line=number)
            open_section = ("account" if key == "СекцияРасчСчет" else (value.strip() or "Платежное поручение"),
                            number, {})
        elif key in ("КонецРасчСчет", "КонецДокумента"):
            wanted = "account" if key == "КонецРасчСчет" else "document"
            got = None if open_section is None else ("account" if open_section[0] == "account" else "document")
            if got != wanted:
                raise StatementError(f"«{key}» без начала своей секции", "statement_broken", line=number)
            assert open_section is not None
            if wanted == "account":
                sections.append(_account_section(open_section[2], open_section[1]))
            else:
                documents.append(_document(open_section[0], open_section[2], open_section[1]))
            open_section = None
        elif key == "КонецФайла":
            if open_section is not None:
                raise StatementError(f"файл кончается, а секция строки {open_section[1]} не закрыта",
                                     "statement_broken", line=number)
            ended = True
        elif not eq or not key:
            raise StatementError(f"строка «{raw[:60]}» — не «Ключ=Значение»", "statement_broken", line=number)
        elif open_section is not None:
            open_section[2].setdefault(key, value.strip())
        elif key == "РасчСчет":
            accounts.append(value.strip())
        else:
            header.setdefault(key, value.strip())
    if not ended:
        cut = f"секция строки {open_section[1]} не закрыта и " if open_section is not None else ""
        raise StatementError(f"файл обрезан: {cut}нет строки «КонецФайла» (выгрузите выписку из банка ещё раз)",
                             "statement_broken", line=len(lines))
    version = header.get("ВерсияФормата", "")
    if not version:
        raise StatementError("в заголовке нет «ВерсияФормата»", "statement_bad_header", line=first + 2)
    for s in sections:
        if s.account not in accounts:
            accounts.append(s.account)
    if not accounts:
        raise StatementError("в файле не указан ни один расчётный счёт («РасчСчет=»)", "statement_no_our_account")
    return Statement(version=version, encoding=codec,
                     start=_date(header.get("ДатаНачала", ""), "ДатаНачала", first + 1, required=False),
                     end=_date(header.get("ДатаКонца", ""), "ДатаКонца", first + 1, required=False),
                     accounts=tuple(accounts), sections=tuple(sections), documents=tuple(documents))


def _account_section(keys: dict[str, str], line: int) -> AccountSection:
    account = keys.get("РасчСчет", "")
    if not _ACCOUNT.match(account):
        raise StatementError("в секции расчётного счёта нет номера счёта «РасчСчет»", "statement_broken", line=line)

    def money(key: str) -> Decimal | None:
        return amount_of(keys[key], key, line, positive=False) if keys.get(key) else None

    return AccountSection(account=account, start=_date(keys.get("ДатаНачала", ""), "ДатаНачала", line, required=False),
                          end=_date(keys.get("ДатаКонца", ""), "ДатаКонца", line, required=False),
                          opening=money("НачальныйОстаток"), received=money("ВсегоПоступило"),
                          written_off=money("ВсегоСписано"), closing=money("КонечныйОстаток"))


def _name(keys: dict[str, str], side: str) -> str:
    """``Плательщик1`` (the name alone), else ``Плательщик`` without its leading «ИНН 7700000000»."""
    return keys.get(f"{side}1") or _INN_IN_NAME.sub("", keys.get(side, "")).strip()


def _document(kind: str, keys: dict[str, str], line: int) -> BankDocument:
    for key in ("Номер", "Дата", "Сумма"):
        if not keys.get(key):
            raise StatementError(f"в документе нет «{key}»", "statement_broken", line=line)
    payer = keys.get("ПлательщикСчет") or keys.get("ПлательщикРасчСчет") or ""
    recipient = keys.get("ПолучательСчет") or keys.get("ПолучательРасчСчет") or ""
    if len(keys["Номер"]) > MAX_NUMBER:
        raise StatementError(f"номер документа «{keys['Номер'][:20]}…» длиннее {MAX_NUMBER} символов",
                             "statement_broken", line=line)
    for what, account in (("плательщика", payer), ("получателя", recipient)):
        if account and not _ACCOUNT.match(account):
            raise StatementError(f"счёт {what} «{account[:40]}» — не номер счёта (до 34 цифр и латинских букв)",
                                 "statement_broken", line=line)
    if not payer or not recipient:
        raise StatementError(f"в документе № {keys['Номер']} нет счёта "
                             + ("плательщика («ПлательщикСчет»)" if not payer else "получателя («ПолучательСчет»)"),
                             "statement_broken", line=line)
    purpose = keys.get("НазначениеПлатежа") or " ".join(
        keys[k] for k in (f"НазначениеПлатежа{i}" for i in range(1, 7)) if keys.get(k))
    return BankDocument(
        line=line, kind=kind, number=keys["Номер"], date=_date(keys["Дата"], "Дата", line) or dt.date.min,
        amount=amount_of(keys["Сумма"], "Сумма", line), payer_account=payer, payer_inn=keys.get("ПлательщикИНН", ""),
        payer_kpp=keys.get("ПлательщикКПП", ""), payer_name=_name(keys, "Плательщик"), recipient_account=recipient,
        recipient_inn=keys.get("ПолучательИНН", ""), recipient_kpp=keys.get("ПолучательКПП", ""),
        recipient_name=_name(keys, "Получатель"), purpose=purpose,
        received=_date(keys.get("ДатаПоступило", ""), "ДатаПоступило", line, required=False),
        written_off=_date(keys.get("ДатаСписано", ""), "ДатаСписано", line, required=False))


# -- invoice numbers in a payment's purpose -------------------------------------------------------

_INVOICE = re.compile(
    r"(?:сч[её]т[а-яё]*|сч\.|сч\b)(?:[\s-]*(?:на\s+оплату|договор[а-я]*|фактур[а-я]*))?\s*"
    r"(?:№|N|No\.?|#)?\s*([A-Za-zА-Яа-яЁё]{0,10}-?\d{1,11})(?!\d)", re.IGNORECASE)


def invoice_numbers(purpose: str) -> list[tuple[str, int]]:
    """The invoice numbers a purpose names, as (prefix, number): «Оплата по счету № 12 от 01.12.2026» —
    ``[("", 12)]``, «по сч. КЛ-000000012» — ``[("КЛ", 12)]``."""
    out: list[tuple[str, int]] = []
    for m in _INVOICE.finditer(purpose):
        token = m.group(1)
        digits = re.search(r"\d+$", token)
        if digits is None:
            continue
        prefix = token[:digits.start()].rstrip("-").upper()
        found = (prefix, int(digits.group()))
        if found not in out:
            out.append(found)
    return out


def number_parts(number: str) -> tuple[str, int] | None:
    """A document number of this system as (prefix, number): ``"КЛ-000000012"`` — ``("КЛ", 12)``."""
    digits = re.search(r"\d+$", number)
    if digits is None:
        return None
    return number[:digits.start()].rstrip("-").upper(), int(digits.group())
