from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table


class Constant(Table, tablename="constants"):
    """1C's constants: named settings stored in the database (lock dates, slot step…)."""

    key = Varchar(length=100, primary_key=True)
    value = JSONB(null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class DocumentCounter(Table, tablename="document_counters"):
    """The last number given per document kind, organization prefix and year."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=100)
    prefix = Varchar(length=20, default="")
    year = Integer()
    last = BigInt(default=0)
    counter_key = Unique(["kind", "prefix", "year"], name="document_counters_key")


class AuditRecord(Table, tablename="audit_log"):
    """Журнал регистрации: who changed what, when, and the changed fields'
    ``{field: [before, after]}``. Written by :mod:`erp.platform.audit`; its
    indexes for the filters and the newest-first keyset are in the migration."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow())
    user_id = BigInt(null=True, default=None)
    username = Varchar(length=150, default="")
    action = Varchar(length=20)
    object_kind = Varchar(length=120, default="")
    object_id = BigInt(null=True, default=None)
    presentation = Varchar(length=300, default="")
    changes = JSONB(default={})
    address = Varchar(length=64, default="")
