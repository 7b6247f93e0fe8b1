from erp.app.migrate import applied, known, pending_changes


async def test_fresh_database_reaches_the_head(database_url):
    assert await applied(database_url) == known()
    assert known(), "there is at least one migration"


async def test_tables_and_migrations_agree(database_url):
    assert await pending_changes(database_url) == []
