-- payments: a new document written and posted at once
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
-- $12: _1.organization_id
-- $13: _1.account_kind
-- $14: _1.account_id
-- $15: _1.amount
-- $16: _1.cash_flow_item_id
-- $17: prefix
-- $18: year
-- $19: date
-- $20: based_on_kind
-- $21: based_on_id
-- $22: author_id
-- $23: posted
-- $24: deletion_mark
-- $25: h.organization_id
-- $26: h.client_id
-- $27: h.amount
-- $28: h.method
-- $29: h.cash_desk_id
-- $30: h.bank_account_id
-- $31: h.cash_flow_item_id
-- $32: h.invoice_id
-- $33: h.comment
-- $34: row_0.at
-- $35: row_0.user_id
-- $36: row_0.username
-- $37: row_0.action
-- $38: row_0.object_kind
-- $39: row_0.changes
-- $40: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_0 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $7::text, $8::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_0) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_0 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
new_1 AS (SELECT * FROM unnest($9::integer[], $10::timestamptz[], $11::smallint[], $12::bigint[], $13::varchar(20)[], $14::bigint[], $15::numeric(15,2)[], $16::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_1 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $7::text, $8::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_1) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_1 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
hist_1 AS (SELECT "organization_id", "account_kind", "account_id", min(period) AS since FROM (SELECT "organization_id", "account_kind", "account_id", period, sum(sum(record_type * "amount")) OVER w AS "amount" FROM (SELECT "organization_id", "account_kind", "account_id", period, record_type, "amount" FROM new_1) AS c GROUP BY "organization_id", "account_kind", "account_id", period WINDOW w AS (PARTITION BY "organization_id", "account_kind", "account_id" ORDER BY period)) AS d GROUP BY "organization_id", "account_kind", "account_id" HAVING min("amount") < 0),
balance_up_1 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 OR ("organization_id", "account_kind", "account_id") IN (SELECT "organization_id", "account_kind", "account_id" FROM hist_1) ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
now_1 AS (SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_1 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_1 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_1 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_1 AS (SELECT 'money'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_money_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_1 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('organization_id', n."organization_id", 'account_kind', n."account_kind", 'account_id', n."account_id", 'period', n.period, 'amount', n.record_type * n."amount")), '[]') FROM new_1 AS n), 'written', (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_1))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_1)),
short AS ((SELECT * FROM now_1 UNION ALL SELECT * FROM past_1 AS l WHERE NOT EXISTS (SELECT FROM now_1 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $7::text, $17::text, $18::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_payments" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "client_id", "amount", "method", "cash_desk_id", "bank_account_id", "cash_flow_item_id", "invoice_id", "comment") SELECT $8::bigint, $17::text || lpad(num.last::text, greatest(11 - length($17::text), 1, length(num.last::text)), '0'), $17::text, $18::int, $19::timestamptz, $20::text, $21::bigint, $22::bigint, $23::boolean, $24::boolean, $25::bigint, $26::bigint, $27::numeric(15,2), $28::varchar(250), $29::bigint, $30::bigint, $31::bigint, $32::bigint, $33::varchar(500) FROM num RETURNING id, number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $34::timestamptz, $35::bigint, $36::text, $37::text, $38::text, doc.id, doc.number, $39::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $40::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

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
-- $14: _2.line_no
-- $15: _2.period
-- $16: _2.record_type
-- $17: _2.organization_id
-- $18: _2.account_kind
-- $19: _2.account_id
-- $20: _2.amount
-- $21: _2.cash_flow_item_id
-- $22: date
-- $23: posted
-- $24: deletion_mark
-- $25: h.organization_id
-- $26: h.client_id
-- $27: h.amount
-- $28: h.method
-- $29: h.cash_desk_id
-- $30: h.bank_account_id
-- $31: h.cash_flow_item_id
-- $32: h.invoice_id
-- $33: h.comment
-- $34: row_0.at
-- $35: row_0.user_id
-- $36: row_0.username
-- $37: row_0.action
-- $38: row_0.object_kind
-- $39: row_0.changes
-- $40: row_0.address
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
old_2 AS (DELETE FROM "reg_money_movements" WHERE recorder_kind = $7::text AND recorder_id = $8::bigint RETURNING period, record_type, "organization_id", "account_kind", "account_id", "amount"),
new_2 AS (SELECT * FROM unnest($14::integer[], $15::timestamptz[], $16::smallint[], $17::bigint[], $18::varchar(20)[], $19::bigint[], $20::numeric(15,2)[], $21::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_2 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $7::text, $8::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_2 RETURNING 1),
delta_2 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_2 UNION ALL SELECT -1, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM old_2) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_2 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_2 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_2 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_2 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
hist_2 AS (SELECT "organization_id", "account_kind", "account_id", min(period) AS since FROM (SELECT "organization_id", "account_kind", "account_id", period, sum(sum(record_type * "amount")) OVER w AS "amount" FROM (SELECT "organization_id", "account_kind", "account_id", period, record_type, "amount" FROM new_2 UNION ALL SELECT "organization_id", "account_kind", "account_id", period, -record_type, "amount" FROM old_2) AS c GROUP BY "organization_id", "account_kind", "account_id", period WINDOW w AS (PARTITION BY "organization_id", "account_kind", "account_id" ORDER BY period)) AS d GROUP BY "organization_id", "account_kind", "account_id" HAVING min("amount") < 0),
balance_up_2 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_2 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 OR ("organization_id", "account_kind", "account_id") IN (SELECT "organization_id", "account_kind", "account_id" FROM hist_2) ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
now_2 AS (SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_2 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_2 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_2 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_2 AS (SELECT 'money'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_money_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_2 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('organization_id', n."organization_id", 'account_kind', n."account_kind", 'account_id', n."account_id", 'period', n.period, 'amount', n.record_type * n."amount")), '[]') FROM new_2 AS n), 'written', (SELECT count(*) FROM ins_2) + (SELECT count(*) FROM balance_up_2))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_2)),
short AS ((SELECT * FROM now_2 UNION ALL SELECT * FROM past_2 AS l WHERE NOT EXISTS (SELECT FROM now_2 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
doc AS (UPDATE "doc_payments" AS d SET date = $22::timestamptz, posted = $23::boolean, deletion_mark = $24::boolean, updated_at = now(), "organization_id" = $25::bigint, "client_id" = $26::bigint, "amount" = $27::numeric(15,2), "method" = $28::varchar(250), "cash_desk_id" = $29::bigint, "bank_account_id" = $30::bigint, "cash_flow_item_id" = $31::bigint, "invoice_id" = $32::bigint, "comment" = $33::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_2) + (SELECT count(*) FROM day_up_2) + (SELECT count(*) FROM month_up_2) + (SELECT count(*) FROM ins_2) + (SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $8::bigint RETURNING d.id, d.number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $34::timestamptz, $35::bigint, $36::text, $37::text, $38::text, doc.id, doc.number, $39::jsonb, $40::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
