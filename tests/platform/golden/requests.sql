-- requests: a new document written and posted at once
-- $1: kind
-- $2: prefix
-- $3: year
-- $4: doc_id
-- $5: date
-- $6: based_on_kind
-- $7: based_on_id
-- $8: author_id
-- $9: posted
-- $10: deletion_mark
-- $11: h.client_id
-- $12: h.doctor_id
-- $13: h.room_id
-- $14: h.equipment_id
-- $15: h.starts_at
-- $16: h.duration_minutes
-- $17: h.amocrm_lead_id
-- $18: h.visit_status_id
-- $19: h.comment
-- $20: h.ends_at
-- $21: h.group_capacity
-- $22: h.group_key
-- $23: l.line_no
-- $24: l.nomenclature_id
-- $25: l.quantity
-- $26: l.price
-- $27: row_0.at
-- $28: row_0.user_id
-- $29: row_0.username
-- $30: row_0.action
-- $31: row_0.object_kind
-- $32: row_0.changes
-- $33: row_0.address
WITH num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $1::text, $2::text, $3::int, 1 WHERE true ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_requests" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "client_id", "doctor_id", "room_id", "equipment_id", "starts_at", "duration_minutes", "amocrm_lead_id", "visit_status_id", "comment", "ends_at", "group_capacity", "group_key") SELECT $4::bigint, $2::text || lpad(num.last::text, greatest(11 - length($2::text), 1, length(num.last::text)), '0'), $2::text, $3::int, $5::timestamptz, $6::text, $7::bigint, $8::bigint, $9::boolean, $10::boolean, $11::bigint, $12::bigint, $13::bigint, $14::bigint, $15::timestamptz, $16::integer, $17::bigint, $18::bigint, $19::varchar(500), $20::timestamptz, $21::integer, $22::varchar(120) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_requests_lines" (document_id, line_no, "nomenclature_id", "quantity", "price") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price" FROM doc, unnest($23::int[], $24::bigint[], $25::numeric(15,3)[], $26::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $27::timestamptz, $28::bigint, $29::text, $30::text, $31::text, doc.id, doc.number, $32::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $33::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;

