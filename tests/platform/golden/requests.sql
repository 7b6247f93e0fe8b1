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
-- $13: h.starts_at
-- $14: h.duration_minutes
-- $15: h.amocrm_lead_id
-- $16: h.visit_status_id
-- $17: h.comment
-- $18: h.ends_at
-- $19: l.line_no
-- $20: l.nomenclature_id
-- $21: l.quantity
-- $22: l.price
-- $23: row_0.at
-- $24: row_0.user_id
-- $25: row_0.username
-- $26: row_0.action
-- $27: row_0.object_kind
-- $28: row_0.changes
-- $29: row_0.address
WITH num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $1::text, $2::text, $3::int, 1 WHERE true ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_requests" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "client_id", "doctor_id", "starts_at", "duration_minutes", "amocrm_lead_id", "visit_status_id", "comment", "ends_at") SELECT $4::bigint, $2::text || lpad(num.last::text, greatest(11 - length($2::text), 1, length(num.last::text)), '0'), $2::text, $3::int, $5::timestamptz, $6::text, $7::bigint, $8::bigint, $9::boolean, $10::boolean, $11::bigint, $12::bigint, $13::timestamptz, $14::integer, $15::bigint, $16::bigint, $17::varchar(500), $18::timestamptz FROM num RETURNING id, number),
lines AS (INSERT INTO "doc_requests_lines" (document_id, line_no, "nomenclature_id", "quantity", "price") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price" FROM doc, unnest($19::int[], $20::bigint[], $21::numeric(15,3)[], $22::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $23::timestamptz, $24::bigint, $25::text, $26::text, $27::text, doc.id, doc.number, $28::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $29::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;

-- requests: a posted document saved (re-posted)
-- $1: date
-- $2: posted
-- $3: deletion_mark
-- $4: h.client_id
-- $5: h.doctor_id
-- $6: h.starts_at
-- $7: h.duration_minutes
-- $8: h.amocrm_lead_id
-- $9: h.visit_status_id
-- $10: h.comment
-- $11: h.ends_at
-- $12: doc_id
-- $13: l.line_no
-- $14: l.nomenclature_id
-- $15: l.quantity
-- $16: l.price
-- $17: row_0.at
-- $18: row_0.user_id
-- $19: row_0.username
-- $20: row_0.action
-- $21: row_0.object_kind
-- $22: row_0.changes
-- $23: row_0.address
WITH doc AS (UPDATE "doc_requests" AS d SET date = $1::timestamptz, posted = $2::boolean, deletion_mark = $3::boolean, updated_at = now(), "client_id" = $4::bigint, "doctor_id" = $5::bigint, "starts_at" = $6::timestamptz, "duration_minutes" = $7::integer, "amocrm_lead_id" = $8::bigint, "visit_status_id" = $9::bigint, "comment" = $10::varchar(500), "ends_at" = $11::timestamptz FROM (SELECT WHERE true) AS gate WHERE d.id = $12::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_requests_lines" WHERE document_id = $12::bigint RETURNING 1),
lines AS (INSERT INTO "doc_requests_lines" (document_id, line_no, "nomenclature_id", "quantity", "price") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price" FROM doc, unnest($13::int[], $14::bigint[], $15::numeric(15,3)[], $16::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $17::timestamptz, $18::bigint, $19::text, $20::text, $21::text, doc.id, doc.number, $22::jsonb, $23::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;
