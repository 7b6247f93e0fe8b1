"""State of the fake amoCRM: its knobs, custom-field catalogue, leads, notes, webhooks and tokens.

Everything here is plain data guarded by the owning :class:`erp.amocrm.fake.FakeAmo`'s lock; nothing
in this module does I/O. The JSON shapes produced by the ``to_json`` methods follow amoCRM API v4
(``_links`` with absolute hrefs, ``custom_fields_values`` as ``null`` when a lead has none).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_DOCTORS = ["Иванов Иван Иванович", "Петрова Анна Сергеевна", "Сидоров Пётр Алексеевич"]
DEFAULT_TIMES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(8 * 60, 21 * 60 + 1, 15)]

FIELD_SUM = "Сумма1С"
FIELD_DATE = "Дата записи к врачу"
FIELD_DOCTOR = "Врач"
FIELD_TIME = "Время записи"
FIELD_CLIENT = "ФИО клиента"
PRESET_FIELD_IDS = {FIELD_SUM: 1_000_001, FIELD_DATE: 1_000_002, FIELD_DOCTOR: 1_000_003,
                    FIELD_TIME: 1_000_004, FIELD_CLIENT: 1_000_005}
DOCTOR_ENUM_BASE = 2_000_001
TIME_ENUM_BASE = 3_000_001

DEFAULT_PIPELINE_ID = 5_000_001
DEFAULT_STATUS_ID = 50_000_001
STATUS_WON, STATUS_LOST = 142, 143
# The account's one pipeline as amoCRM creates it, with the clinic's stages: (id, name, color, type);
# type 1 is «Неразобранное», every pipeline ends with 142 and 143.
PRESET_STATUSES = ((50_000_000, "Неразобранное", "#c1c1c1", 1), (DEFAULT_STATUS_ID, "Первичный контакт", "#99ccff", 0),
                   (50_000_002, "Записан на приём", "#ffff99", 0), (50_000_003, "Приём проведён", "#ffcc66", 0),
                   (50_000_004, "Счёт выставлен", "#deff81", 0))
CLOSED_STATUSES = ((STATUS_WON, "Успешно реализовано", "#CCFF66"), (STATUS_LOST, "Закрыто и не реализовано", "#D5D8DB"))

FIELD_TYPES = {"text", "textarea", "url", "numeric", "checkbox", "select", "multiselect", "radiobutton",
               "date", "date_time", "birthday"}
ENUM_TYPES = {"select", "multiselect", "radiobutton"}
FAULT_KINDS = ("429", "500", "timeout")
TOO_MANY_ENTITIES = 50


@dataclass
class FakeConfig:
    """Knobs of the fake. Change them with ``FakeAmo.configure(...)`` or ``POST /_fake/config``."""

    rate_limit: int | None = 7
    """Requests served per ``rate_window`` seconds (sliding window); ``None`` switches the limit off."""
    rate_window: float = 1.0
    block_threshold: int | None = 5
    """Rate-limit violations within ``block_window`` seconds that block the account (403 on every call)."""
    block_window: float = 60.0
    error_rate: float = 0.0
    """Fraction of API calls that fail with a random choice among ``error_kinds``."""
    error_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    timeout_delay: float = 10.0
    """How long a "timeout" fault holds the request before answering 504."""
    faults_include_oauth: bool = False
    latency: float = 0.0
    """Seconds added to every API and OAuth call."""
    access_token_lifetime: float = 86400.0
    access_token_max_calls: int | None = None
    """An access token dies after this many API calls (the next call gets 401)."""
    refresh_token_max_age: float = 90 * 86400.0
    authorization_code_lifetime: float = 20 * 60.0
    custom_fields_page_size: int = 2
    """Largest page ``GET /api/v4/leads/custom_fields`` returns, whatever ``limit`` asks for."""
    seed: int | None = None
    webhook_timeout: float = 5.0
    doctors: list[str] = field(default_factory=lambda: list(DEFAULT_DOCTORS))
    time_field_type: str = "select"
    time_values: list[str] = field(default_factory=lambda: list(DEFAULT_TIMES))
    omit_fields: list[str] = field(default_factory=list)
    """Names of preset fields to leave out, to exercise "missing field" handling."""

    CATALOGUE_KNOBS = frozenset({"doctors", "time_field_type", "time_values", "omit_fields"})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> set[str]:
        """Validate and apply ``changes`` all-or-nothing; return the names that changed."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(unknown)}")
        coerced = {name: _coerce(name, value) for name, value in changes.items()}
        changed = {name for name, value in coerced.items() if getattr(self, name) != value}
        for name, value in coerced.items():
            setattr(self, name, value)
        return changed