-- requests: a posted document saved (re-posted)
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
-- $11: _1.line_no
-- $12: _1.period
-- $13: _1.record_type
-- $14: _1.request_id
-- $15: _1.warehouse_id
-- $16: _1.nomenclature_id
-- $17: _1.quantity
-- $18: date
-- $19: posted
-- $20: deletion_mark
-- $21: h.client_id
-- $22: h.doctor_id
-- $23: h.room_id
-- $24: h.equipment_id
-- $25: h.starts_at
-- $26: h.duration_minutes
-- $27: h.amocrm_lead_id
-- $28: h.visit_status_id
-- $29: h.comment
-- $30: h.ends_at
-- $31: h.group_capacity
-- $32: h.group_key
-- $33: l.line_no
-- $34: l.nomenclature_id
-- $35: l.quantity
-- $36: l.price
-- $37: row_0.at
-- $38: row_0.user_id
-- $39: row_0.username
-- $40: row_0.action
-- $41: row_0.object_kind
-- $42: row_0.changes
-- $43: row_0.address
WITH old_0 AS (DELETE FROM "reg_stock_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::bigint[], $6::numeric(15,3)[], $7::numeric(15,2)[], $8::numeric(15,3)[]) AS n(line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved")),
ins_0 AS (INSERT INTO "reg_stock_movements" (recorder_kind, recorder_id, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT $9::text, $10::bigint, line_no, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense", sum(CASE WHEN record_type = 1 THEN sign * "cost" ELSE 0 END) AS "cost_receipt", sum(CASE WHEN record_type = -1 THEN sign * "cost" ELSE 0 END) AS "cost_expense", sum(CASE WHEN record_type = 1 THEN sign * "reserved" ELSE 0 END) AS "reserved_receipt", sum(CASE WHEN record_type = -1 THEN sign * "reserved" ELSE 0 END) AS "reserved_expense" FROM (SELECT 1 AS sign, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM new_0 UNION ALL SELECT -1, period, record_type, "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved" FROM old_0) AS d GROUP BY 1, "warehouse_id", "nomenclature_id"),
month_up_0 AS (INSERT INTO "reg_stock_month" AS t (month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT month, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense", sum("cost_receipt") AS "cost_receipt", sum("cost_expense") AS "cost_expense", sum("reserved_receipt") AS "reserved_receipt", sum("reserved_expense") AS "reserved_expense" FROM delta_0 GROUP BY 1, "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_stock_day" AS t (day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense") SELECT day, "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense", "cost_receipt", "cost_expense", "reserved_receipt", "reserved_expense" FROM delta_0 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 OR "cost_receipt" <> 0 OR "cost_expense" <> 0 OR "reserved_receipt" <> 0 OR "reserved_expense" <> 0 ORDER BY "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense", "cost_receipt" = t."cost_receipt" + EXCLUDED."cost_receipt", "cost_expense" = t."cost_expense" + EXCLUDED."cost_expense", "reserved_receipt" = t."reserved_receipt" + EXCLUDED."reserved_receipt", "reserved_expense" = t."reserved_expense" + EXCLUDED."reserved_expense" RETURNING 1),
hist_0 AS (SELECT "warehouse_id", "nomenclature_id", min(period) AS since FROM (SELECT "warehouse_id", "nomenclature_id", period, sum(sum(record_type * "quantity")) OVER w AS "quantity" FROM (SELECT "warehouse_id", "nomenclature_id", period, record_type, "quantity" FROM new_0 UNION ALL SELECT "warehouse_id", "nomenclature_id", period, -record_type, "quantity" FROM old_0) AS c GROUP BY "warehouse_id", "nomenclature_id", period WINDOW w AS (PARTITION BY "warehouse_id", "nomenclature_id" ORDER BY period)) AS d GROUP BY "warehouse_id", "nomenclature_id" HAVING min("quantity") < 0),
balance_up_0 AS (INSERT INTO "reg_stock_balance" AS t ("warehouse_id", "nomenclature_id", "quantity", "cost", "reserved") SELECT "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity", sum("cost_receipt" - "cost_expense") AS "cost", sum("reserved_receipt" - "reserved_expense") AS "reserved" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR sum("cost_receipt" - "cost_expense") <> 0 OR sum("reserved_receipt" - "reserved_expense") <> 0 OR ("warehouse_id", "nomenclature_id") IN (SELECT "warehouse_id", "nomenclature_id" FROM hist_0) ORDER BY "warehouse_id", "nomenclature_id" ON CONFLICT ("warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity", "cost" = t."cost" + EXCLUDED."cost", "reserved" = t."reserved" + EXCLUDED."reserved" RETURNING "warehouse_id", "nomenclature_id", "quantity", "cost", "reserved"),
now_0 AS (SELECT 'stock'::text AS register, json_build_object('warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text, 'cost', b."cost"::text, 'reserved', b."reserved"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_0 AS b JOIN (SELECT "warehouse_id", "nomenclature_id" FROM delta_0 GROUP BY "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0 OR sum("cost_receipt" - "cost_expense") < 0 OR sum("reserved_receipt" - "reserved_expense") > 0 OR sum("cost_receipt" - "cost_expense") <> 0) AS k ON k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity", sum(-record_type * "cost") AS "cost", sum(record_type * "reserved") AS "reserved_held" FROM new_0 GROUP BY "warehouse_id", "nomenclature_id") AS own ON own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity" - b."reserved", greatest(coalesce(own."quantity", 0) + coalesce(own."reserved_held", 0), 0), NULL::text, false), ('cost', b."cost", greatest(coalesce(own."cost", 0), 0), NULL::text, false), ('cost', b."cost", 0::numeric, 'quantity'::text, b."quantity" = 0 AND b."cost" > 0)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_0 AS (SELECT 'stock'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_stock_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_0 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('warehouse_id', n."warehouse_id", 'nomenclature_id', n."nomenclature_id", 'period', n.period, 'quantity', n.record_type * n."quantity")), '[]') FROM new_0 AS n), 'written', (SELECT count(*) FROM ins_0) + (SELECT count(*) FROM balance_up_0))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_0)),
old_1 AS (DELETE FROM "reg_stock_reserves_movements" WHERE recorder_kind = $9::text AND recorder_id = $10::bigint RETURNING period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity"),
new_1 AS (SELECT * FROM unnest($11::integer[], $12::timestamptz[], $13::smallint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::numeric(15,3)[]) AS n(line_no, period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity")),
ins_1 AS (INSERT INTO "reg_stock_reserves_movements" (recorder_kind, recorder_id, line_no, period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity") SELECT $9::text, $10::bigint, line_no, period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity" FROM new_1 RETURNING 1),
delta_1 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "request_id", "warehouse_id", "nomenclature_id", sum(CASE WHEN record_type = 1 THEN sign * "quantity" ELSE 0 END) AS "quantity_receipt", sum(CASE WHEN record_type = -1 THEN sign * "quantity" ELSE 0 END) AS "quantity_expense" FROM (SELECT 1 AS sign, period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity" FROM new_1 UNION ALL SELECT -1, period, record_type, "request_id", "warehouse_id", "nomenclature_id", "quantity" FROM old_1) AS d GROUP BY 1, "request_id", "warehouse_id", "nomenclature_id"),
month_up_1 AS (INSERT INTO "reg_stock_reserves_month" AS t (month, "request_id", "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT month, "request_id", "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "request_id", "warehouse_id", "nomenclature_id", sum("quantity_receipt") AS "quantity_receipt", sum("quantity_expense") AS "quantity_expense" FROM delta_1 GROUP BY 1, "request_id", "warehouse_id", "nomenclature_id") AS dm WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "request_id", "warehouse_id", "nomenclature_id", month ON CONFLICT (month, "request_id", "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
day_up_1 AS (INSERT INTO "reg_stock_reserves_day" AS t (day, "request_id", "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense") SELECT day, "request_id", "warehouse_id", "nomenclature_id", "quantity_receipt", "quantity_expense" FROM delta_1 WHERE "quantity_receipt" <> 0 OR "quantity_expense" <> 0 ORDER BY "request_id", "warehouse_id", "nomenclature_id", day ON CONFLICT (day, "request_id", "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity_receipt" = t."quantity_receipt" + EXCLUDED."quantity_receipt", "quantity_expense" = t."quantity_expense" + EXCLUDED."quantity_expense" RETURNING 1),
hist_1 AS (SELECT "request_id", "warehouse_id", "nomenclature_id", min(period) AS since FROM (SELECT "request_id", "warehouse_id", "nomenclature_id", period, sum(sum(record_type * "quantity")) OVER w AS "quantity" FROM (SELECT "request_id", "warehouse_id", "nomenclature_id", period, record_type, "quantity" FROM new_1 UNION ALL SELECT "request_id", "warehouse_id", "nomenclature_id", period, -record_type, "quantity" FROM old_1) AS c GROUP BY "request_id", "warehouse_id", "nomenclature_id", period WINDOW w AS (PARTITION BY "request_id", "warehouse_id", "nomenclature_id" ORDER BY period)) AS d GROUP BY "request_id", "warehouse_id", "nomenclature_id" HAVING min("quantity") < 0),
balance_up_1 AS (INSERT INTO "reg_stock_reserves_balance" AS t ("request_id", "warehouse_id", "nomenclature_id", "quantity") SELECT "request_id", "warehouse_id", "nomenclature_id", sum("quantity_receipt" - "quantity_expense") AS "quantity" FROM delta_1 GROUP BY "request_id", "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") <> 0 OR ("request_id", "warehouse_id", "nomenclature_id") IN (SELECT "request_id", "warehouse_id", "nomenclature_id" FROM hist_1) ORDER BY "request_id", "warehouse_id", "nomenclature_id" ON CONFLICT ("request_id", "warehouse_id", "nomenclature_id") DO UPDATE SET "quantity" = t."quantity" + EXCLUDED."quantity" RETURNING "request_id", "warehouse_id", "nomenclature_id", "quantity"),
now_1 AS (SELECT 'stock-reserves'::text AS register, json_build_object('request_id', b."request_id", 'warehouse_id', b."warehouse_id", 'nomenclature_id', b."nomenclature_id")::text AS dims, x.resource::text AS resource, x.balance, x.required, x.zero_with, json_build_object('quantity', b."quantity"::text)::text AS after, NULL::timestamptz AS moment, NULL::text AS zone FROM balance_up_1 AS b JOIN (SELECT "request_id", "warehouse_id", "nomenclature_id" FROM delta_1 GROUP BY "request_id", "warehouse_id", "nomenclature_id" HAVING sum("quantity_receipt" - "quantity_expense") < 0) AS k ON k."request_id" = b."request_id" AND k."warehouse_id" = b."warehouse_id" AND k."nomenclature_id" = b."nomenclature_id" LEFT JOIN (SELECT "request_id", "warehouse_id", "nomenclature_id", sum(-record_type * "quantity") AS "quantity" FROM new_1 GROUP BY "request_id", "warehouse_id", "nomenclature_id") AS own ON own."request_id" = b."request_id" AND own."warehouse_id" = b."warehouse_id" AND own."nomenclature_id" = b."nomenclature_id" CROSS JOIN LATERAL (VALUES ('quantity', b."quantity", greatest(coalesce(own."quantity", 0), 0), NULL::text, false)) AS x(resource, balance, required, zero_with, misplaced) WHERE (x.zero_with IS NULL AND x.balance < 0) OR x.misplaced),
past_1 AS (SELECT 'stock-reserves'::text AS register, x.dims, x.resource, x.balance, x.required, NULL::text AS zero_with, x.after, x.moment, 'Europe/Moscow'::text AS zone FROM "reg_stock_reserves_history"(json_build_object('keys', (SELECT coalesce(json_agg(h), '[]') FROM hist_1 AS h), 'own', (SELECT coalesce(json_agg(json_build_object('request_id', n."request_id", 'warehouse_id', n."warehouse_id", 'nomenclature_id', n."nomenclature_id", 'period', n.period, 'quantity', n.record_type * n."quantity")), '[]') FROM new_1 AS n), 'written', (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_1))) AS x(dims text, resource text, balance numeric, required numeric, after text, moment timestamptz) WHERE EXISTS (SELECT FROM hist_1)),
short AS ((SELECT * FROM now_0 UNION ALL SELECT * FROM past_0 AS l WHERE NOT EXISTS (SELECT FROM now_0 AS n WHERE n.dims = l.dims AND n.resource = l.resource)) UNION ALL (SELECT * FROM now_1 UNION ALL SELECT * FROM past_1 AS l WHERE NOT EXISTS (SELECT FROM now_1 AS n WHERE n.dims = l.dims AND n.resource = l.resource))),
doc AS (UPDATE "doc_requests" AS d SET date = $18::timestamptz, posted = $19::boolean, deletion_mark = $20::boolean, updated_at = now(), "client_id" = $21::bigint, "doctor_id" = $22::bigint, "room_id" = $23::bigint, "equipment_id" = $24::bigint, "starts_at" = $25::timestamptz, "duration_minutes" = $26::integer, "amocrm_lead_id" = $27::bigint, "visit_status_id" = $28::bigint, "comment" = $29::varchar(500), "ends_at" = $30::timestamptz, "group_capacity" = $31::integer, "group_key" = $32::varchar(120) FROM (SELECT WHERE CASE WHEN ((SELECT count(*) FROM balance_up_1) + (SELECT count(*) FROM day_up_1) + (SELECT count(*) FROM month_up_1) + (SELECT count(*) FROM ins_1) + (SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 THEN NOT EXISTS (SELECT FROM short) ELSE false END) AS gate WHERE d.id = $10::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_requests_lines" WHERE document_id = $10::bigint RETURNING 1),
lines AS (INSERT INTO "doc_requests_lines" (document_id, line_no, "nomenclature_id", "quantity", "price") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price" FROM doc, unnest($33::int[], $34::bigint[], $35::numeric(15,3)[], $36::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $37::timestamptz, $38::bigint, $39::text, $40::text, $41::text, doc.id, doc.number, $42::jsonb, $43::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number, erp_balance_shortage((SELECT json_agg(json_build_array(s.register, s.dims, s.resource, s.balance::text, s.required::text, s.zero_with, s.after, s.moment, s.zone) ORDER BY s.register, s.dims, s.resource) FROM short AS s)) AS short;
