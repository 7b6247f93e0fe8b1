"""Secrets at rest: the client secret, the tokens and the webhook secret.

They are stored as Fernet tokens (AES-128-CBC with HMAC-SHA256) under a key
derived from ``ERP_SECRET_KEY`` with HKDF-SHA256, so the database alone
reveals nothing. Changing ``ERP_SECRET_KEY`` makes the stored values
unreadable: the integration then has to be connected again, and says so.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from erp.platform.errors import ErpError

SALT = b"erp-clinic/amocrm"
INFO = b"amocrm secrets at rest v1"


class SecretUnreadable(ErpError):
    status = 409
    code = "amocrm_secret_unreadable"


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret_key: str, value: str) -> str:
    """``value`` sealed for the database ("" stays "")."""
    if not value:
        return ""
    return _fernet(secret_key).encrypt(value.encode()).decode()


def decrypt(secret_key: str, sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "Секреты amoCRM не расшифровываются: ERP_SECRET_KEY изменился. Подключите amoCRM заново "
            "(erp amocrm connect или «Подключить» на странице «Интеграции»)") from None
