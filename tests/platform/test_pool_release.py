"""The pool takes a connection back without a reset round trip, unless it kept session state."""

import asyncio

from erp.platform.db import create_pool, keeps_session_state


async def _released(pool, work) -> list[str]:
    """The statements sent on one pooled connection by ``work(conn)`` and by its release."""
    seen: list[str] = []
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda record: seen.append(record.query))
        await work(conn)
    await asyncio.sleep(0.01)  # asyncpg calls its query loggers soon after each statement
    return seen


async def test_a_plain_request_s_connection_goes_back_with_no_reset_query(database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        seen = await _released(pool, lambda conn: conn.fetchval("SELECT 1"))
        assert seen == ["SELECT 1"]
    finally:
        await pool.close()


async def test_a_connection_that_kept_an_advisory_lock_is_reset_and_the_lock_freed(database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async def lock_and_forget(conn):
            keeps_session_state(conn)
            assert await conn.fetchval("SELECT pg_try_advisory_lock(4242)")

        seen = await _released(pool, lock_and_forget)
        assert any("pg_advisory_unlock_all" in s for s in seen)
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                       " AND objid = 4242") == 0
            # the next release is plain again
        assert await _released(pool, lambda conn: conn.fetchval("SELECT 2")) == ["SELECT 2"]
    finally:
        await pool.close()


async def test_a_transaction_left_open_is_rolled_back_on_release(database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE released_probe (n int)")
        async def leave_open(conn):
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO released_probe VALUES (1)")

        await _released(pool, leave_open)
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM released_probe") == 0
    finally:
        await pool.close()
