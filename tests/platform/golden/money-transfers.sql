-- money-transfers: a new document written and posted at once
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
-- $20: h.method
-- $21: h.cash_desk_id
-- $22: h.bank_account_id
-- $23: h.method_to
-- $24: h.cash_desk_to_id
-- $25: h.bank_account_to_id
-- $26: h.amount
-- $27: h.cash_flow_item_id
-- $28: h.comment
-- $29: row_0.at
-- $30: row_0.user_id
-- $31: row_0.username
-- $32: row_0.action
-- $33: row_0.object_kind
-- $34: row_0.changes
-- $35: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::varchar(20)[], $6::bigint[], $7::numeric(15,2)[], $8::bigint[]) AS n(line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id")),
ins_0 AS (INSERT INTO "reg_money_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id") SELECT $9::text, $10::bigint, line_no, period, record_type, "organization_id", "account_kind", "account_id", "amount", "cash_flow_item_id" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "account_kind", "account_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "account_kind", "account_id", "amount" FROM new_0) AS d GROUP BY 1, "organization_id", "account_kind", "account_id"),
month_up_0 AS (INSERT INTO "reg_money_month" AS t (month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "account_kind", "account_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "organization_id", "account_kind", "account_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", month ON CONFLICT (month, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_money_day" AS t (day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "account_kind", "account_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "account_kind", "account_id", day ON CONFLICT (day, "organization_id", "account_kind", "account_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
hist_0 AS (SELECT "organization_id", "account_kind", "account_id", min(period) AS since FROM (SELECT "organization_id", "account_kind", "account_id", period, sum(sum(record_type * "amount")) OVER w AS "amount" FROM (SELECT "organization_id", "account_kind", "account_id", period, record_type, "amount" FROM new_0) AS c GROUP BY "organization_id", "account_kind", "account_id", period WINDOW w AS (PARTITION BY "organization_id", "account_kind", "account_id" ORDER BY period)) AS d GROUP BY "organization_id", "account_kind", "account_id" HAVING min("amount") < 0),
balance_up_0 AS (INSERT INTO "reg_money_balance" AS t ("organization_id", "account_kind", "account_id", "amount") SELECT "organization_id", "account_kind", "account_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 OR ("organization_id", "account_kind", "account_id") IN (SELECT "organization_id", "account_kind", "account_id" FROM hist_0) ORDER BY "organization_id", "account_kind", "account_id" ON CONFLICT ("organization_id", "account_kind", "account_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "account_kind", "account_id", "amount"),
now_0 AS (SELECT 'money'::text AS register, json_build_object('organization_id', b."organization_id", 'account_kind', b."account_kind", 'account_id', b."account_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('amount', b."amount"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "organization_id", "account_kind", "account_id" FROM delta_0 GROUP BY "organization_id", "account_kind", "account_id" HAVING sum("amount_receipt" - "amount_expense") < 0) AS k ON k."organization_id" = b."organization_id" AND k."account_kind" = b."account_kind" AND k."account_id" = b."account_id" LEFT JOIN (SELECT "organization_id", "account_kind", "account_id", sum(-record_type * "amount") AS "amount" FROM new_0 GROUP BY "organization_id", "account_kind", "account_id") AS own ON own."organization_id" = b."organization_id" AND own."account_kind" = b."account_kind" AND own."account_id" = b."account_id" CROSS JOIN LATERAL (VALUES ('amount', b."amount", greatest(coalesce(own."amount", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'money'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_money_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('organization_id', n."organization_id", 'account_kind', n."account_kind", 'account_id', n."account_id", 'period', n.period, 'amount', n.record_type * n."amount")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $9::text, $11::text, $12::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_money_transfers" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "method", "cash_desk_id", "bank_account_id", "method_to", "cash_desk_to_id", "bank_account_to_id", "amount", "cash_flow_item_id", "comment") SELECT $10::bigint, $11::text || lpad(num.last::text, greatest(11 - length($11::text), 1, length(num.last::text)), '0'), $11::text, $12::int, $13::timestamptz, $14::text, $15::bigint, $16::bigint, $17::boolean, $18::boolean, $19::bigint, $20::varchar(250), $21::bigint, $22::bigint, $23::varchar(250), $24::bigint, $25::bigint, $26::numeric(15,2), $27::bigint, $28::varchar(500) FROM num RETURNING id, number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $29::timestamptz, $30::bigint, $31::text, $32::text, $33::text, doc.id, doc.number, $34::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $35::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- money-transfers: a posted document saved (re-posted)
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
-- $11: date
-- $12: posted
-- $13: deletion_mark
-- $14: h.organization_id
-- $15: h.method
-- $16: h.cash_desk_id
-- $17: h.bank_account_id
-- $18: h.method_to
-- $19: h.cash_desk_to_id
-- $20: h.bank_account_to_id
-- $21: h.amount
-- $22: h.cash_flow_item_id
-- $23: h.comment
-- $24: row_0.at
-- $25: row_0.user_id
-- $26: row_0.username
-- $27: row_0.action
-- $28: row_0.object_kind
-- $29: row_0.changes
-- $30: row_0.address
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
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
doc AS (UPDATE "doc_money_transfers" AS d SET date = $11::timestamptz, posted = $12::boolean, deletion_mark = $13::boolean, updated_at = now(), "organization_id" = $14::bigint, "method" = $15::varchar(250), "cash_desk_id" = $16::bigint, "bank_account_id" = $17::bigint, "method_to" = $18::varchar(250), "cash_desk_to_id" = $19::bigint, "bank_account_to_id" = $20::bigint, "amount" = $21::numeric(15,2), "cash_flow_item_id" = $22::bigint, "comment" = $23::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $10::bigint RETURNING d.id, d.number),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $24::timestamptz, $25::bigint, $26::text, $27::text, $28::text, doc.id, doc.number, $29::jsonb, $30::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
