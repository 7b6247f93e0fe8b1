-- goods-receipts: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.warehouse_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
-- $7: _0.cost
-- $8: kind
-- $9: doc_id
-- $10: _1.line_no
-- $11: _1.period
-- $12: _1.record_type
-- $13: _1.organization_id
-- $14: _1.counterparty_id
-- $15: _1.amount
-- $16: prefix
-- $17: year
-- $18: date
-- $19: based_on_kind
-- $20: based_on_id
-- $21: author_id
-- $22: posted
-- $23: deletion_mark
-- $24: h.organization_id
-- $25: h.supplier_id
-- $26: h.warehouse_id
-- $27: h.comment
-- $28: l.line_no
-- $29: l.nomenclature_id
-- $30: l.quantity
-- $31: l.price
-- $32: l.amount
-- $33: row_0.at
-- $34: row_0.user_id
-- $35: row_0.username
-- $36: row_0.action
-- $37: row_0.object_kind
-- $38: row_0.changes
-- $39: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost") SELECT $8::text, $9::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost"),
new_1 AS (SELECT * FROM unnest($10::integer[], $11::timestamptz[], $12::smallint[], $13::bigint[], $14::bigint[], $15::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "counterparty_id", "amount")),
ins_1 AS (INSERT INTO "reg_supplier_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "counterparty_id", "amount") SELECT $8::text, $9::bigint, line_no, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "counterparty_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1) AS d GROUP BY 1, "organization_id", "counterparty_id"),
month_up_1 AS (INSERT INTO "reg_supplier_settlements_month" AS t (month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "counterparty_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "counterparty_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", month ON CONFLICT (month, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_supplier_settlements_day" AS t (day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", day ON CONFLICT (day, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_supplier_settlements_balance" AS t ("organization_id", "counterparty_id", "amount") SELECT "organization_id", "counterparty_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "counterparty_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "counterparty_id" ON CONFLICT ("organization_id", "counterparty_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "counterparty_id", "amount"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $8::text, $16::text, $17::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_goods_receipts" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "supplier_id", "warehouse_id", "comment") SELECT $9::bigint, $16::text || lpad(num.last::text, greatest(11 - length($16::text), 1, length(num.last::text)), '0'), $16::text, $17::int, $18::timestamptz, $19::text, $20::bigint, $21::bigint, $22::boolean, $23::boolean, $24::bigint, $25::bigint, $26::bigint, $27::varchar(500) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_goods_receipts_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($28::int[], $29::bigint[], $30::numeric(15,3)[], $31::numeric(15,2)[], $32::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $33::timestamptz, $34::bigint, $35::text, $36::text, $37::text, doc.id, doc.number, $38::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $39::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- goods-receipts: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.warehouse_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
-- $7: _0.cost
-- $8: kind
-- $9: doc_id
-- $10: _1.line_no
-- $11: _1.period
-- $12: _1.record_type
-- $13: _1.organization_id
-- $14: _1.counterparty_id
-- $15: _1.amount
-- $16: date
-- $17: posted
-- $18: deletion_mark
-- $19: h.organization_id
-- $20: h.supplier_id
-- $21: h.warehouse_id
-- $22: h.comment
-- $23: l.line_no
-- $24: l.nomenclature_id
-- $25: l.quantity
-- $26: l.price
-- $27: l.amount
-- $28: row_0.at
-- $29: row_0.user_id
-- $30: row_0.username
-- $31: row_0.action
-- $32: row_0.object_kind
-- $33: row_0.changes
-- $34: row_0.address
WITH old_0 AS (DELETE FROM "reg_stock_movements" WHERE recorder_kind = $8::text AND recorder_id = $9::bigint RETURNING period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost") SELECT $8::text, $9::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0 UNION ALL SELECT -1, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM old_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost"),
old_1 AS (DELETE FROM "reg_supplier_settlements_movements" WHERE recorder_kind = $8::text AND recorder_id = $9::bigint RETURNING period, record_type, "organization_id", "counterparty_id", "amount"),
new_1 AS (SELECT * FROM unnest($10::integer[], $11::timestamptz[], $12::smallint[], $13::bigint[], $14::bigint[], $15::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "counterparty_id", "amount")),
ins_1 AS (INSERT INTO "reg_supplier_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "counterparty_id", "amount") SELECT $8::text, $9::bigint, line_no, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "counterparty_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "counterparty_id", "amount" FROM new_1 UNION ALL SELECT -1, period, record_type, "organization_id", "counterparty_id", "amount" FROM old_1) AS d GROUP BY 1, "organization_id", "counterparty_id"),
month_up_1 AS (INSERT INTO "reg_supplier_settlements_month" AS t (month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "counterparty_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_1 GROUP BY 1, "organization_id", "counterparty_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", month ON CONFLICT (month, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_supplier_settlements_day" AS t (day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "counterparty_id", "amount_receipt", "amount_expense" FROM delta_1 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "counterparty_id", day ON CONFLICT (day, "organization_id", "counterparty_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_supplier_settlements_balance" AS t ("organization_id", "counterparty_id", "amount") SELECT "organization_id", "counterparty_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_1 GROUP BY "organization_id", "counterparty_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "counterparty_id" ON CONFLICT ("organization_id", "counterparty_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "counterparty_id", "amount"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
doc AS (UPDATE "doc_goods_receipts" AS d SET date = $16::timestamptz, posted = $17::boolean, deletion_mark = $18::boolean, updated_at = now(), "organization_id" = $19::bigint, "supplier_id" = $20::bigint, "warehouse_id" = $21::bigint, "comment" = $22::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $9::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_goods_receipts_lines" WHERE document_id = $9::bigint RETURNING 1),
lines AS (INSERT INTO "doc_goods_receipts_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($23::int[], $24::bigint[], $25::numeric(15,3)[], $26::numeric(15,2)[], $27::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $28::timestamptz, $29::bigint, $30::text, $31::text, $32::text, doc.id, doc.number, $33::jsonb, $34::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