_OPTIONAL_INT = {"rate_limit", "block_threshold", "access_token_max_calls", "seed"}
_POSITIVE_FLOAT = {"rate_window", "block_window", "access_token_lifetime", "refresh_token_max_age",
                   "authorization_code_lifetime", "webhook_timeout"}
_NONNEGATIVE_FLOAT = {"timeout_delay", "latency"}
_STR_LISTS = {"doctors", "time_values", "omit_fields", "error_kinds"}


def _coerce(name: str, value: Any) -> Any:
    def number() -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{name} must be a number")
        return float(value)

    if name in _OPTIONAL_INT:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and name != "seed"):
            raise ValueError(f"{name} must be a non-negative integer or null")
        return value
    if name in _POSITIVE_FLOAT:
        if number() <= 0:
            raise ValueError(f"{name} must be positive")
        return float(value)
    if name in _NONNEGATIVE_FLOAT:
        if number() < 0:
            raise ValueError(f"{name} must not be negative")
        return float(value)
    if name == "error_rate":
        if not 0 <= number() <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        return float(value)
    if name == "custom_fields_page_size":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 250:
            raise ValueError("custom_fields_page_size must be an integer from 1 to 250")
        return value
    if name == "faults_include_oauth":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if name == "time_field_type":
        if value not in ("select", "text"):
            raise ValueError("time_field_type must be 'select' or 'text'")
        return value
    if name in _STR_LISTS:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings")
        if name == "error_kinds" and (not value or set(value) - set(FAULT_KINDS)):
            raise ValueError(f"error_kinds must be a non-empty subset of {list(FAULT_KINDS)}")
        if name == "omit_fields" and set(value) - set(PRESET_FIELD_IDS):
            raise ValueError(f"omit_fields may only name preset fields: {list(PRESET_FIELD_IDS)}")
        return list(value)
    raise ValueError(f"unknown knob: {name}")  # pragma: no cover - update() checks names first


@dataclass
class CustomField:
    id: int
    name: str
    type: str
    sort: int
    enums: list[dict[str, Any]] | None = None
    code: str | None = None
    preset: bool = False

    def enum_by_id(self, enum_id: int) -> dict[str, Any] | None:
        return next((e for e in self.enums or () if e["id"] == enum_id), None)

    def enum_by_value(self, value: str) -> dict[str, Any] | None:
        return next((e for e in self.enums or () if e["value"] == value), None)

    def to_json(self, origin: str, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "type": self.type, "account_id": account_id,
            "code": self.code, "sort": self.sort, "is_api_only": False,
            "enums": [dict(e) for e in self.enums] if self.enums is not None else None,
            "group_id": None, "required_statuses": [], "is_deletable": not self.preset,
            "is_predefined": False, "entity_type": "leads", "remind": None,
            "_links": {"self": {"href": f"{origin}/api/v4/leads/custom_fields/{self.id}"}},
        }


def preset_fields(config: FakeConfig) -> list[CustomField]:
    """The clinic's lead fields as an amoCRM admin would have set them up, minus ``omit_fields``."""

    def enums(values: list[str], base: int) -> list[dict[str, Any]]:
        return [{"id": base + i, "value": v, "sort": (i + 1) * 10} for i, v in enumerate(values)]

    time_enums = enums(config.time_values, TIME_ENUM_BASE) if config.time_field_type == "select" else None
    specs = [
        (FIELD_SUM, "numeric", None),
        (FIELD_DATE, "date", None),
        (FIELD_DOCTOR, "select", enums(config.doctors, DOCTOR_ENUM_BASE)),
        (FIELD_TIME, config.time_field_type, time_enums),
        (FIELD_CLIENT, "text", None),
    ]
    return [
        CustomField(PRESET_FIELD_IDS[name], name, type_, 500 + i * 10, enum_list, preset=True)
        for i, (name, type_, enum_list) in enumerate(specs)
        if name not in config.omit_fields
    ]


@dataclass
class Status:
    id: int
    name: str
    sort: int
    color: str = "#99ccff"
    type: int = 0
    is_editable: bool = True

    def to_json(self, origin: str, account_id: int, pipeline_id: int) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "sort": self.sort, "is_editable": self.is_editable,
                "pipeline_id": pipeline_id, "color": self.color, "type": self.type, "account_id": account_id,
                "_links": {"self": {"href": f"{origin}/api/v4/leads/pipelines/{pipeline_id}/statuses/{self.id}"}}}


