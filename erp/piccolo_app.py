"""The Piccolo app: every table of the platform and of the configuration,
so that ``piccolo migrations new erp --auto`` sees all of them."""

import os

from piccolo.conf.apps import AppConfig

from erp.schema import all_tables

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="erp",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "migrations"),
    table_classes=all_tables(),
    migration_dependencies=[],
    commands=[],
)
