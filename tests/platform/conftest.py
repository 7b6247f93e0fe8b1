"""Small registers declared by the platform's own tests (the core knows
nothing of the clinic), and their tables in the test's fresh database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from erp.platform.ddl import create_tables
from erp.platform.fields import Field
from erp.platform.info_register import InformationRegister
from erp.platform.register import AccumulationRegister

TZ = ZoneInfo("Europe/Moscow")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0, tz: dt.tzinfo = TZ) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def make_stock(name: str = "test-stock", timezone: str = "Europe/Moscow") -> AccumulationRegister:
    return AccumulationRegister(
        name, kind="balance", title="Товары на складах", timezone=timezone,
        dimensions=(Field("warehouse_id", "ref", ref="warehouses", required=True),
                    Field("item_id", "ref", ref="items", required=True)),
        resources=(Field("quantity", "quantity"), Field("cost", "money")),
        attributes=(Field("note", "str"),),
        no_negative=("quantity",),
    )


def make_sales(name: str = "test-sales", timezone: str = "Europe/Moscow") -> AccumulationRegister:
    return AccumulationRegister(
        name, kind="turnover", title="Продажи", timezone=timezone,
        dimensions=(Field("client_id", "ref", ref="clients", required=True),
                    Field("item_id", "ref", ref="items", required=True)),
        resources=(Field("quantity", "quantity"), Field("amount", "money")),
    )


def make_schedule(periodic: bool = True) -> InformationRegister:
    return InformationRegister(
        "test-doctor-hours" if periodic else "test-doctor-rooms", periodic=periodic, title="Часы врачей",
        dimensions=(Field("doctor_id", "ref", ref="doctors", required=True),
                    Field("day", "date", required=True)),
        resources=(Field("start", "time", required=True), Field("end", "time", required=True),
                   Field("room", "str")),
    )


async def install(conn, *registers) -> None:
    for reg in registers:
        await create_tables(conn, reg.tables(), extra=reg.extra_ddl())


@pytest.fixture
async def stock(db) -> AccumulationRegister:
    reg = make_stock()
    await install(db, reg)
    return reg


@pytest.fixture
async def sales(db) -> AccumulationRegister:
    reg = make_sales()
    await install(db, reg)
    return reg
