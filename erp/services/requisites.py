"""Russian requisites: INN, KPP, OGRN, BIK and bank account numbers, with
their check digits. Each checker returns a Russian message or ``None``."""

from __future__ import annotations

import re

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def check_inn(inn: str) -> str | None:
    if not inn:
        return None
    if not inn.isdigit() or len(inn) not in (10, 12):
        return "ИНН должен состоять из 10 (организация) или 12 (физическое лицо) цифр"
    if len(inn) == 10:
        ok = _digit(inn, _INN10) == int(inn[9])
    else:
        ok = _digit(inn, _INN11) == int(inn[10]) and _digit(inn, _INN12) == int(inn[11])
    return None if ok else "ИНН: неверное контрольное число"


def check_kpp(kpp: str) -> str | None:
    if not kpp:
        return None
    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", kpp):
        return "КПП должен состоять из 9 знаков: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры"
    return None


def check_ogrn(ogrn: str) -> str | None:
    if not ogrn:
        return None
    if not ogrn.isdigit() or len(ogrn) not in (13, 15):
        return "ОГРН должен состоять из 13 цифр (ОГРНИП — из 15)"
    body, control = int(ogrn[:-1]), int(ogrn[-1])
    modulus = 11 if len(ogrn) == 13 else 13
    return None if body % modulus % 10 == control else "ОГРН: неверное контрольное число"


def check_bik(bik: str) -> str | None:
    if not bik:
        return None
    if not re.fullmatch(r"04\d{7}", bik):
        return "БИК должен состоять из 9 цифр и начинаться с 04"
    return None


_ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def _account_ok(key: str, account: str) -> bool:
    digits = key + account
    return sum(int(d) * w % 10 for d, w in zip(digits, _ACCOUNT_WEIGHTS, strict=False)) % 10 == 0


def check_account(account: str, bik: str) -> str | None:
    """Расчётный счёт: 20 digits, the control key computed with the BIK."""
    if not account:
        return None
    if not re.fullmatch(r"\d{20}", account):
        return "номер счёта должен состоять из 20 цифр"
    if bik and check_bik(bik) is None and not _account_ok(bik[-3:], account):
        return "номер счёта не сходится с БИК (контрольный ключ)"
    return None


def check_correspondent_account(account: str, bik: str) -> str | None:
    if not account:
        return None
    if not re.fullmatch(r"301\d{17}", account):
        return "корр. счёт должен состоять из 20 цифр и начинаться с 301"
    if bik and check_bik(bik) is None and not _account_ok("0" + bik[4:6], account):
        return "корр. счёт не сходится с БИК (контрольный ключ)"
    return None
