from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import Numeric
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
import decimal

ID = "2026-12-06T06:34:55:857829"
VERSION = "1.38.0"
DESCRIPTION = "Day totals of the balance registers (balances at any moment read at most half a day of movements)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="erp", description=DESCRIPTION
    )

    manager.add_table(
        class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="RegStockDay",
        tablename="reg_stock_day",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
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
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
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
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        column_name="invoice_id",
        db_column_name="invoice_id",
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
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        column_name="amount_receipt",
        db_column_name="amount_receipt",
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
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        column_name="amount_expense",
        db_column_name="amount_expense",
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="warehouse_id",
        db_column_name="warehouse_id",
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="quantity_receipt",
        db_column_name="quantity_receipt",
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

    manager.add_column(
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="quantity_expense",
        db_column_name="quantity_expense",
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

    manager.add_column(
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="cost_receipt",
        db_column_name="cost_receipt",
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
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        column_name="cost_expense",
        db_column_name="cost_expense",
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        column_name="organization_id",
        db_column_name="organization_id",
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        column_name="client_id",
        db_column_name="client_id",
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        column_name="amount_receipt",
        db_column_name="amount_receipt",
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
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        column_name="amount_expense",
        db_column_name="amount_expense",
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

    manager.add_constraint(
        table_class_name="RegInvoicePaymentsDay",
        tablename="reg_invoice_payments_day",
        constraint_name="reg_invoice_payments_day_key",
        constraint_class=Unique,
        params={"columns": ["day", "invoice_id"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="RegStockDay",
        tablename="reg_stock_day",
        constraint_name="reg_stock_day_key",
        constraint_class=Unique,
        params={
            "columns": ["day", "warehouse_id", "nomenclature_id"],
            "nulls_distinct": True,
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="RegSettlementsDay",
        tablename="reg_settlements_day",
        constraint_name="reg_settlements_day_key",
        constraint_class=Unique,
        params={
            "columns": ["day", "organization_id", "client_id"],
            "nulls_distinct": True,
        },
        schema=None,
    )

    return manager
