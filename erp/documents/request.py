"""Заявка: an appointment with a doctor, optionally in a room and with a piece of equipment.
Posting books the time of each of them.

Two posted Requests of one doctor, of one room or of one piece of equipment never overlap: a
PostgreSQL exclusion constraint per resource guarantees it even under concurrency, and its 409
names what is busy. A Request can only be booked inside the doctor's working intervals, and
inside the room's and the equipment's own unless they are always available.

A Request for a group service (one with «Мест в группе») takes a place in a group slot: the
service, the doctor and the exact start and end make its ``group_key``. Requests of one group slot
share the doctor's (and the room's, the equipment's) time — each a client with their own visit status —,
up to the service's capacity (``group_capacity``, a trigger counts them under a lock: 409 ``group_full``);
against anything else, a group slot is a booking like any other.

Goods lines are reserved in the Request's warehouse while it is posted and not yet rendered
(:mod:`.request_reserve`).
"""

import datetime as dt

from erp.catalogs.clients import AMOCRM_CLIENT
from erp.catalogs.resources import EQUIPMENT, ROOM
from erp.catalogs.visit_statuses import BOOKED
from erp.documents import request_reserve
from erp.documents.request_rules import moved, rules
from erp.platform import local_time
from erp.platform.document import Doc, DocumentKind, Index, NoOverlap, SharedSlot
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.platform.posting.inputs import Constants, Documents, Lookup, Many, Parts, Predefined, Slice
from erp.registers.stock import stock
from erp.registers.stock_reserves import stock_reserves
from erp.services.preferences import PREFIX, from_stored
from erp.services.scheduling import inside_intervals

NOT_WORKING = "Врач не работает в это время"
TAKEN = "Это время у врача уже занято другой заявкой"
# The resources a Request books beside the doctor: its field, the kind of resource it takes, and how
# people name one («Кабинет «Кабинет 3»», «Оборудование «УЗИ»»).
RESOURCES = {"room_id": (ROOM, "Кабинет", "занят"), "equipment_id": (EQUIPMENT, "Оборудование", "занято")}


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    problems = {}
    for i, line in enumerate(lines):
        if line["quantity"] is None or line["quantity"] <= 0:
            problems[f"lines[{i}].quantity"] = "количество должно быть больше нуля"
        if line.get("price") is not None and line["price"] < 0:
            problems[f"lines[{i}].price"] = "цена не может быть отрицательной"
    if header.get("duration_minutes") is not None and not 0 < header["duration_minutes"] <= 24 * 60:
        problems["duration_minutes"] = "длительность — от 1 до 1440 минут"
    if problems:
        raise ValidationError.fields(problems)
    return header, lines


def needs(old: Doc | None, new: Doc, settings) -> dict:
    """Defaults (the client «Клиент из AmoCRM», the status «Записан», the services' durations, the
    administrator's default duration), what the rules look at (the doctor, the status, renderings
    of a moved visit) and, when posting, the doctor's working intervals that day."""
    ids = tuple(dict.fromkeys(ln["nomenclature_id"] for ln in new.lines if ln.get("nomenclature_id")))
    out = {"client": Predefined("clients", AMOCRM_CLIENT), "booked": Predefined("visit-statuses", BOOKED),
           "durations": Many("nomenclature", ids, ("kind", "duration_minutes", "name", "group_capacity")),
           "performers": Parts("nomenclature", "performers", ids, ("doctor_id", "duration_minutes"), ("name",)),
           "service_rooms": Parts("nomenclature", "rooms", ids, ("room_id",), ("name",)),
           "preferences": Constants(PREFIX),
           "doctor": Lookup("doctors", new.header.get("doctor_id"), ("active", "name")),
           "status": Lookup("visit-statuses", new.header.get("visit_status_id"), ("predefined",))}
    if moved(old, new):
        out["renderings"] = Documents("service-renderings", {"based_on_kind": "requests", "based_on_id": old.id},
                                      posted=True)
    for field in RESOURCES:
        out[field] = Lookup("resources", new.header.get(field), ("name", "kind", "always_available"))
    if new.posted and new.header.get("starts_at") and new.header.get("doctor_id"):
        day = new.header["starts_at"].astimezone(settings.tz).date()
        out["intervals"] = Slice("doctor-schedule", {"day": day, "doctor_id": new.header["doctor_id"]})
        for field in RESOURCES:
            if new.header.get(field):
                out[f"{field}_intervals"] = Slice("resource-schedule", {"day": day, "resource_id": new.header[field]})
    return out | request_reserve.needs(old, new)


