"""Every table the database holds, in one list: the platform's own tables,
users, and the tables generated from the configuration's declarations."""

from __future__ import annotations

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from erp.auth.tables import LoginAttempt, User
    from erp.configuration import registry
    from erp.exchange.tables import EnterpriseDataExport, EnterpriseDataSent, ExchangeRef
    from erp.platform.tables import AuditRecord, Constant, DocumentCounter
    from erp.services.bank_tables import BankStatementRow

    return [User, LoginAttempt, Constant, DocumentCounter, AuditRecord, BankStatementRow,
            ExchangeRef, EnterpriseDataExport, EnterpriseDataSent, *registry().tables()]
