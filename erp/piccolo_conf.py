"""Piccolo's configuration. The DSN is filled in at run time by
:func:`erp.app.migrate.use_database`, because it may belong to the embedded server."""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(config={"dsn": os.environ.get("DATABASE_URL", "")})

APP_REGISTRY = AppRegistry(apps=["erp.piccolo_app", "erp.printing.piccolo_app",
                                 "erp.websession.piccolo_app", "erp.amocrm.piccolo_app"])
