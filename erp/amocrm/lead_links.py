"""The lead's keys: a token scoped to one lead for the widget's «Документы», and signed PDF links.

amoCRM's disposable token (:mod:`erp.amocrm.widget`) names the account and the user, never the lead the
card shows. So the widget trades it once for a **lead token** (``POST /api/amocrm/widget/lead-token``):
a JWT we sign (HS256, a key derived from ``ERP_SECRET_KEY``, 30 minutes) that names the account and
the lead. The «Документы» routes want both headers: amoCRM's token (a user of the account is there
now) and the lead token (which lead); each reads and acts on that lead's documents only, and anything
else of another lead is "not found".

A **PDF link** is a signed URL (``/api/amocrm/widget/file?t=…``) that works without any session or
header, because the browser opens it in a new tab and amoCRM shows it in a note: it names one document
to print now (for the widget's list, short-lived) or one PDF of the generated documents registry (for
a note in the lead, valid :data:`NOTE_LINK_DAYS` days), and the lead it was issued for.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote

import jwt

from erp.amocrm.connection import Connection
from erp.platform.errors import Unauthorized

LEAD_TOKEN_SECONDS = 30 * 60
LIST_LINK_SECONDS = 30 * 60
NOTE_LINK_DAYS = 30
LEAD, FILE = "amocrm-lead", "amocrm-file"
FILE_PATH = "/api/amocrm/widget/file"


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"erp amocrm widget links", hashlib.sha256).digest()


def _reject(code: str, message: str) -> Unauthorized:
    return Unauthorized(f"Виджет не авторизован: {message}", code=code)


def _sign(secret_key: str, claims: dict[str, Any], seconds: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + seconds}, _key(secret_key), algorithm="HS256")


def _read(secret_key: str, token: str | None, typ: str, what: str) -> dict[str, Any]:
    if not token:
        raise _reject("token_missing", f"нет {what}")
    try:
        claims = jwt.decode(token, _key(secret_key), algorithms=["HS256"], options={"require": ["exp", "typ"]})
    except jwt.ExpiredSignatureError:
        raise _reject("token_expired", f"срок действия {what} истёк: откройте карточку сделки заново") from None
    except jwt.InvalidTokenError:
        raise _reject("token_invalid", f"{what} не прошёл проверку") from None
    if claims.get("typ") != typ:
        raise _reject("token_invalid", f"{what} не прошёл проверку")
    return claims


def lead_token(secret_key: str, account: Connection, lead_id: int, *, seconds: int = LEAD_TOKEN_SECONDS) -> str:
    return _sign(secret_key, {"typ": LEAD, "account_id": account.account_id, "lead_id": lead_id}, seconds)


def lead_of(secret_key: str, account: Connection, token: str | None) -> int:
    """The lead ``token`` (``X-Lead-Token``) is scoped to; 401 unless it is ours, alive and of this account."""
    claims = _read(secret_key, token, LEAD, "токена сделки (X-Lead-Token)")
    lead_id = claims.get("lead_id")
    if claims.get("account_id") != account.account_id or type(lead_id) is not int:
        raise _reject("token_account", "токен сделки выписан для другого аккаунта amoCRM")
    return lead_id


def document_link(secret_key: str, origin: str, lead_id: int, kind: str, doc_id: int, *,
                  seconds: int = LIST_LINK_SECONDS) -> str:
    """A link that prints the document ``kind``/``doc_id`` of ``lead_id`` now."""
    token = _sign(secret_key, {"typ": FILE, "lead_id": lead_id, "kind": kind, "id": doc_id}, seconds)
    return f"{origin}{FILE_PATH}?t={quote(token)}"


def generated_link(secret_key: str, origin: str, lead_id: int | None, generated_id: int, *,
                   days: int = NOTE_LINK_DAYS) -> str:
    """A link to the kept PDF ``generated_id`` (a note's)."""
    token = _sign(secret_key, {"typ": FILE, "lead_id": lead_id, "generated_id": generated_id}, days * 86400)
    return f"{origin}{FILE_PATH}?t={quote(token)}"


def file_claims(secret_key: str, token: str | None) -> dict[str, Any]:
    """What a PDF link names: ``{"lead_id", "kind", "id"}`` or ``{"lead_id", "generated_id"}``."""
    claims = _read(secret_key, token, FILE, "подписи ссылки на PDF")
    if not (type(claims.get("generated_id")) is int or (
            isinstance(claims.get("kind"), str) and type(claims.get("id")) is int)):
        raise _reject("token_invalid", "ссылка на PDF не прошла проверку")
    return claims
