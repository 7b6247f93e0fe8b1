"""The Litestar application: routes, auth, errors, OpenAPI and lifecycle."""

from __future__ import annotations

import asyncio
import logging

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from erp import __version__
from erp.amocrm import api as amocrm_api
from erp.api import audit, auth, catalogs, documents, health, period_lock, registers, reports, schedule, swagger, users
from erp.api import bank_statements as bank_statements_api
from erp.api import catalog_import as catalog_import_api
from erp.api import clients as clients_api
from erp.api import money_reports as money_reports_api
from erp.api import opening_excel as opening_excel_api
from erp.api.errors import EXCEPTION_HANDLERS
from erp.api.headers import security_headers
from erp.api.input_guard import nul_guard
from erp.api.openapi import PublishedSchema
from erp.api.security import BearerAuthMiddleware
from erp.app.jobs import run_worker
from erp.app.settings import Settings
from erp.platform.db import create_pool
from erp.platform.metadata import Registry
from erp.platform.posting import Engine
from erp.printing import api as printing_api
from ui.app import UIPlugin

log = logging.getLogger("erp")


def create_app(settings: Settings, database_url: str, *, pool_size: int = 10,
               with_worker: bool = False, registry: Registry | None = None,
               extra_route_handlers: list | None = None) -> Litestar:
    if registry is None:
        from erp.configuration import registry as configured

        registry = configured()

    async def open_pool(app: Litestar) -> None:
        app.state.pool = await create_pool(database_url, max_size=pool_size)
        if with_worker:
            app.state.worker_stop = asyncio.Event()
            app.state.worker = asyncio.create_task(
                run_worker(app.state.pool, settings, database_url, app.state.worker_stop))

    async def close_pool(app: Litestar) -> None:
        if with_worker and getattr(app.state, "worker", None):
            app.state.worker_stop.set()
            try:
                await asyncio.wait_for(app.state.worker, 5)
            except (TimeoutError, Exception):
                app.state.worker.cancel()
        pool = getattr(app.state, "pool", None)
        if pool is not None:
            await pool.close()

    openapi = OpenAPIConfig(
        title="ERP для клиник",
        version=__version__,
        path="/schema",
        render_plugins=[swagger.plugin(), PublishedSchema()],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
        }),
        security=[{"bearer": []}],
    )
    handlers = [*health.ROUTES, *auth.ROUTES, *users.ROUTES, *audit.ROUTES, *period_lock.ROUTES, *schedule.ROUTES,
                *reports.ROUTES, *money_reports_api.ROUTES, *clients_api.ROUTES,
                *catalogs.routes(registry), *documents.routes(registry), *registers.routes(registry),
                *printing_api.routes(registry),
                *catalog_import_api.routes(registry), *bank_statements_api.ROUTES,
                *opening_excel_api.routes(registry),
                *amocrm_api.ROUTES,
                *swagger.static_routes(), *(extra_route_handlers or [])]
    return Litestar(
        route_handlers=handlers,
        state=State({"settings": settings, "database_url": database_url, "registry": registry,
                     "engine": Engine(registry, settings)}),
        on_startup=[open_pool],
        on_shutdown=[close_pool],
        middleware=[nul_guard, BearerAuthMiddleware],
        before_send=[security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        plugins=[UIPlugin(settings)],
        debug=False,
    )
