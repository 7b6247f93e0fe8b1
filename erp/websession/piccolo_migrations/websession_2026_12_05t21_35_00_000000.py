from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T21:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A UI session remembers its user's token generation and dies when it moves on"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="websession", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="UiSession",
        tablename="ui_sessions",
        column_name="token_generation",
        db_column_name="token_generation",
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

    return manager
