-- inventory-counts: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.warehouse_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
-- $7: _0.cost
-- $8: _0.reserved
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
-- $20: h.warehouse_id
-- $21: h.responsible
-- $22: h.comment
-- $23: l.line_no
-- $24: l.nomenclature_id
-- $25: l.book_quantity
-- $26: l.book_cost
-- $27: l.quantity
-- $28: l.difference
-- $29: l.price
-- $30: l.cost
-- $31: row_0.at
-- $32: row_0.user_id
-- $33: row_0.username
-- $34: row_0.action
-- $35: row_0.object_kind
-- $36: row_0.changes
-- $37: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[], $8::numeric(15,3)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT $9::text, $10::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense", sum(CASE WHEN record_type = 1 THEN sign * "reserved" ELSE 0 END) AS "reserved_receipt", sum(CASE WHEN record_type = -1 THEN sign * "reserved" ELSE 0 END) AS "reserved_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense", sum("reserved_receipt") AS "reserved_receipt", sum("reserved_expense") AS "reserved_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost", sum("reserved_receipt" - "reserved_expense") AS "reserved" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 OR sum("reserved_receipt" - "reserved_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost", "reserved" = t."reserved" + EXCLUDED."reserved" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text, 'reserved', b."reserved"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("reserved_receipt" - "reserved_expense") > 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost", sum(record_type * "reserved") AS "reserved_held" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity" - b."reserved", greatest(coalesce(own."quantity", 0) + coalesce(own."reserved_held", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $9::text, $11::text, $12::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_inventory_counts" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "warehouse_id", "responsible", "comment") SELECT $10::bigint, $11::text || lpad(num.last::text, greatest(11 - length($11::text), 1, length(num.last::text)), '0'), $11::text, $12::int, $13::timestamptz, $14::text, $15::bigint, $16::bigint, $17::boolean, $18::boolean, $19::bigint, $20::bigint, $21::varchar(200), $22::varchar(500) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_inventory_counts_lines" (document_id, line_no, "nomenclature_id", "book_quantity", "book_cost", "quantity", "difference", "price", "cost") SELECT doc.id, u.line_no, u."nomenclature_id", u."book_quantity", u."book_cost", u."quantity", u."difference", u."price", u."cost" FROM doc, unnest($23::int[], $24::bigint[], $25::numeric(15,3)[], $26::numeric(15,2)[], $27::numeric(15,3)[], $28::numeric(15,3)[], $29::numeric(15,2)[], $30::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "book_quantity", "book_cost", "quantity", "difference", "price", "cost")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $31::timestamptz, $32::bigint, $33::text, $34::text, $35::text, doc.id, doc.number, $36::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $37::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- inventory-counts: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.warehouse_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
-- $7: _0.cost
-- $8: _0.reserved
-- $9: kind
-- $10: doc_id
-- $11: date
-- $12: posted
-- $13: deletion_mark
-- $14: h.organization_id
-- $15: h.warehouse_id
-- $16: h.responsible
-- $17: h.comment
-- $18: l.line_no
-- $19: l.nomenclature_id
-- $20: l.book_quantity
-- $21: l.book_cost
-- $22: l.quantity
-- $23: l.difference
-- $24: l.price
-- $25: l.cost
-- $26: row_0.at
-- $27: row_0.user_id
-- $28: row_0.username
-- $29: row_0.action
-- $30: row_0.object_kind
-- $31: row_0.changes
-- $32: row_0.address
WITH old_0 AS (DELETE FROM "reg_stock_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[], $8::numeric(15,3)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT $9::text, $10::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense", sum(CASE WHEN record_type = 1 THEN sign * "reserved" ELSE 0 END) AS "reserved_receipt", sum(CASE WHEN record_type = -1 THEN sign * "reserved" ELSE 0 END) AS "reserved_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0 UNION ALL SELECT -1, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM old_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense", sum("reserved_receipt") AS "reserved_receipt", sum("reserved_expense") AS "reserved_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost", sum("reserved_receipt" - "reserved_expense") AS "reserved" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 OR sum("reserved_receipt" - "reserved_expense") <> 0 ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost", "reserved" = t."reserved" + EXCLUDED."reserved" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved"),
short AS ((SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text, 'reserved', b."reserved"::text)::text AS after FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("reserved_receipt" - "reserved_expense") > 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost", sum(record_type * "reserved") AS "reserved_held" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity" - b."reserved", greatest(coalesce(own."quantity", 0) + coalesce(own."reserved_held", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced)),
doc AS (UPDATE "doc_inventory_counts" AS d SET date = $11::timestamptz, posted = $12::boolean, deletion_mark = $13::boolean, updated_at = now(), "organization_id" = $14::bigint, "warehouse_id" = $15::bigint, "responsible" = $16::varchar(200), "comment" = $17::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $10::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_inventory_counts_lines" WHERE document_id = $10::bigint RETURNING 1),
lines AS (INSERT INTO "doc_inventory_counts_lines" (document_id, line_no, "nomenclature_id", "book_quantity", "book_cost", "quantity", "difference", "price", "cost") SELECT doc.id, u.line_no, u."nomenclature_id", u."book_quantity", u."book_cost", u."quantity", u."difference", u."price", u."cost" FROM doc, unnest($18::int[], $19::bigint[], $20::numeric(15,3)[], $21::numeric(15,2)[], $22::numeric(15,3)[], $23::numeric(15,3)[], $24::numeric(15,2)[], $25::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "book_quantity", "book_cost", "quantity", "difference", "price", "cost"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $26::timestamptz, $27::bigint, $28::text, $29::text, $30::text, doc.id, doc.number, $31::jsonb, $32::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
