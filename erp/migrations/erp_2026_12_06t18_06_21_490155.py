from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
from piccolo.table import Table


class NomenclatureCatalog(Table, tablename="cat_nomenclature", schema=None):
    id = BigSerial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-06T18:06:21:490155"
VERSION = "1.38.0"
DESCRIPTION = "Services linked to doctors and rooms; group services and group bookings (issue 18, points 9, 10)"

# The Requests' no-overlap constraints let the places of one group slot share its time now (see
# erp.platform.document.NoOverlap.shared): dropped here, erp.app.migrate.ensure_extras creates them anew
# (with the trigger that counts a slot's places) right after the migrations.
DROPPED = ("doc_requests_no_double_booking", "doc_requests_no_double_room", "doc_requests_no_double_equipment")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="erp", description=DESCRIPTION
    )

    manager.add_table(
        class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        column_name="owner_id",
        db_column_name="owner_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": NomenclatureCatalog,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        column_name="line_no",
        db_column_name="line_no",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        column_name="room_id",
        db_column_name="room_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        column_name="owner_id",
        db_column_name="owner_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": NomenclatureCatalog,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        column_name="line_no",
        db_column_name="line_no",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        column_name="doctor_id",
        db_column_name="doctor_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        column_name="duration_minutes",
        db_column_name="duration_minutes",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="NomenclatureRoomsPart",
        tablename="cat_nomenclature_rooms",
        constraint_name="cat_nomenclature_rooms_line_key",
        constraint_class=Unique,
        params={"columns": ["owner_id", "line_no"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="NomenclaturePerformersPart",
        tablename="cat_nomenclature_performers",
        constraint_name="cat_nomenclature_performers_line_key",
        constraint_class=Unique,
        params={"columns": ["owner_id", "line_no"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_column(
        table_class_name="NomenclatureCatalog",
        tablename="cat_nomenclature",
        column_name="group_capacity",
        db_column_name="group_capacity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="RequestsDocument",
        tablename="doc_requests",
        column_name="group_capacity",
        db_column_name="group_capacity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="RequestsDocument",
        tablename="doc_requests",
        column_name="group_key",
        db_column_name="group_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 120,
            "default": "",
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def drop_constraints():
        engine = engine_finder()
        for name in DROPPED:
            await engine.run_ddl(f'ALTER TABLE IF EXISTS doc_requests DROP CONSTRAINT IF EXISTS "{name}"')

    manager.add_raw(drop_constraints)
    return manager
