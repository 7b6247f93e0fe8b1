"""Numbers formatted by the database (a new document is numbered in the
statement that inserts it) read exactly as format_number writes them."""

from erp.platform.numbering import format_number
from erp.platform.posting.compile import number_sql


async def test_sql_number_reads_like_format_number(db):
    for prefix in ("", "К", "КЛ-", "ABCDEFGHIJKLMN"):
        for value in (1, 219, 99_999_999_999, 10**13):
            got = await db.fetchval(f"SELECT {number_sql('$1::text', 11)} FROM (SELECT $2::bigint AS last) AS num",
                                    prefix, value)
            assert got == format_number(prefix, value, 11)
