"""``/api/registers/{register}``: virtual tables of every declared register."""

import datetime as dt
from typing import Any, Literal

from litestar import Request, get

from erp.api.schemas import plain
from erp.api.security import ANY_USER
from erp.platform.dates import DateError, checked_moment, read_day
from erp.platform.errors import ValidationError
from erp.platform.fields import FieldError

RESERVED = {"at", "start", "end", "periodicity"}


def dimension_filters(register, params) -> dict[str, Any]:
    """``?warehouse_id=1&nomenclature_id=2,3`` → ``{"warehouse_id": 1, "nomenclature_id": [2, 3]}``."""
    dims = {f.name: f for f in register.dimensions}
    out: dict[str, Any] = {}
    for key in params:
        if key in RESERVED:
            continue
        if key not in dims:
            raise ValidationError.field(key, f"у регистра нет измерения «{key}»")
        raw = [v for item in params.getall(key) for v in item.split(",") if v != ""]
        try:
            values = [dims[key].parse(v) for v in raw]
        except FieldError as exc:
            raise ValidationError.field(key, str(exc)) from None
        out[key] = values[0] if len(values) == 1 else values
    return out


def _moment(raw: str | None, tz, field: str, *, end: bool = False) -> dt.datetime | None:
    if raw is None:
        return None
    if len(raw.strip()) == 10:
        try:
            day = read_day(raw)
        except DateError as exc:
            raise ValidationError.field(field, str(exc)) from None
        midnight = checked_moment(day, tz, field)
        return midnight.replace(hour=23, minute=59, second=59, microsecond=999999) if end else midnight
    return checked_moment(raw, tz, field)


def _rows(rows, tz=None) -> list[dict[str, Any]]:
    return [{k: plain(v, tz) for k, v in row.items()} for row in rows]


def register_routes(register) -> list:
    base = f"/api/registers/{register.name}"
    tags = [f"Регистр: {register.title}"]
    op = register.name.replace("-", "_")
    dims = ", ".join(f.name for f in register.dimensions)

    async def balance(request: Request, at: str | None = None) -> list[dict[str, Any]]:
        tz = request.app.state.settings.tz
        filters = dimension_filters(register, request.query_params)
        async with request.app.state.pool.acquire() as conn:
            # a date alone means its end: the balance on 15.12 includes that day (as 1C reports do)
            return _rows(await register.balance(conn, at=_moment(at, tz, "at", end=True), **filters))

    async def turnovers(request: Request, start: str, end: str,
                        periodicity: Literal["day", "month", "year"] | None = None) -> list[dict[str, Any]]:
        tz = request.app.state.settings.tz
        filters = dimension_filters(register, request.query_params)
        async with request.app.state.pool.acquire() as conn:
            return _rows(await register.turnovers(conn, _moment(start, tz, "start"),
                                                  _moment(end, tz, "end", end=True),
                                                  periodicity=periodicity, **filters))

    async def balance_and_turnovers(request: Request, start: str, end: str) -> list[dict[str, Any]]:
        tz = request.app.state.settings.tz
        filters = dimension_filters(register, request.query_params)
        async with request.app.state.pool.acquire() as conn:
            return _rows(await register.balance_and_turnovers(
                conn, _moment(start, tz, "start"), _moment(end, tz, "end", end=True), **filters))

    described = f"Фильтры по измерениям: {dims} (одно значение или список через запятую)."
    routes = [get(f"{base}/turnovers", guards=[ANY_USER], tags=tags, summary="Обороты", description=described,
                  operation_id=f"register_{op}_turnovers", name=f"register_{op}_turnovers")(turnovers)]
    if register.kind == "balance":
        routes += [
            get(f"{base}/balance", guards=[ANY_USER], tags=tags, summary="Остатки на момент",
                description=described + " Движения ровно в момент `at` включаются.",
                operation_id=f"register_{op}_balance", name=f"register_{op}_balance")(balance),
            get(f"{base}/balance-and-turnovers", guards=[ANY_USER], tags=tags, summary="Остатки и обороты",
                description=described, operation_id=f"register_{op}_bt",
                name=f"register_{op}_bt")(balance_and_turnovers),
        ]
    return routes


def info_register_routes(register) -> list:
    op = register.name.replace("-", "_")

    async def slice_last(request: Request, at: str | None = None) -> list[dict[str, Any]]:
        tz = request.app.state.settings.tz
        filters = dimension_filters(register, request.query_params)
        moment = _moment(at, tz, "at", end=True) or dt.datetime.now(tz)
        async with request.app.state.pool.acquire() as conn:
            return _rows(await register.slice_last(conn, moment, **filters))

    return [get(f"/api/registers/{register.name}/slice-last", guards=[ANY_USER],
                tags=[f"Регистр сведений: {register.title}"], summary="Срез последних",
                operation_id=f"info_{op}_slice_last", name=f"info_{op}_slice_last")(slice_last)]


def routes(registry) -> list:
    return ([r for reg in registry.registers.values() for r in register_routes(reg)]
            + [r for reg in registry.info_registers.values() for r in info_register_routes(reg)])
