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
-- $10: prefix
-- $11: year
-- $12: date
-- $13: based_on_kind
-- $14: based_on_id
-- $15: author_id
-- $16: posted
-- $17: deletion_mark
-- $18: h.supplier_id
-- $19: h.warehouse_id
-- $20: h.supplier_order_id
-- $21: h.comment
-- $22: l.line_no
-- $23: l.nomenclature_id
-- $24: l.quantity
-- $25: l.price
-- $26: l.amount
-- $27: row_0.at
-- $28: row_0.user_id
-- $29: row_0.username
-- $30: row_0.action
-- $31: row_0.object_kind
-- $32: row_0.changes
-- $33: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost") SELECT $8::text, $9::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost" FROM new_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $8::text, $10::text, $11::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_goods_receipts" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "supplier_id", "warehouse_id", "supplier_order_id", "comment") SELECT $9::bigint, $10::text || lpad(num.last::text, greatest(11 - length($10::text), 1, length(num.last::text)), '0'), $10::text, $11::int, $12::timestamptz, $13::text, $14::bigint, $15::bigint, $16::boolean, $17::boolean, $18::bigint, $19::bigint, $20::bigint, $21::varchar(500) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_goods_receipts_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($22::int[], $23::bigint[], $24::numeric(15,3)[], $25::numeric(15,2)[], $26::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $27::timestamptz, $28::bigint, $29::text, $30::text, $31::text, doc.id, doc.number, $32::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $33::text FROM doc RETURNING 1)
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
-- $13: _1.order_id
-- $14: _1.nomenclature_id
-- $15: _1.quantity
-- $16: date
-- $17: posted
-- $18: deletion_mark
-- $19: h.supplier_id
-- $20: h.warehouse_id
-- $21: h.supplier_order_id
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
old_1 AS (DELETE FROM "reg_orders_to_suppliers_movements" WHERE recorder_kind = $8::text AND recorder_id = $9::bigint RETURNING period, record_type, "order_id", "nomenclature_id", "quantity"),
new_1 AS (SELECT * FROM unnest($10::integer[], $11::timestamptz[], $12::smallint[], $13::bigint[], $14::bigint[], $15::numeric(15,3)[]) AS n(line_no, period, record_type, "order_id", "nomenclature_id", "quantity")),
ins_1 AS (INSERT INTO "reg_orders_to_suppliers_movements" (recorder_kind, recorder_id, line_no, period, record_type, "order_id", "nomenclature_id", "quantity") SELECT $8::text, $9::bigint, line_no, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "order_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense" FROM (SELECT 1 AS sign, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_1 UNION ALL SELECT -1, period, record_type, "order_id", "nomenclature_id", "quantity" FROM old_1) AS d GROUP BY 1, "order_id", "nomenclature_id"),
month_up_1 AS (INSERT INTO "reg_orders_to_suppliers_month" AS t (month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "order_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense" FROM delta_1 GROUP BY 1, "order_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", month ON CONFLICT (month, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_orders_to_suppliers_day" AS t (day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM delta_1 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", day ON CONFLICT (day, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
balance_up_1 AS (INSERT INTO "reg_orders_to_suppliers_balance" AS t ("order_id", "nomenclature_id", "quantity") SELECT "order_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity" FROM delta_1 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 ORDER BY "order_id", "nomenclature_id" ON CONFLICT ("order_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity" RETURNING "order_id", "nomenclature_id", "quantity"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced) UNION ALL (SELECT 'orders-to-suppliers'::text AS register, json_build_object('order_id', b."order_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text)::text AS after FROM balance_up_1 AS b JOIN (SELECT "order_id", "nomenclature_id" FROM delta_1 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0) AS k ON k."order_id" = b."order_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "order_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity" FROM new_1 GROUP BY "order_id", "nomenclature_id") AS own ON own."order_id" = b."order_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
doc AS (UPDATE "doc_goods_receipts" AS d SET date = $16::timestamptz, posted = $17::boolean, deletion_mark = $18::boolean, updated_at = now(), "supplier_id" = $19::bigint, "warehouse_id" = $20::bigint, "supplier_order_id" = $21::bigint, "comment" = $22::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $9::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_goods_receipts_lines" WHERE document_id = $9::bigint RETURNING 1),
lines AS (INSERT INTO "doc_goods_receipts_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($23::int[], $24::bigint[], $25::numeric(15,3)[], $26::numeric(15,2)[], $27::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $28::timestamptz, $29::bigint, $30::text, $31::text, $32::text, doc.id, doc.number, $33::jsonb, $34::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
