"""The Piccolo app of the UI's server-side sessions."""

import os

from piccolo.conf.apps import AppConfig

from erp.websession.tables import UiSession

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="websession",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[UiSession],
    migration_dependencies=[],
    commands=[],
)
