-- outgoing-payments: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.account_kind
-- $6: _0.account_id
-- $7: _0.amount
-- $8: _0.cash_flow_item_id
-- $9: kind
-- $10: doc_id
-- $11: prefix
-- $12: year
-- $13: date
-- $14: based_on_kind
-- $15: based_on_id
-- $16: author_id
-- $17: posted
-- $18: deletion_mark
-- $19: h.organization_id
-- $20: h.operation
-- $21: h.method
-- $22: h.cash_desk_id
-- $23: h.bank_account_id
-- $24: h.recipient_id
-- $25: h.amount
-- $26: h.cash_flow_item_id
-- $27: h.purpose
-- $28: h.goods_receipt_id
-- $29: h.comment
-- $30: row_0.at
-- $31: row_0.user_id
-- $32: row_0.username
-- $33: row_0.action
-- $34: row_0.object_kind
-- $35: row_0.changes
-- $36: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::varchar(20)[], $6::bigint[], $7::numeric(15,2)[], $8::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_0 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_0) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_0 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
short AS ((SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_0 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $9::text, $11::text, $12::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_outgoing_payments" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "operation", "method", "cash_desk_id", "bank_account_id", "recipient_id", "amount", "cash_flow_item_id", "purpose", "goods_receipt_id", "comment") SELECT $10::bigint, $11::text || lpad(num.last::text, greatest(11 - length($11::text), 1, length(num.last::text)), '0'), $11::text, $12::int, $13::timestamptz, $14::text, $15::bigint, $16::bigint, $17::boolean, $18::boolean, $19::bigint, $20::varchar(20), $21::varchar(250), $22::bigint, $23::bigint, $24::bigint, $25::numeric(15,2), $26::bigint, $27::varchar(500), $28::bigint, $29::varchar(500) FROM num RETURNING id, number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $30::timestamptz, $31::bigint, $32::text, $33::text, $34::text, doc.id, doc.number, $35::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $36::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- outgoing-payments: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.account_kind
-- $6: _0.account_id
-- $7: _0.amount
-- $8: _0.cash_flow_item_id
-- $9: kind
-- $10: doc_id
-- $11: _1.line_no
-- $12: _1.period
-- $13: _1.record_type
-- $14: _1.organization_id
-- $15: _1.client_id
-- $16: _1.amount
-- $17: date
-- $18: posted
-- $19: deletion_mark
-- $20: h.organization_id
-- $21: h.operation
-- $22: h.method
-- $23: h.cash_desk_id
-- $24: h.bank_account_id
-- $25: h.recipient_id
-- $26: h.amount
-- $27: h.cash_flow_item_id
-- $28: h.purpose
-- $29: h.goods_receipt_id
-- $30: h.comment
-- $31: row_0.at
-- $32: row_0.user_id
-- $33: row_0.username
-- $34: row_0.action
-- $35: row_0.object_kind
-- $36: row_0.changes
-- $37: row_0.address
WITH old_0 AS (DELETE FROM "reg_money_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "organization_id", "account_kind", "account_id", "amount"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::varchar(20)[], $6::bigint[], $7::numeric(15,2)[], $8::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_0 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_0 UNION ALL SELECT -1, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM old_0) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_0 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
old_1 AS (DELETE FROM "reg_settlements_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "organization_id", "client_id", "amount"),
new_1 AS (SELECT * FROM unnest($11::integer[], $12::timestamptz[], $13::smallint[], $14::bigint[], $15::bigint[], $16::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_1 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_1 UNION ALL SELECT -1, period, record_type, "organization_id", "client_id", "amount" FROM old_1) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_1 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
short AS ((SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_0 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
doc AS (UPDATE "doc_outgoing_payments" AS d SET date = $17::timestamptz, posted = $18::boolean, deletion_mark = $19::boolean, updated_at = now(), "organization_id" = $20::bigint, "operation" = $21::varchar(20), "method" = $22::varchar(250), "cash_desk_id" = $23::bigint, "bank_account_id" = $24::bigint, "recipient_id" = $25::bigint, "amount" = $26::numeric(15,2), "cash_flow_item_id" = $27::bigint, "purpose" = $28::varchar(500), "goods_receipt_id" = $29::bigint, "comment" = $30::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $10::bigint RETURNING d.id, d.number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $31::timestamptz, $32::bigint, $33::text, $34::text, $35::text, doc.id, doc.number, $36::jsonb, $37::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