def fill(header: dict, lines: list[dict], inputs) -> tuple[dict, list[dict]]:
    """Defaults from the database: the client "Клиент из AmoCRM", the visit status
    "Записан", the duration (the request's, else the first service's for this doctor —
    the performer's own, else the service's —, else the setting) and the end, in real minutes."""
    settings = from_stored(inputs["preferences"], inputs.settings)
    first = next((m for m in (service_minutes(ln["nomenclature_id"], header.get("doctor_id"), inputs)
                              for ln in lines if ln.get("nomenclature_id")) if m is not None), None)
    header["client_id"] = header.get("client_id") or (inputs["client"] or {}).get("id")
    header["visit_status_id"] = header.get("visit_status_id") or (inputs["booked"] or {}).get("id")
    duration = header.get("duration_minutes") or first or settings.default_appointment_minutes
    header["duration_minutes"] = duration
    header["ends_at"] = local_time.plus(header["starts_at"], duration)  # real minutes, whatever the clock does
    group = group_service(lines, inputs)
    header["group_capacity"] = inputs["durations"][group]["group_capacity"] if group else None
    header["group_key"] = group_key(group, header) if group else None
    request_reserve.fill(header, lines, inputs, goods_of(inputs))
    return header, lines


def goods_of(inputs) -> dict[int, str]:
    """The goods among the lines' items, with their names."""
    return {i: item["name"] for i, item in inputs["durations"].items() if item["kind"] == "goods"}


def group_service(lines: list[dict], inputs) -> int | None:
    """The first group service among the lines (one with «Мест в группе»), if any."""
    services = inputs["durations"]
    return next((ln["nomenclature_id"] for ln in lines if ln.get("nomenclature_id") in services
                 and services[ln["nomenclature_id"]]["kind"] == "service"
                 and services[ln["nomenclature_id"]]["group_capacity"] is not None), None)


def group_key(service: int, header: dict) -> str:
    """The group slot: the service, the doctor, the exact start and end (UTC)."""
    starts, ends = (header[f].astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") for f in ("starts_at", "ends_at"))
    return f"{service}/{header['doctor_id']}/{starts}/{ends}"


def group_full(doc: Doc, inputs) -> str:
    """The 409 message of a full group slot."""
    service = inputs["durations"].get(group_service(doc.lines, inputs) or 0) or {}
    doctor = (inputs["doctor"] or {}).get("name", "")
    return (f"Группа «{service.get('name', '')}» у врача {doctor} "
            f"{doc.starts_at.astimezone(inputs.settings.tz):%d.%m.%Y в %H:%M} уже набрана: свободных мест нет "
            f"(занято {doc.header.get('group_capacity')} из {doc.header.get('group_capacity')})")


def service_minutes(item: int, doctor: int | None, inputs) -> int | None:
    """How long ``doctor`` performs the service ``item``: their own duration in «Исполнители услуги»,
    else the service's; ``None`` for goods and a service with neither."""
    service = inputs["durations"].get(item)
    if service is None or service["kind"] != "service":
        return None
    own = next((p["duration_minutes"] for p in inputs["performers"].get(item, ()) if p["doctor_id"] == doctor), None)
    return own or service["duration_minutes"]


def resource_name(field: str, inputs) -> str:
    """«Кабинет «Кабинет 3»»: the resource booked in ``field`` as people name it."""
    return f"{RESOURCES[field][1]} «{(inputs[field] or {}).get('name', '')}»"


def busy(field: str):
    """The 409 message of the resource's exclusion constraint (see :class:`NoOverlap`)."""
    return lambda doc, inputs: (f"{resource_name(field, inputs)} уже {RESOURCES[field][2]} в это время "
                                "другой заявкой")


def _refuse_outside(doc: Doc, tz, intervals: list, message: str, code: str) -> None:
    day = doc.starts_at.astimezone(tz).date()
    if not inside_intervals(day, tz, intervals, doc.starts_at, doc.ends_at):
        hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in intervals) or "не работает"
        raise Conflict(f"{message} ({doc.starts_at.astimezone(tz):%d.%m.%Y %H:%M}); "
                       f"график в этот день: {hours}", code=code,
                       details={"working_intervals": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in intervals]})


