"""Settings, read once from the environment.

Nothing else in the code reads ``os.environ``: the app, the CLI and the tests
build a :class:`Settings` and pass it down.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs


class SettingsError(Exception):
    """A setting has a value the app cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    secret_key: str
    timezone: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    slot_step_minutes: int = 5
    default_appointment_minutes: int = 30
    token_ttl_seconds: int = 8 * 3600
    run_worker_in_serve: bool = True
    # the payment term of an invoice without «Оплатить до»: it is due this many days after its date
    invoice_payment_days: int = 5

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def timezone_name() -> str:
    """The configured time zone, for declarations that need it at import
    (the registers' month boundaries)."""
    return os.environ.get("ERP_TIMEZONE") or "Europe/Moscow"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("erp-clinic", appauthor=False))


def _int(env: dict[str, str], name: str, default: int, lo: int = 1) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} должно быть целым числом, получено {raw!r}") from None
    if value < lo:
        raise SettingsError(f"{name} должно быть не меньше {lo}, получено {value}")
    return value


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    key = env.get("ERP_SECRET_KEY")
    if key:
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("ERP_DATA_DIR") or default_data_dir()).expanduser()
    timezone = env.get("ERP_TIMEZONE") or "Europe/Moscow"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ERP_TIMEZONE: неизвестный часовой пояс {timezone!r}") from None
    step = _int(env, "ERP_SLOT_STEP_MINUTES", 5)
    if 60 % step and step % 60:
        raise SettingsError("ERP_SLOT_STEP_MINUTES должно делить час (5, 10, 15, 30, 60)")
    payment_days = _int(env, "ERP_INVOICE_PAYMENT_DAYS", 5, lo=0)
    if payment_days > 3660:
        raise SettingsError(f"ERP_INVOICE_PAYMENT_DAYS должно быть не больше 3660, получено {payment_days}")
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        secret_key=_secret_key(env, data_dir),
        timezone=timezone,
        data_dir=data_dir,
        host=env.get("ERP_HOST") or "127.0.0.1",
        port=_int(env, "ERP_PORT", 8000),
        slot_step_minutes=step,
        default_appointment_minutes=_int(env, "ERP_DEFAULT_APPOINTMENT_MINUTES", 30),
        token_ttl_seconds=_int(env, "ERP_TOKEN_TTL_SECONDS", 8 * 3600, lo=60),
        run_worker_in_serve=env.get("ERP_WORKER_IN_SERVE", "1") not in ("0", "false", "no"),
        invoice_payment_days=payment_days,
    )
