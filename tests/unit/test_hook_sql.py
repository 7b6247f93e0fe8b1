"""Hooks said in SQL: their parts are spliced into the posting statement with their arguments renumbered."""

from erp.platform.hook_sql import HookStatement, in_statement, speak_sql, spliced, statements_of


def test_parts_are_renumbered_after_the_statement_s_own_arguments_in_order():
    audit = HookStatement("a AS (INSERT INTO t SELECT $1, $2, doc.id FROM doc)", ("who", 7))
    outbox = HookStatement("b AS (INSERT INTO u SELECT $2 FROM doc WHERE $1 > 0 RETURNING id)", (3, "x"),
                           ("(SELECT count(*) FROM b WHERE $1 = $1)",))
    ctes, evaluate, args = spliced([audit, outbox], 12)
    assert ctes == ("a AS (INSERT INTO t SELECT $12, $13, doc.id FROM doc), "
                    "b AS (INSERT INTO u SELECT $15 FROM doc WHERE $14 > 0 RETURNING id)")
    assert evaluate == ["(SELECT count(*) FROM b WHERE $14 = $14)"]
    assert args == ["who", 7, 3, "x"]


def test_only_hooks_that_all_speak_sql_are_said_in_sql_and_a_none_part_is_left_out():
    async def plain(conn, kind, old, new, action):
        return None

    @in_statement(lambda kind, doc: None if doc == "quiet" else HookStatement("c AS (SELECT 1)"))
    async def said(conn, kind, old, new, action):
        return None

    assert speak_sql([said]) and speak_sql([]) and not speak_sql([said, plain])
    assert statements_of([said], None, "quiet") == []
    assert statements_of([said], None, "loud") == [HookStatement("c AS (SELECT 1)")]
