"""The printing area's Piccolo app: its tables and its own migrations folder."""

import os

from piccolo.conf.apps import AppConfig

from erp.printing.tables import Facsimile, GeneratedDocument, PrintTemplate, PrintVariable, Stamp

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="printing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[GeneratedDocument, Facsimile, Stamp, PrintTemplate, PrintVariable],
    migration_dependencies=["erp.piccolo_app"],
    commands=[],
)
