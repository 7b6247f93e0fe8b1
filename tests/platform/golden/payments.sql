-- payments: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.client_id
-- $6: _0.amount
-- $7: kind
-- $8: doc_id
-- $9: prefix
-- $10: year
-- $11: date
-- $12: based_on_kind
-- $13: based_on_id
-- $14: author_id
-- $15: posted
-- $16: deletion_mark
-- $17: h.organization_id
-- $18: h.client_id
-- $19: h.amount
-- $20: h.method
-- $21: h.invoice_id
-- $22: h.comment
-- $23: row_0.at
-- $24: row_0.user_id
-- $25: row_0.username
-- $26: row_0.action
-- $27: row_0.object_kind
-- $28: row_0.changes
-- $29: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_0 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $7::text, $8::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_0) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_0 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $7::text, $9::text, $10::int, 1 WHERE ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_payments" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "client_id", "amount", "method", "invoice_id", "comment") SELECT $8::bigint, $9::text || lpad(num.last::text, greatest(11 - length($9::text), 1, length(num.last::text)), '0'), $9::text, $10::int, $11::timestamptz, $12::text, $13::bigint, $14::bigint, $15::boolean, $16::boolean, $17::bigint, $18::bigint, $19::numeric(15,2), $20::varchar(250), $21::bigint, $22::varchar(500) FROM num RETURNING id, number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $23::timestamptz, $24::bigint, $25::text, $26::text, $27::text, doc.id, doc.number, $28::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $29::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;

-- payments: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.client_id
-- $6: _0.amount
-- $7: kind
-- $8: doc_id
-- $9: _1.line_no
-- $10: _1.period
-- $11: _1.record_type
-- $12: _1.invoice_id
-- $13: _1.amount
-- $14: date
-- $15: posted
-- $16: deletion_mark
-- $17: h.organization_id
-- $18: h.client_id
-- $19: h.amount
-- $20: h.method
-- $21: h.invoice_id
-- $22: h.comment
-- $23: row_0.at
-- $24: row_0.user_id
-- $25: row_0.username
-- $26: row_0.action
-- $27: row_0.object_kind
-- $28: row_0.changes
-- $29: row_0.address
WITH old_0 AS (DELETE FROM "reg_settlements_movements" WHERE recorder_kind = $7::text AND recorder_id = $8::bigint RETURNING period, record_type, "organization_id", "client_id", "amount"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_0 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $7::text, $8::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_0 UNION ALL SELECT -1, period, record_type, "organization_id", "client_id", "amount" FROM old_0) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_0 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
old_1 AS (DELETE FROM "reg_invoice_payments_movements" WHERE recorder_kind = $7::text AND recorder_id = $8::bigint RETURNING period, record_type, "invoice_id", "amount"),
new_1 AS (SELECT * FROM unnest($9::integer[], $10::timestamptz[], $11::smallint[], $12::bigint[], $13::numeric(15,2)[]) AS n(line_no, period, record_type, "invoice_id", "amount")),
ins_1 AS (INSERT INTO "reg_invoice_payments_movements" (recorder_kind, recorder_id, line_no, period, record_type, "invoice_id", "amount") SELECT $7::text, $8::bigint, line_no, period, record_type, "invoice_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "invoice_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "invoice_id", "amount" FROM new_1 UNION ALL SELECT -1, period, record_type, "invoice_id", "amount" FROM old_1) AS d GROUP BY 1, "invoice_id"),
month_up_1 AS (INSERT INTO "reg_invoice_payments_month" AS t (month, "invoice_id", "amount_receipt", "amount_expense") SELECT month, "invoice_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "invoice_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "invoice_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", month ON CONFLICT (month, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_invoice_payments_day" AS t (day, "invoice_id", "amount_receipt", "amount_expense") SELECT day, "invoice_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", day ON CONFLICT (day, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_invoice_payments_balance" AS t ("invoice_id", "amount") SELECT "invoice_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "invoice_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "invoice_id" ON CONFLICT ("invoice_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "invoice_id", "amount"),
doc AS (UPDATE "doc_payments" AS d SET date = $14::timestamptz, posted = $15::boolean, deletion_mark = $16::boolean, updated_at = now(), "organization_id" = $17::bigint, "client_id" = $18::bigint, "amount" = $19::numeric(15,2), "method" = $20::varchar(250), "invoice_id" = $21::bigint, "comment" = $22::varchar(500) FROM (SELECT WHERE ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0) AS gate WHERE d.id = $8::bigint RETURNING d.id, d.number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $23::timestamptz, $24::bigint, $25::text, $26::text, $27::text, doc.id, doc.number, $28::jsonb, $29::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;
