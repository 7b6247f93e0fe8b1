"""The table of bank statement rows already imported (see :mod:`erp.services.bank_statement`)."""

from piccolo.columns import BigInt, BigSerial, Date, Numeric, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table


class BankStatementRow(Table, tablename="bank_statement_rows"):
    """A payment of a bank statement that has been loaded, keyed as the bank numbers it (date, number,
    payer's and recipient's accounts, amount), with the document it made: loading the same row again,
    from the same file or the next day's, finds it here and makes nothing."""

    id = BigSerial(primary_key=True)
    doc_date = Date()
    doc_number = Varchar(length=64)
    payer_account = Varchar(length=34)
    recipient_account = Varchar(length=34)
    amount = Numeric(digits=(15, 2))
    document_kind = Varchar(length=40, default="")
    document_id = BigInt(null=True, default=None)
    user_id = BigInt(null=True, default=None)
    imported_at = Timestamptz(default=TimestamptzNow())
    row_key = Unique(["doc_date", "doc_number", "payer_account", "recipient_account", "amount"],
                     name="bank_statement_rows_key")
