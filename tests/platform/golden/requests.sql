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
-- $1: date
-- $2: posted
-- $3: deletion_mark
-- $4: h.client_id
-- $5: h.doctor_id
-- $6: h.room_id
-- $7: h.equipment_id
-- $8: h.starts_at
-- $9: h.duration_minutes
-- $10: h.amocrm_lead_id
-- $11: h.visit_status_id
-- $12: h.comment
-- $13: h.ends_at
-- $14: h.group_capacity
-- $15: h.group_key
-- $16: doc_id
-- $17: l.line_no
-- $18: l.nomenclature_id
-- $19: l.quantity
-- $20: l.price
-- $21: row_0.at
-- $22: row_0.user_id
-- $23: row_0.username
-- $24: row_0.action
-- $25: row_0.object_kind
-- $26: row_0.changes
-- $27: row_0.address
WITH doc AS (UPDATE "doc_requests" AS d SET date = $1::timestamptz, posted = $2::boolean, deletion_mark = $3::boolean, updated_at = now(), "client_id" = $4::bigint, "doctor_id" = $5::bigint, "room_id" = $6::bigint, "equipment_id" = $7::bigint, "starts_at" = $8::timestamptz, "duration_minutes" = $9::integer, "amocrm_lead_id" = $10::bigint, "visit_status_id" = $11::bigint, "comment" = $12::varchar(500), "ends_at" = $13::timestamptz, "group_capacity" = $14::integer, "group_key" = $15::varchar(120) FROM (SELECT WHERE true) AS gate WHERE d.id = $16::bigint RETURNING d.id, d.number),
lines_gone AS (DELETE FROM "doc_requests_lines" WHERE document_id = $16::bigint RETURNING 1),
lines AS (INSERT INTO "doc_requests_lines" (document_id, line_no, "nomenclature_id", "quantity", "price") SELECT doc.id, u.line_no, u."nomenclature_id", u."quantity", u."price" FROM doc, unnest($17::int[], $18::bigint[], $19::numeric(15,3)[], $20::numeric(15,2)[]) AS u(line_no, "nomenclature_id", "quantity", "price"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $21::timestamptz, $22::bigint, $23::text, $24::text, $25::text, doc.id, doc.number, $26::jsonb, $27::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;
