from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Numeric
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
from piccolo.table import Table
import decimal


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


ID = "2026-12-06T12:06:58:468028"
VERSION = "1.38.0"
DESCRIPTION = "Материалы услуги (the nomenclature's tabular part) and the cost of sales"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="erp", description=DESCRIPTION
    )

    manager.add_table(
        class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
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
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
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
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
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
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
        column_name="nomenclature_id",
        db_column_name="nomenclature_id",
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
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
        column_name="quantity",
        db_column_name="quantity",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": (15, 3),
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

    manager.add_constraint(
        table_class_name="NomenclatureMaterialsPart",
        tablename="cat_nomenclature_materials",
        constraint_name="cat_nomenclature_materials_line_key",
        constraint_class=Unique,
        params={"columns": ["owner_id", "line_no"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_column(
        table_class_name="RegSalesMovements",
        tablename="reg_sales_movements",
        column_name="cost",
        db_column_name="cost",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": (15, 2),
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
        table_class_name="RegSalesMonth",
        tablename="reg_sales_month",
        column_name="cost",
        db_column_name="cost",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": (15, 2),
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

    return manager
