"""Настройки учёта: clinic-wide preferences an administrator changes in the UI.

They live in the ``constants`` table (1C's constants), one row per key under
``preference:``. Whatever is not stored falls back to the environment
(:class:`erp.app.settings.Settings`) or to the defaults below, so a fresh
database behaves exactly as the environment says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from erp.app.settings import Settings
from erp.platform import audit
from erp.platform.errors import ValidationError

PREFIX = "preference:"
STEPS = (5, 10, 15, 30, 60)


@dataclass(frozen=True)
class Preferences:
    slot_step_minutes: int = 5
    default_appointment_minutes: int = 30
    day_start: dt.time = dt.time(8, 0)
    day_end: dt.time = dt.time(21, 0)
    reminder_enabled: bool = False  # email the patient before the visit (erp.amocrm.reminders)
    reminder_hours: int = 24  # how many hours before

    def apply_to(self, settings: Settings) -> Settings:
        """The settings with the stored slot step and default duration."""
        return settings.with_(slot_step_minutes=self.slot_step_minutes,
                              default_appointment_minutes=self.default_appointment_minutes)


def defaults(settings: Settings) -> Preferences:
    step = settings.slot_step_minutes if settings.slot_step_minutes in STEPS else 5
    return Preferences(slot_step_minutes=step, default_appointment_minutes=settings.default_appointment_minutes)


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(name: str, raw: Any) -> Any:
    if name in ("day_start", "day_end"):
        return dt.time.fromisoformat(raw)
    if name == "reminder_enabled":
        if not isinstance(raw, bool):
            raise TypeError(name)
        return raw
    return int(raw)


async def load(conn: asyncpg.Connection, settings: Settings) -> Preferences:
    rows = await conn.fetch("SELECT key, value FROM constants WHERE starts_with(key, $1)", PREFIX)
    return from_stored({r["key"]: r["value"] for r in rows if r["value"] is not None}, settings)


def from_stored(rows: Mapping[str, Any], settings: Settings) -> Preferences:
    """The preferences from the stored constants (``{"preference:<name>": value}``), defaults
    where nothing readable is stored. Pure: a posting reads the constants as one of its needs."""
    stored = {key[len(PREFIX):]: value for key, value in rows.items() if key.startswith(PREFIX)}
    known = {f.name for f in fields(Preferences)}
    values = {}
    for name, raw in stored.items():
        if name in known:
            try:
                values[name] = _from_json(name, raw)
            except (ValueError, TypeError, InvalidOperation):
                continue  # an unreadable stored value: the default applies
    return replace(defaults(settings), **values)


async def effective_settings(conn: asyncpg.Connection, settings: Settings) -> Settings:
    """The settings in force: the environment's, with what the administrator stored (the slot step
    and the default appointment length). Every path that books or offers time reads them here:
    the REST slots, the widget's slots and bookings, a Request's default duration, the UI."""
    return (await load(conn, settings)).apply_to(settings)


def parse(data: Mapping[str, Any], current: Preferences) -> Preferences:
    """Check a submitted form; raise one ValidationError naming every bad field."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}

    def integer(name: str, lo: int, hi: int) -> None:
        raw = str(data.get(name, getattr(current, name))).strip()
        if not raw.isdigit() or not lo <= int(raw) <= hi:
            problems[name] = f"целое число от {lo} до {hi}"
        else:
            out[name] = int(raw)

    integer("slot_step_minutes", 5, 60)
    if "slot_step_minutes" in out and out["slot_step_minutes"] not in STEPS:
        problems["slot_step_minutes"] = "шаг: 5, 10, 15, 30 или 60 минут"
    integer("default_appointment_minutes", 1, 24 * 60)
    for name in ("day_start", "day_end"):
        raw = data.get(name, getattr(current, name))
        try:
            out[name] = raw if isinstance(raw, dt.time) else dt.time.fromisoformat(str(raw).strip())
        except ValueError:
            problems[name] = "время ЧЧ:ММ"
    integer("reminder_hours", 1, 7 * 24)
    # A form that shows the reminder fields says whether the box is ticked (an unticked box is not sent).
    out["reminder_enabled"] = (str(data.get("reminder_enabled", "")).lower() in ("on", "1", "true", "yes")
                               if "reminder_hours" in data else current.reminder_enabled)
    if "day_start" in out and "day_end" in out and out["day_start"] >= out["day_end"]:
        problems["day_end"] = "окончание дня должно быть позже начала"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"Неверные настройки — {summary}", details={"fields": problems})
    return Preferences(**out)


async def save(conn: asyncpg.Connection, prefs: Preferences, current: Preferences) -> None:
    """Store ``prefs``; the audit log gets what differs from ``current`` (what was in force)."""
    keys = [f"{PREFIX}{f.name}" for f in fields(Preferences)]
    values = [_to_json(getattr(prefs, f.name)) for f in fields(Preferences)]
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO constants (key, value, updated_at) SELECT k, v, now() FROM unnest($1::text[], $2::jsonb[])"
            " AS x(k, v) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()", keys, values)
        await audit.record_setting(conn, "preferences", _as_dict(current), _as_dict(prefs))


def _as_dict(prefs: Preferences) -> dict[str, Any]:
    return {f.name: getattr(prefs, f.name) for f in fields(Preferences)}
