-- invoices: a new document written and posted at once
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.invoice_id
-- $5: _0.amount
-- $6: kind
-- $7: doc_id
-- $8: prefix
-- $9: year
-- $10: date
-- $11: based_on_kind
-- $12: based_on_id
-- $13: author_id
-- $14: posted
-- $15: deletion_mark
-- $16: h.organization_id
-- $17: h.bank_account_id
-- $18: h.client_id
-- $19: h.due_date
-- $20: h.amocrm_lead_id
-- $21: h.comment
-- $22: h.amount_total
-- $23: h.vat_total
-- $24: l.line_no
-- $25: l.nomenclature_id
-- $26: l.quantity
-- $27: l.price
-- $28: l.discount_percent
-- $29: l.discount_amount
-- $30: l.vat_rate
-- $31: l.vat_amount
-- $32: l.amount
-- $33: row_0.at
-- $34: row_0.user_id
-- $35: row_0.username
-- $36: row_0.action
-- $37: row_0.object_kind
-- $38: row_0.changes
-- $39: row_0.address
WITH new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::numeric(15,2)[]) AS n(line_no, period, record_type, "invoice_id", "amount")),
ins_0 AS (INSERT INTO "reg_invoice_payments_movements" (recorder_kind, recorder_id, line_no, period, record_type, "invoice_id", "amount") SELECT $6::text, $7::bigint, line_no, period, record_type, "invoice_id", "amount" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "invoice_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "invoice_id", "amount" FROM new_0) AS d GROUP BY 1, "invoice_id"),
month_up_0 AS (INSERT INTO "reg_invoice_payments_month" AS t (month, "invoice_id", "amount_receipt", "amount_expense") SELECT month, "invoice_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "invoice_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "invoice_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", month ON CONFLICT (month, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_invoice_payments_day" AS t (day, "invoice_id", "amount_receipt", "amount_expense") SELECT day, "invoice_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", day ON CONFLICT (day, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_invoice_payments_balance" AS t ("invoice_id", "amount") SELECT "invoice_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "invoice_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "invoice_id" ON CONFLICT ("invoice_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "invoice_id", "amount"),
num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $6::text, $8::text, $9::int, 1 WHERE ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0 ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_invoices" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "organization_id", "bank_account_id", "client_id", "due_date", "amocrm_lead_id", "comment", "amount_total", "vat_total") SELECT $7::bigint, $8::text || lpad(num.last::text, greatest(11 - length($8::text), 1, length(num.last::text)), '0'), $8::text, $9::int, $10::timestamptz, $11::text, $12::bigint, $13::bigint, $14::boolean, $15::boolean, $16::bigint, $17::bigint, $18::bigint, $19::date, $20::bigint, $21::varchar(500), $22::numeric(15,2), $23::numeric(15,2) FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_invoices_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "vat_rate", "vat_amount", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."discount_percent", u."discount_amount", u."vat_rate", u."vat_amount", u."amount" FROM doc, unnest($24::int[], $25::bigint[], $26::numeric(15,3)[], $27::numeric(15,2)[], $28::numeric(7,4)[], $29::numeric(15,2)[], $30::varchar(250)[], $31::numeric(15,2)[], $32::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "vat_rate", "vat_amount", "amount")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $33::timestamptz, $34::bigint, $35::text, $36::text, $37::text, doc.id, doc.number, $38::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $39::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;

-- invoices: a posted document saved (re-posted)
-- $1: _0.line_no
-- $2: _0.period
-- $3: _0.record_type
-- $4: _0.invoice_id
-- $5: _0.amount
-- $6: kind
-- $7: doc_id
-- $8: date
-- $9: posted
-- $10: deletion_mark
-- $11: h.organization_id
-- $12: h.bank_account_id
-- $13: h.client_id
-- $14: h.due_date
-- $15: h.amocrm_lead_id
-- $16: h.comment
-- $17: h.amount_total
-- $18: h.vat_total
-- $19: l.line_no
-- $20: l.nomenclature_id
-- $21: l.quantity
-- $22: l.price
-- $23: l.discount_percent
-- $24: l.discount_amount
-- $25: l.vat_rate
-- $26: l.vat_amount
-- $27: l.amount
-- $28: row_0.at
-- $29: row_0.user_id
-- $30: row_0.username
-- $31: row_0.action
-- $32: row_0.object_kind
-- $33: row_0.changes
-- $34: row_0.address
WITH old_0 AS (DELETE FROM "reg_invoice_payments_movements" WHERE recorder_kind = $6::text AND recorder_id = $7::bigint RETURNING period, record_type, "invoice_id", "amount"),
new_0 AS (SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::numeric(15,2)[]) AS n(line_no, period, record_type, "invoice_id", "amount")),
ins_0 AS (INSERT INTO "reg_invoice_payments_movements" (recorder_kind, recorder_id, line_no, period, record_type, "invoice_id", "amount") SELECT $6::text, $7::bigint, line_no, period, record_type, "invoice_id", "amount" FROM new_0 RETURNING 1),
delta_0 AS (SELECT (date_trunc('day', period AT TIME ZONE 'Europe/Moscow'))::date AS day, "invoice_id", sum(CASE WHEN record_type = 1 THEN sign * "amount" ELSE 0 END) AS "amount_receipt", sum(CASE WHEN record_type = -1 THEN sign * "amount" ELSE 0 END) AS "amount_expense" FROM (SELECT 1 AS sign, period, record_type, "invoice_id", "amount" FROM new_0 UNION ALL SELECT -1, period, record_type, "invoice_id", "amount" FROM old_0) AS d GROUP BY 1, "invoice_id"),
month_up_0 AS (INSERT INTO "reg_invoice_payments_month" AS t (month, "invoice_id", "amount_receipt", "amount_expense") SELECT month, "invoice_id", "amount_receipt", "amount_expense" FROM (SELECT (date_trunc('month', day))::date AS month, "invoice_id", sum("amount_receipt") AS "amount_receipt", sum("amount_expense") AS "amount_expense" FROM delta_0 GROUP BY 1, "invoice_id") AS dm WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", month ON CONFLICT (month, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
day_up_0 AS (INSERT INTO "reg_invoice_payments_day" AS t (day, "invoice_id", "amount_receipt", "amount_expense") SELECT day, "invoice_id", "amount_receipt", "amount_expense" FROM delta_0 WHERE "amount_receipt" <> 0 OR "amount_expense" <> 0 ORDER BY "invoice_id", day ON CONFLICT (day, "invoice_id") DO UPDATE SET "amount_receipt" = t."amount_receipt" + EXCLUDED."amount_receipt", "amount_expense" = t."amount_expense" + EXCLUDED."amount_expense" RETURNING 1),
balance_up_0 AS (INSERT INTO "reg_invoice_payments_balance" AS t ("invoice_id", "amount") SELECT "invoice_id", sum("amount_receipt" - "amount_expense") AS "amount" FROM delta_0 GROUP BY "invoice_id" HAVING sum("amount_receipt" - "amount_expense") <> 0 ORDER BY "invoice_id" ON CONFLICT ("invoice_id") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount" RETURNING "invoice_id", "amount"),
doc AS (UPDATE "doc_invoices" AS d SET date = $8::timestamptz, posted = $9::boolean, deletion_mark = $10::boolean, updated_at = now(), "organization_id" = $11::bigint, "bank_account_id" = $12::bigint, "client_id" = $13::bigint, "due_date" = $14::date, "amocrm_lead_id" = $15::bigint, "comment" = $16::varchar(500), "amount_total" = $17::numeric(15,2), "vat_total" = $18::numeric(15,2) FROM (SELECT WHERE ((SELECT count(*) FROM balance_up_0) + (SELECT count(*) FROM day_up_0) + (SELECT count(*) FROM month_up_0) + (SELECT count(*) FROM ins_0)) >= 0) AS gate WHERE d.id = $7::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_invoices_lines" WHERE document_id = $7::bigint RETURNING 1),
lines AS (INSERT INTO "doc_invoices_lines" (document_id, line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "vat_rate", "vat_amount", "amount") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price", u."discount_percent", u."discount_amount", u."vat_rate", u."vat_amount", u."amount" FROM doc, unnest($19::int[], $20::bigint[], $21::numeric(15,3)[], $22::numeric(15,2)[], $23::numeric(7,4)[], $24::numeric(15,2)[], $25::varchar(250)[], $26::numeric(15,2)[], $27::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "vat_rate", "vat_amount", "amount"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $28::timestamptz, $29::bigint, $30::text, $31::text, $32::text, doc.id, doc.number, $33::jsonb, $34::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;
