"""The tables of the EnterpriseData export (see :mod:`erp.exchange.export`)."""

from piccolo.columns import JSONB, UUID, BigInt, BigSerial, Boolean, Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table


class ExchangeRef(Table, tablename="exchange_refs"):
    """The «Ссылка» an object of ours has in 1C: a uuid4 made the first time the object is exported
    and kept for good, so a re-export updates the object in 1C instead of making a second one."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=40)
    object_id = BigInt()
    ref = UUID()
    made_at = Timestamptz(default=TimestamptzNow())
    object_key = Unique(["kind", "object_id"], name="exchange_refs_object_key")


class EnterpriseDataExport(Table, tablename="enterprise_data_exports"):
    """One export (the export log): who, when, which organization and period, whether only what
    changed was sent, the message number and how many objects of each kind went out."""

    id = BigSerial(primary_key=True)
    made_at = Timestamptz(default=TimestamptzNow())
    user_id = BigInt(null=True, default=None)
    author = Varchar(length=200, default="")
    organization_id = BigInt()
    period_start = Date()
    period_end = Date()
    only_changed = Boolean(default=True)
    message_no = Integer(default=1)
    counts = JSONB(default="{}")
    unchanged = Integer(default=0)


class EnterpriseDataSent(Table, tablename="enterprise_data_sent"):
    """Each object an export sent, with the hash of its XML: the next export of the organization
    compares an object's hash with the last one sent and leaves out what did not change."""

    id = BigSerial(primary_key=True)
    export_id = BigInt(index=True)
    organization_id = BigInt()
    kind = Varchar(length=40)
    object_id = BigInt()
    ref = UUID()
    presentation = Varchar(length=300, default="")
    content_hash = Varchar(length=64)
    last_sent_key = Unique(["organization_id", "kind", "object_id", "export_id"],
                           name="enterprise_data_sent_object_key")