def movements(doc: Doc, inputs) -> dict:
    """The time is not written to registers: the posted flag itself holds it (see the exclusion
    constraints); the rule refuses time outside work, the doctor's and then that of each resource
    that keeps a schedule. The goods lines are reserved (:mod:`.request_reserve`)."""
    tz = inputs.settings.tz
    _refuse_outside(doc, tz, sorted((r["start_time"], r["end_time"]) for r in inputs.get("intervals", [])),
                    NOT_WORKING, "doctor_not_working")
    for field, (kind, _title, _busy) in RESOURCES.items():
        resource = inputs.get(field)
        if not doc.header.get(field) or resource is None or resource["always_available"]:
            continue
        intervals = sorted((r["start_time"], r["end_time"]) for r in inputs.get(f"{field}_intervals", []))
        _refuse_outside(doc, tz, intervals, f"{resource_name(field, inputs)} не работает в это время",
                        f"{kind}_not_working")
    return request_reserve.movements(doc, inputs, goods_of(inputs))


def all_rules(old: Doc | None, new: Doc, inputs) -> list:
    return rules(old, new, inputs) + request_reserve.rules(old, new, inputs)


requests = DocumentKind(
    "requests", "Заявка",
    header=(
        Field("client_id", "ref", "Клиент", ref="clients"),
        Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
        Field("room_id", "ref", "Кабинет", ref="resources", extra={"picker_fixed": {"kind": ROOM}}),
        Field("equipment_id", "ref", "Оборудование", ref="resources", extra={"picker_fixed": {"kind": EQUIPMENT}}),
        Field("starts_at", "datetime", "Время приёма", required=True),
        Field("duration_minutes", "int", "Длительность, мин"),
        Field("ends_at", "datetime", "Окончание приёма", read_only=True),
        Field("group_capacity", "int", "Мест в группе", read_only=True),
        Field("group_key", "str", "Групповой слот", read_only=True, max_length=120, extra={"hidden": True}),
        Field("amocrm_lead_id", "int", "Сделка amoCRM", index=True, big=True,
              check=lambda v: None if v > 0 else "номер сделки — положительное число"),
        Field("visit_status_id", "ref", "Статус визита", ref="visit-statuses"),
        Field("warehouse_id", "ref", "Склад", ref="warehouses"),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True,
              extra={"picker_stock": "warehouse_id"}),  # the picker shows what is available there
        Field("quantity", "quantity", "Количество", default=1),
        Field("price", "money", "Цена", default=0),
    ),
    registers=(stock, stock_reserves),
    movements=movements, prepare=prepare, needs=needs, fill=fill, rules=all_rules,
    no_overlap=(NoOverlap("doc_requests_no_double_booking", equal=("doctor_id",), start="starts_at", end="ends_at",
                          shared="group_key"),
                NoOverlap("doc_requests_no_double_room", equal=("room_id",), start="starts_at", end="ends_at",
                          code="room_busy", message=busy("room_id"), shared="group_key"),
                NoOverlap("doc_requests_no_double_equipment", equal=("equipment_id",), start="starts_at",
                          end="ends_at", code="equipment_busy", message=busy("equipment_id"), shared="group_key")),
    shared_slot=SharedSlot("group_key", "group_capacity", code="group_full", message=group_full),
    indexes=(Index("doc_requests_day_idx", ("doctor_id", "starts_at"), posted_only=True),
             Index("doc_requests_client_idx", ("client_id", "-starts_at"))),  # the client card
    conflict_message=TAKEN, write_roles=("admin", "accountant", "manager"),
)
