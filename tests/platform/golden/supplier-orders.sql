-- supplier-orders: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.order_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
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
-- $18: h.supplier_id
-- $19: h.warehouse_id
-- $20: h.quantity_total
-- $21: h.amount_total
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
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[]) AS n(line_no, period, record_type, "order_id", "nomenclature_id", "quantity")),
ins_0 AS (INSERT INTO "reg_orders_to_suppliers_movements" (recorder_kind, recorder_id, line_no, period, record_type, "order_id", "nomenclature_id", "quantity") SELECT $7::text, $8::bigint, line_no, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "order_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense" FROM (SELECT 1 AS sign, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_0) AS d GROUP BY 1, "order_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_orders_to_suppliers_month" AS t (month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "order_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense" FROM delta_0 GROUP BY 1, "order_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", month ON CONFLICT (month, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_orders_to_suppliers_day" AS t (day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", day ON CONFLICT (day, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
hist_0 AS (SELECT "order_id", "nomenclature_id", min(period) AS since FROM (SELECT "order_id", "nomenclature_id", period, sum(sum(record_type * "quantity")) OVER w AS "quantity" FROM (SELECT "order_id", "nomenclature_id", period, record_type, "quantity" FROM new_0) AS c GROUP BY "order_id", "nomenclature_id", period WINDOW w AS (PARTITION BY "order_id", "nomenclature_id" ORDER BY period)) AS d GROUP BY "order_id", "nomenclature_id" HAVING min("quantity") < 0),
balance_up_0 AS (INSERT INTO "reg_orders_to_suppliers_balance" AS t ("order_id", "nomenclature_id", "quantity") SELECT "order_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity" FROM delta_0 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR ("order_id", "nomenclature_id") IN (SELECT "order_id", "nomenclature_id" FROM hist_0) ORDER BY "order_id", "nomenclature_id" ON CONFLICT ("order_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity" RETURNING "order_id", "nomenclature_id", "quantity"),
now_0 AS (SELECT 'orders-to-suppliers'::text AS register, json_build_object('order_id', b."order_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "order_id", "nomenclature_id" FROM delta_0 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0) AS k ON k."order_id" = b."order_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "order_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity" FROM new_0 GROUP BY "order_id", "nomenclature_id") AS own ON own."order_id" = b."order_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'orders-to-suppliers'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_orders_to_suppliers_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('order_id', n."order_id", 'nomenclature_id', n."nomenclature_id", 'period', n.period, 'quantity', n.record_type * n."quantity")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $7::text, $9::text, $10::int, 1 WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_supplier_orders" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "supplier_id", "warehouse_id", "quantity_total", "amount_total", "comment") SELECT $8::bigint, $9::text || lpad(num.last::text, greatest(11 - length($9::text), 1, length(num.last::text)), '0'), $9::text, $10::int, $11::timestamptz, $12::text, $13::bigint, $14::bigint, $15::boolean, $16::boolean, $17::bigint, $18::bigint, $19::bigint, $20::numeric(15,3), $21::numeric(15,2), $22::varchar(500) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_supplier_orders_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($23::int[], $24::bigint[], $25::numeric(15,3)[], $26::numeric(15,2)[], $27::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $28::timestamptz, $29::bigint, $30::text, $31::text, $32::text, doc.id, doc.number, $33::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $34::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;

-- supplier-orders: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.order_id
-- $5: _0.nomenclature_id
-- $6: _0.quantity
-- $7: kind
-- $8: doc_id
-- $9: date
-- $10: posted
-- $11: deletion_mark
-- $12: h.organization_id
-- $13: h.supplier_id
-- $14: h.warehouse_id
-- $15: h.quantity_total
-- $16: h.amount_total
-- $17: h.comment
-- $18: l.line_no
-- $19: l.nomenclature_id
-- $20: l.quantity
-- $21: l.price
-- $22: l.amount
-- $23: row_0.at
-- $24: row_0.user_id
-- $25: row_0.username
-- $26: row_0.action
-- $27: row_0.object_kind
-- $28: row_0.changes
-- $29: row_0.address
WITH old_0 AS (DELETE FROM "reg_orders_to_suppliers_movements" WHERE recorder_kind = $7::text AND recorder_id = $8::bigint RETURNING period, record_type, "order_id", "nomenclature_id", "quantity"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[]) AS n(line_no, period, record_type, "order_id", "nomenclature_id", "quantity")),
ins_0 AS (INSERT INTO "reg_orders_to_suppliers_movements" (recorder_kind, recorder_id, line_no, period, record_type, "order_id", "nomenclature_id", "quantity") SELECT $7::text, $8::bigint, line_no, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "order_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense" FROM (SELECT 1 AS sign, period, record_type, "order_id", "nomenclature_id", "quantity" FROM new_0 UNION ALL SELECT -1, period, record_type, "order_id", "nomenclature_id", "quantity" FROM old_0) AS d GROUP BY 1, "order_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_orders_to_suppliers_month" AS t (month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT month, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "order_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense" FROM delta_0 GROUP BY 1, "order_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", month ON CONFLICT (month, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_orders_to_suppliers_day" AS t (day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT day, "order_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "order_id", "nomenclature_id", day ON CONFLICT (day, "order_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
hist_0 AS (SELECT "order_id", "nomenclature_id", min(period) AS since FROM (SELECT "order_id", "nomenclature_id", period, sum(sum(record_type * "quantity")) OVER w AS "quantity" FROM (SELECT "order_id", "nomenclature_id", period, record_type, "quantity" FROM new_0 UNION ALL SELECT "order_id", "nomenclature_id", period, -record_type, "quantity" FROM old_0) AS c GROUP BY "order_id", "nomenclature_id", period WINDOW w AS (PARTITION BY "order_id", "nomenclature_id" ORDER BY period)) AS d GROUP BY "order_id", "nomenclature_id" HAVING min("quantity") < 0),
balance_up_0 AS (INSERT INTO "reg_orders_to_suppliers_balance" AS t ("order_id", "nomenclature_id", "quantity") SELECT "order_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity" FROM delta_0 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR ("order_id", "nomenclature_id") IN (SELECT "order_id", "nomenclature_id" FROM hist_0) ORDER BY "order_id", "nomenclature_id" ON CONFLICT ("order_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity" RETURNING "order_id", "nomenclature_id", "quantity"),
now_0 AS (SELECT 'orders-to-suppliers'::text AS register, json_build_object('order_id', b."order_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "order_id", "nomenclature_id" FROM delta_0 GROUP BY "order_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0) AS k ON k."order_id" = b."order_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "order_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity" FROM new_0 GROUP BY "order_id", "nomenclature_id") AS own ON own."order_id" = b."order_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'orders-to-suppliers'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_orders_to_suppliers_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('order_id', n."order_id", 'nomenclature_id', n."nomenclature_id", 'period', n.period, 'quantity', n.record_type * n."quantity")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
doc AS (UPDATE "doc_supplier_orders" AS d SET date = $9::timestamptz, posted = $10::boolean, deletion_mark = $11::boolean, updated_at = now(), "organization_id" = $12::bigint, "supplier_id" = $13::bigint, "warehouse_id" = $14::bigint, "quantity_total" = $15::numeric(15,3), "amount_total" = $16::numeric(15,2), "comment" = $17::varchar(500) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $8::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_supplier_orders_lines" WHERE document_id = $8::bigint RETURNING 1),
lines AS (INSERT INTO "doc_supplier_orders_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."amount" FROM doc, unnest($18::int[], $19::bigint[], $20::numeric(15,3)[], $21::numeric(15,2)[], $22::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "amount"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $23::timestamptz, $24::bigint, $25::text, $26::text, $27::text, doc.id, doc.number, $28::jsonb, $29::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
