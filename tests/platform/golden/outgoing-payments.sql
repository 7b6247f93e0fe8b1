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
-- $11: _1.line_no
-- $12: _1.period
-- $13: _1.record_type
-- $14: _1.organization_id
-- $15: _1.counterparty_id
-- $16: _1.amount
-- $17: prefix
-- $18: year
-- $19: date
-- $20: based_on_kind
-- $21: based_on_id
-- $22: author_id
-- $23: posted
-- $24: deletion_mark
-- $25: h.organization_id
-- $26: h.operation
-- $27: h.method
-- $28: h.cash_desk_id
-- $29: h.bank_account_id
-- $30: h.recipient_id
-- $31: h.amount
-- $32: h.cash_flow_item_id
-- $33: h.purpose
-- $34: h.goods_receipt_id
-- $35: h.comment
-- $36: row_0.at
-- $37: row_0.user_id
-- $38: row_0.username
-- $39: row_0.action
-- $40: row_0.object_kind
-- $41: row_0.changes
-- $42: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::varchar(20)[], $6::bigint[], $7::numeric(15,2)[], $8::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_0 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_0) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_0 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
hist_0 AS (SELECT "organization_id", "account_kind", "account_id", min(period) AS since FROM (SELECT "organization_id", "account_kind", "account_id", period, sum(sum(record_type * "amount")) OVER w AS "amount" FROM (SELECT "organization_id", "account_kind", "account_id", period, record_type, "amount" FROM new_0) AS c GROUP BY "organization_id", "account_kind", "account_id", period WINDOW w AS (PARTITION BY "organization_id", "account_kind", "account_id" ORDER BY period)) AS d GROUP BY "organization_id", "account_kind", "account_id" HAVING min("amount") < 0),
balance_up_0 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 OR ("organization_id", "account_kind", "account_id") IN (SELECT "organization_id", "account_kind", "account_id" FROM hist_0) ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
now_0 AS (SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_0 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'money'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_money_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('organization_id', n."organization_id", 'account_kind', n."account_kind", 'account_id', n."account_id", 'period', n.period, 'amount', n.record_type * n."amount")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
new_1 AS (SELECT * FROM unnest($11::integer[], $12::timestamptz[], $13::smallint[], $14::bigint[], $15::bigint[], $16::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "counterparty_id", "amount")),
ins_1 AS (INSERT INTO "reg_supplier_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "counterparty_id", "amount") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "counterparty_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1) AS d GROUP BY 1, "organization_id", "counterparty_id"),
month_up_1 AS (INSERT INTO "reg_supplier_settlements_month" AS t (month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "counterparty_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "counterparty_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", month ON CONFLICT (month, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_supplier_settlements_day" AS t (day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", day ON CONFLICT (day, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_supplier_settlements_balance" AS t ("organization_id", "counterparty_id", "amount") SELECT "organization_id", "counterparty_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "counterparty_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "counterparty_id" ON CONFLICT ("organization_id", "counterparty_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "counterparty_id", "amount"),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $9::text, $17::text, $18::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_outgoing_payments" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "operation", "method", "cash_desk_id", "bank_account_id", "recipient_id", "amount", "cash_flow_item_id", "purpose", "goods_receipt_id", "comment") SELECT $10::bigint, $17::text || lpad(num.last::text, greatest(11 - length($17::text), 1, length(num.last::text)), '0'), $17::text, $18::int, $19::timestamptz, $20::text, $21::bigint, $22::bigint, $23::boolean, $24::boolean, $25::bigint, $26::varchar(20), $27::varchar(250), $28::bigint, $29::bigint, $30::bigint, $31::numeric(15,2), $32::bigint, $33::varchar(500), $34::bigint, $35::varchar(500) FROM num RETURNING id, number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $36::timestamptz, $37::bigint, $38::text, $39::text, $40::text, doc.id, doc.number, $41::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $42::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

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
-- $15: _1.counterparty_id
-- $16: _1.amount
-- $17: _2.line_no
-- $18: _2.period
-- $19: _2.record_type
-- $20: _2.organization_id
-- $21: _2.client_id
-- $22: _2.amount
-- $23: date
-- $24: posted
-- $25: deletion_mark
-- $26: h.organization_id
-- $27: h.operation
-- $28: h.method
-- $29: h.cash_desk_id
-- $30: h.bank_account_id
-- $31: h.recipient_id
-- $32: h.amount
-- $33: h.cash_flow_item_id
-- $34: h.purpose
-- $35: h.goods_receipt_id
-- $36: h.comment
-- $37: row_0.at
-- $38: row_0.user_id
-- $39: row_0.username
-- $40: row_0.action
-- $41: row_0.object_kind
-- $42: row_0.changes
-- $43: row_0.address
WITH old_0 AS (DELETE FROM "reg_money_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "organization_id", "account_kind", "account_id", "amount"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::varchar(20)[], $6::bigint[], $7::numeric(15,2)[], $8::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_0 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_0 UNION ALL SELECT -1, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM old_0) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_0 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
hist_0 AS (SELECT "organization_id", "account_kind", "account_id", min(period) AS since FROM (SELECT "organization_id", "account_kind", "account_id", period, sum(sum(record_type * "amount")) OVER w AS "amount" FROM (SELECT "organization_id", "account_kind", "account_id", period, record_type, "amount" FROM new_0 UNION ALL SELECT "organization_id", "account_kind", "account_id", period, -record_type, "amount" FROM old_0) AS c GROUP BY "organization_id", "account_kind", "account_id", period WINDOW w AS (PARTITION BY "organization_id", "account_kind", "account_id" ORDER BY period)) AS d GROUP BY "organization_id", "account_kind", "account_id" HAVING min("amount") < 0),
balance_up_0 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 OR ("organization_id", "account_kind", "account_id") IN (SELECT "organization_id", "account_kind", "account_id" FROM hist_0) ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
now_0 AS (SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_0 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'money'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_money_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('organization_id', n."organization_id", 'account_kind', n."account_kind", 'account_id', n."account_id", 'period', n.period, 'amount', n.record_type * n."amount")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
old_1 AS (DELETE FROM "reg_supplier_settlements_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "organization_id", "counterparty_id", "amount"),
new_1 AS (SELECT * FROM unnest($11::integer[], $12::timestamptz[], $13::smallint[], $14::bigint[], $15::bigint[], $16::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "counterparty_id", "amount")),
ins_1 AS (INSERT INTO "reg_supplier_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "counterparty_id", "amount") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "counterparty_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 UNION ALL SELECT -1, period, record_type, "organization_id", "counterparty_id", "amount" FROM old_1) AS d GROUP BY 1, "organization_id", "counterparty_id"),
month_up_1 AS (INSERT INTO "reg_supplier_settlements_month" AS t (month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "counterparty_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "counterparty_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", month ON CONFLICT (month, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_supplier_settlements_day" AS t (day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", day ON CONFLICT (day, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_supplier_settlements_balance" AS t ("organization_id", "counterparty_id", "amount") SELECT "organization_id", "counterparty_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "counterparty_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "counterparty_id" ON CONFLICT ("organization_id", "counterparty_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "counterparty_id", "amount"),
old_2 AS (DELETE FROM "reg_settlements_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "organization_id", "client_id", "amount"),
new_2 AS (SELECT * FROM unnest($17::integer[], $18::timestamptz[], $19::smallint[], $20::bigint[], $21::bigint[], $22::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_2 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_2 RETURNING 1),
delta_2 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_2 UNION ALL SELECT -1, period, record_type, "organization_id", "client_id", "amount" FROM old_2) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_2 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_2 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_2 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_2 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_2 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_2 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
doc AS (UPDATE "doc_outgoing_payments" AS d SET date = $23::timestamptz, posted = $24::boolean, deletion_mark = $25::boolean, updated_at = now(), "organization_id" = $26::bigint, "operation" = $27::varchar(20), "method" = $28::varchar(250), "cash_desk_id" = $29::bigint, "bank_account_id" = $30::bigint, "recipient_id" = $31::bigint, "amount" = $32::numeric(15,2), "cash_flow_item_id" = $33::bigint, "purpose" = $34::varchar(500), "goods_receipt_id" = $35::bigint, "comment" = $36::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_2) + (SELECT count(*) FROM day_up_2) + (SELECT count(*) FROM month_up_2) + (SELECT count(*) FROM ins_2) + (SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $10::bigint RETURNING d.id, d.number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $37::timestamptz, $38::bigint, $39::text, $40::text, $41::text, doc.id, doc.number, $42::jsonb, $43::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
