"""The Piccolo app of the amoCRM integration: its own tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from erp.amocrm.tables import AmocrmConnection, AmocrmEvent, AmocrmOAuthState, AmocrmStageAction

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="amocrm",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[AmocrmConnection, AmocrmOAuthState, AmocrmEvent, AmocrmStageAction],
    migration_dependencies=["erp.printing.piccolo_app"],  # a trigger of its own on generated_documents
    commands=[],
)