@dataclass
class Pipeline:
    """A lead pipeline (воронка) and its stages, as ``GET /api/v4/leads/pipelines`` lists them."""

    id: int
    name: str
    sort: int
    is_main: bool = False
    is_unsorted_on: bool = True
    is_archive: bool = False
    statuses: list[Status] = field(default_factory=list)

    def to_json(self, origin: str, account_id: int) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "sort": self.sort, "is_main": self.is_main,
                "is_unsorted_on": self.is_unsorted_on, "is_archive": self.is_archive, "account_id": account_id,
                "_links": {"self": {"href": f"{origin}/api/v4/leads/pipelines/{self.id}"}},
                "_embedded": {"statuses": [s.to_json(origin, account_id, self.id)
                                           for s in sorted(self.statuses, key=lambda s: (s.sort, s.id))]}}


def make_pipeline(pipeline_id: int, name: str, stages: list[tuple[int, str]], *, sort: int = 1,
                  is_main: bool = False) -> Pipeline:
    """A pipeline with ``stages`` (id, name) in their order, closed by 142 and 143 as amoCRM closes every one."""
    statuses = [Status(sid, title, (i + 1) * 10) for i, (sid, title) in enumerate(stages)]
    statuses += [Status(sid, title, 10_000 + 1000 * i, color, 0, False)
                 for i, (sid, title, color) in enumerate(CLOSED_STATUSES)]
    return Pipeline(pipeline_id, name, sort, is_main, statuses=statuses)


def preset_pipelines() -> list[Pipeline]:
    main = Pipeline(DEFAULT_PIPELINE_ID, "Воронка", 1, is_main=True, statuses=[
        Status(sid, title, (i + 1) * 10, color, type_, type_ == 0)
        for i, (sid, title, color, type_) in enumerate(PRESET_STATUSES)])
    main.statuses += [Status(sid, title, 10_000 + 1000 * i, color, 0, False)
                      for i, (sid, title, color) in enumerate(CLOSED_STATUSES)]
    return [main]


@dataclass
class Lead:
    id: int
    name: str
    price: int
    status_id: int
    pipeline_id: int
    created_at: int
    updated_at: int
    responsible_user_id: int = 0
    closed_at: int | None = None
    custom_fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    price_history: list[tuple[float, int]] = field(default_factory=list)
    contacts: list[tuple[int, bool]] = field(default_factory=list)
    """The linked contacts: (contact id, is_main)."""

    def to_json(self, origin: str, account_id: int) -> dict[str, Any]:
        values = [dict(v, values=[dict(x) for x in v["values"]]) for v in self.custom_fields.values()]
        return {
            "id": self.id, "name": self.name, "price": self.price,
            "responsible_user_id": self.responsible_user_id, "group_id": 0,
            "status_id": self.status_id, "pipeline_id": self.pipeline_id, "loss_reason_id": None,
            "created_by": 0, "updated_by": 0, "created_at": self.created_at, "updated_at": self.updated_at,
            "closed_at": self.closed_at, "closest_task_at": None, "is_deleted": False,
            "custom_fields_values": values or None, "score": None, "account_id": account_id,
            "labor_cost": None,
            "_links": {"self": {"href": f"{origin}/api/v4/leads/{self.id}"}},
            "_embedded": {"tags": [], "companies": []},
        }


@dataclass
class Note:
    id: int
    entity_id: int
    note_type: str
    params: dict[str, Any]
    created_at: int

    def to_json(self, origin: str, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id, "entity_id": self.entity_id, "created_by": 0, "updated_by": 0,
            "created_at": self.created_at, "updated_at": self.created_at, "responsible_user_id": 0,
            "group_id": 0, "note_type": self.note_type, "params": dict(self.params),
            "account_id": account_id, "is_needs_to_trigger_digital_pipeline": False,
            "_links": {"self": {"href": f"{origin}/api/v4/leads/{self.entity_id}/notes/{self.id}"}},
        }


@dataclass
class Webhook:
    id: int
    destination: str
    settings: list[str]
    created_at: int
    updated_at: int

    def to_json(self, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id, "destination": self.destination, "created_at": self.created_at,
            "updated_at": self.updated_at, "account_id": account_id, "created_by": 0, "sort": 1,
            "disabled": False, "settings": list(self.settings),
        }


@dataclass
class AccessToken:
    value: str
    issued_at: float
    refresh_token: str
    calls: int = 0
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    issued_at: float
    access_token: str
    sequence: int
    used: bool = False


@dataclass
class AuthorizationCode:
    value: str
    issued_at: float
    used: bool = False
