"""The clinic configuration: every catalog, document and register declared
in ``erp.catalogs``, ``erp.registers`` and ``erp.documents``, one module
each, collected into the application's registry."""

from __future__ import annotations

from erp.amocrm import deliver as _amocrm_delivery  # noqa: F401  (its job joins erp serve and erp worker)
from erp.amocrm import reminders as _appointment_reminders  # noqa: F401  (the reminders' job, likewise)
from erp.amocrm import stage_runner as _amocrm_stage_actions  # noqa: F401  (the stage actions' job, likewise)
from erp.platform.metadata import Registry

PACKAGES = ("erp.catalogs", "erp.registers", "erp.documents")
_REGISTRY: Registry | None = None


def registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry().discover(*PACKAGES)
        _subscribe(_REGISTRY)
    return _REGISTRY


def _subscribe(reg: Registry) -> None:
    """Integrations that listen to documents (e.g. the amoCRM outbox) join here,
    and the audit log hears every document of every kind."""
    from erp.amocrm import outbox
    from erp.platform import audit

    outbox.subscribe(reg)
    reg.subscribe_all(audit.on_document)
