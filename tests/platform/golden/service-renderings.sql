-- service-renderings: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.client_id
-- $6: _0.nomenclature_id
-- $7: _0.doctor_id
-- $8: _0.quantity
-- $9: _0.amount
-- $10: _0.vat
-- $11: _0.cost
-- $12: kind
-- $13: doc_id
-- $14: _1.line_no
-- $15: _1.period
-- $16: _1.record_type
-- $17: _1.warehouse_id
-- $18: _1.nomenclature_id
-- $19: _1.quantity
-- $20: _1.cost
-- $21: _2.line_no
-- $22: _2.period
-- $23: _2.record_type
-- $24: _2.organization_id
-- $25: _2.client_id
-- $26: _2.amount
-- $27: prefix
-- $28: year
-- $29: date
-- $30: based_on_kind
-- $31: based_on_id
-- $32: author_id
-- $33: posted
-- $34: deletion_mark
-- $35: h.organization_id
-- $36: h.client_id
-- $37: h.doctor_id
-- $38: h.warehouse_id
-- $39: h.comment
-- $40: h.amount_total
-- $41: l.line_no
-- $42: l.nomenclature_id
-- $43: l.quantity
-- $44: l.price
-- $45: l.discount_percent
-- $46: l.discount_amount
-- $47: l.amount
-- $48: l.note
-- $49: row_0.at
-- $50: row_0.user_id
-- $51: row_0.username
-- $52: row_0.action
-- $53: row_0.object_kind
-- $54: row_0.changes
-- $55: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::numeric(15,3)[], $9::numeric(15,2)[], $10::numeric(15,2)[], $11::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost")),
ins_0 AS (INSERT INTO "reg_sales_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost") SELECT $12::text, $13::bigint, line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('month', period AT TIME ZONE 'Europe/Moscow'))::date AS month, "organization_id", "client_id", "nomenclature_id", "doctor_id", sum(sign * "quantity") AS "quantity", sum(sign * "amount") AS "amount", sum(sign * "vat") AS "vat", sum(sign * "cost") AS "cost" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM new_0) AS d GROUP BY 1, "organization_id", "client_id", "nomenclature_id", "doctor_id"),
month_up_0 AS (INSERT INTO "reg_sales_month" AS t (month, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost") SELECT month, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM delta_0 WHERE "quantity" <> 0 OR "amount" <> 0 OR "vat" <> 0 OR "cost" <> 0 ORDER BY "organization_id", "client_id", "nomenclature_id", "doctor_id", month ON CONFLICT (month, "organization_id", "client_id", "nomenclature_id", "doctor_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "amount" = t."amount" + EXCLUDED."amount", "vat" = t."vat" + EXCLUDED."vat", "cost" = t."cost" + EXCLUDED."cost" RETURNING 1),
new_1 AS (SELECT * FROM unnest($14::integer[], $15::timestamptz[], $16::smallint[], $17::bigint[], $18::bigint[], $19::numeric(15,3)[], $20::numeric(15,2)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost")),
ins_1 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost") SELECT $12::text, $13::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_1) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_1 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense" FROM delta_1 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM delta_1 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost" FROM delta_1 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost"),
new_2 AS (SELECT * FROM unnest($21::integer[], $22::timestamptz[], $23::smallint[], $24::bigint[], $25::bigint[], $26::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_2 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $12::text, $13::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_2 RETURNING 1),
delta_2 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_2) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_2 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_2 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_2 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_2 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_2 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_2 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_1 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_1 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_1 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $12::text, $27::text, $28::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_2) + (SELECT count(*) FROM day_up_2) + (SELECT count(*) FROM month_up_2) + (SELECT count(*) FROM ins_2) + (SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_service_renderings" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "client_id", "doctor_id", "warehouse_id", "comment", "amount_total") SELECT $13::bigint, $27::text || lpad(num.last::text, greatest(11 - length($27::text), 1, length(num.last::text)), '0'), $27::text, $28::int, $29::timestamptz, $30::text, $31::bigint, $32::bigint, $33::boolean, $34::boolean, $35::bigint, $36::bigint, $37::bigint, $38::bigint, $39::varchar(500), $40::numeric(15,2) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_service_renderings_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "amount", "note") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."discount_percent", u."discount_amount", u."amount", u."note" FROM doc, unnest($41::int[], $42::bigint[], $43::numeric(15,3)[], $44::numeric(15,2)[], $45::numeric(7,4)[], $46::numeric(15,2)[], $47::numeric(15,2)[], $48::varchar(200)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "amount", "note")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $49::timestamptz, $50::bigint, $51::text, $52::text, $53::text, doc.id, doc.number, $54::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $55::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- service-renderings: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.organization_id
-- $5: _0.client_id
-- $6: _0.nomenclature_id
-- $7: _0.doctor_id
-- $8: _0.quantity
-- $9: _0.amount
-- $10: _0.vat
-- $11: _0.cost
-- $12: kind
-- $13: doc_id
-- $14: _1.line_no
-- $15: _1.period
-- $16: _1.record_type
-- $17: _1.warehouse_id
-- $18: _1.nomenclature_id
-- $19: _1.quantity
-- $20: _1.cost
-- $21: _2.line_no
-- $22: _2.period
-- $23: _2.record_type
-- $24: _2.organization_id
-- $25: _2.client_id
-- $26: _2.amount
-- $27: date
-- $28: posted
-- $29: deletion_mark
-- $30: h.organization_id
-- $31: h.client_id
-- $32: h.doctor_id
-- $33: h.warehouse_id
-- $34: h.comment
-- $35: h.amount_total
-- $36: l.line_no
-- $37: l.nomenclature_id
-- $38: l.quantity
-- $39: l.price
-- $40: l.discount_percent
-- $41: l.discount_amount
-- $42: l.amount
-- $43: l.note
-- $44: row_0.at
-- $45: row_0.user_id
-- $46: row_0.username
-- $47: row_0.action
-- $48: row_0.object_kind
-- $49: row_0.changes
-- $50: row_0.address
WITH old_0 AS (DELETE FROM "reg_sales_movements" WHERE recorder_kind = $12::text AND recorder_id = $13::bigint RETURNING period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::numeric(15,3)[], $9::numeric(15,2)[], $10::numeric(15,2)[], $11::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost")),
ins_0 AS (INSERT INTO "reg_sales_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost") SELECT $12::text, $13::bigint, line_no, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('month', period AT TIME ZONE 'Europe/Moscow'))::date AS month, "organization_id", "client_id", "nomenclature_id", "doctor_id", sum(sign * "quantity") AS "quantity", sum(sign * "amount") AS "amount", sum(sign * "vat") AS "vat", sum(sign * "cost") AS "cost" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM new_0 UNION ALL SELECT -1, period, record_type, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM old_0) AS d GROUP BY 1, "organization_id", "client_id", "nomenclature_id", "doctor_id"),
month_up_0 AS (INSERT INTO "reg_sales_month" AS t (month, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost") SELECT month, "organization_id", "client_id", "nomenclature_id", "doctor_id", "quantity", "amount", "vat", "cost" FROM delta_0 WHERE "quantity" <> 0 OR "amount" <> 0 OR "vat" <> 0 OR "cost" <> 0 ORDER BY "organization_id", "client_id", "nomenclature_id", "doctor_id", month ON CONFLICT (month, "organization_id", "client_id", "nomenclature_id", "doctor_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "amount" = t."amount" + EXCLUDED."amount", "vat" = t."vat" + EXCLUDED."vat", "cost" = t."cost" + EXCLUDED."cost" RETURNING 1),
old_1 AS (DELETE FROM "reg_stock_movements" WHERE recorder_kind = $12::text AND recorder_id = $13::bigint RETURNING period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost"),
new_1 AS (SELECT * FROM unnest($14::integer[], $15::timestamptz[], $16::smallint[], $17::bigint[], $18::bigint[], $19::numeric(15,3)[], $20::numeric(15,2)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost")),
ins_1 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost") SELECT $12::text, $13::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_1 UNION ALL SELECT -1, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM old_1) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_1 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense" FROM delta_1 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM delta_1 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost" FROM delta_1 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost"),
old_2 AS (DELETE FROM "reg_settlements_movements" WHERE recorder_kind = $12::text AND recorder_id = $13::bigint RETURNING period, record_type, "organization_id", "client_id", "amount"),
new_2 AS (SELECT * FROM unnest($21::integer[], $22::timestamptz[], $23::smallint[], $24::bigint[], $25::bigint[], $26::numeric(15,2)[]) AS n(line_no, period, record_type, "organization_id", "client_id", "amount")),
ins_2 AS (INSERT INTO "reg_settlements_movements" (recorder_kind, recorder_id, line_no, period, record_type, "organization_id", "client_id", "amount") SELECT $12::text, $13::bigint, line_no, period, record_type, "organization_id", "client_id", "amount" FROM new_2 RETURNING 1),
delta_2 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "organization_id", "client_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "organization_id", "client_id", "amount" FROM new_2 UNION ALL SELECT -1, period, record_type, "organization_id", "client_id", "amount" FROM old_2) AS d GROUP BY 1, "organization_id", "client_id"),
month_up_2 AS (INSERT INTO "reg_settlements_month" AS t (month, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT month, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "organization_id", "client_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_2 GROUP BY 1, "organization_id", "client_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", month ON CONFLICT (month, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_2 AS (INSERT INTO "reg_settlements_day" AS t (day, "organization_id", "client_id", "amount_receipt", "amount_expense") SELECT day, "organization_id", "client_id", "amount_receipt", "amount_expense" FROM delta_2 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "organization_id", "client_id", day ON CONFLICT (day, "organization_id", "client_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_2 AS (INSERT INTO "reg_settlements_balance" AS t ("organization_id", "client_id", "amount") SELECT "organization_id", "client_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_2 GROUP BY "organization_id", "client_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "organization_id", "client_id" ON CONFLICT ("organization_id", "client_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "organization_id", "client_id", "amount"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_1 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_1 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_1 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
doc AS (UPDATE "doc_service_renderings" AS d SET date = $27::timestamptz, posted = $28::boolean, deletion_mark = $29::boolean, updated_at = now(), "organization_id" = $30::bigint, "client_id" = $31::bigint, "doctor_id" = $32::bigint, "warehouse_id" = $33::bigint, "comment" = $34::varchar(500), "amount_total" = $35::numeric(15,2) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_2) + (SELECT count(*) FROM day_up_2) + (SELECT count(*) FROM month_up_2) + (SELECT count(*) FROM ins_2) + (SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $13::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_service_renderings_lines" WHERE document_id = $13::bigint RETURNING 1),
lines AS (INSERT INTO "doc_service_renderings_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "amount", "note") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."discount_percent", u."discount_amount", u."amount", u."note" FROM doc, unnest($36::int[], $37::bigint[], $38::numeric(15,3)[], $39::numeric(15,2)[], $40::numeric(7,4)[], $41::numeric(15,2)[], $42::numeric(15,2)[], $43::varchar(200)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "amount", "note"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $44::timestamptz, $45::bigint, $46::text, $47::text, $48::text, doc.id, doc.number, $49::jsonb, $50::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
