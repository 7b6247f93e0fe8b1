-- resource-schedules: a new document written and posted at once
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
-- $11: h.month
-- $12: h.comment
-- $13: _i0.line_no
-- $14: _i0.resource_id
-- $15: _i0.day
-- $16: _i0.start_time
-- $17: _i0.end_time
-- $18: _i0.period
-- $19: l.line_no
-- $20: l.resource_id
-- $21: l.day
-- $22: l.start
-- $23: l.end
-- $24: row_0.at
-- $25: row_0.user_id
-- $26: row_0.username
-- $27: row_0.action
-- $28: row_0.object_kind
-- $29: row_0.changes
-- $30: row_0.address
WITH num AS (INSERT INTO document_counters (kind, prefix, year, last) SELECT $1::text, $2::text, $3::int, 1 WHERE true ON CONFLICT (kind, prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last),
doc AS (INSERT INTO "doc_resource_schedules" ("id", "number", "number_prefix", "number_year", "date", "based_on_kind", "based_on_id", "author_id", "posted", "deletion_mark", "month", "comment") SELECT $4::bigint, $2::text || lpad(num.last::text, greatest(11 - length($2::text), 1, length(num.last::text)), '0'), $2::text, $3::int, $5::timestamptz, $6::text, $7::bigint, $8::bigint, $9::boolean, $10::boolean, $11::date, $12::varchar(500) FROM num RETURNING id, number),
gone_i0 AS (DELETE FROM "inf_resource_schedule" WHERE recorder_kind = $1::text AND recorder_id = $4::bigint RETURNING 1),
info_i0 AS (INSERT INTO "inf_resource_schedule" (recorder_kind, recorder_id, line_no, period, order_key, "resource_id", "day", "start_time", "end_time") SELECT $1::text, $4::bigint, n.line_no, $18::timestamptz, coalesce(nullif(regexp_replace(doc.number, '[^0-9]', '', 'g'), ''), '0')::bigint, n."resource_id", n."day", n."start_time", n."end_time" FROM doc, unnest($13::integer[], $14::bigint[], $15::date[], $16::time[], $17::time[]) AS n(line_no, "resource_id", "day", "start_time", "end_time") CROSS JOIN (SELECT count(*) FROM gone_i0) AS g RETURNING 1),
lines AS (INSERT INTO "doc_resource_schedules_lines" (document_id, line_no, "resource_id", "day", "start", "end") SELECT doc.id, u.line_no, u."resource_id", u."day", u."start", u."end" FROM doc, unnest($19::int[], $20::bigint[], $21::date[], $22::time[], $23::time[]) AS u(line_no, "resource_id", "day", "start", "end")),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $24::timestamptz, $25::bigint, $26::text, $27::text, $28::text, doc.id, doc.number, $29::jsonb || jsonb_build_object('number', jsonb_build_array(NULL, doc.number)), $30::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;

-- resource-schedules: a posted document saved (re-posted)
-- $1: date
-- $2: posted
-- $3: deletion_mark
-- $4: h.month
-- $5: h.comment
-- $6: doc_id
-- $7: _i0.line_no
-- $8: _i0.resource_id
-- $9: _i0.day
-- $10: _i0.start_time
-- $11: _i0.end_time
-- $12: _i0.period
-- $13: kind
-- $14: l.line_no
-- $15: l.resource_id
-- $16: l.day
-- $17: l.start
-- $18: l.end
-- $19: row_0.at
-- $20: row_0.user_id
-- $21: row_0.username
-- $22: row_0.action
-- $23: row_0.object_kind
-- $24: row_0.changes
-- $25: row_0.address
WITH doc AS (UPDATE "doc_resource_schedules" AS d SET date = $1::timestamptz, posted = $2::boolean, deletion_mark = $3::boolean, updated_at = now(), "month" = $4::date, "comment" = $5::varchar(500) FROM (SELECT WHERE true) AS gate WHERE d.id = $6::bigint RETURNING d.id, d.number),
gone_i0 AS (DELETE FROM "inf_resource_schedule" WHERE recorder_kind = $13::text AND recorder_id = $6::bigint RETURNING 1),
info_i0 AS (INSERT INTO "inf_resource_schedule" (recorder_kind, recorder_id, line_no, period, order_key, "resource_id", "day", "start_time", "end_time") SELECT $13::text, $6::bigint, n.line_no, $12::timestamptz, coalesce(nullif(regexp_replace(doc.number, '[^0-9]', '', 'g'), ''), '0')::bigint, n."resource_id", n."day", n."start_time", n."end_time" FROM doc, unnest($7::integer[], $8::bigint[], $9::date[], $10::time[], $11::time[]) AS n(line_no, "resource_id", "day", "start_time", "end_time") CROSS JOIN (SELECT count(*) FROM gone_i0) AS g RETURNING 1),
lines_gone AS (DELETE FROM "doc_resource_schedules_lines" WHERE document_id = $6::bigint RETURNING 1),
lines AS (INSERT INTO "doc_resource_schedules_lines" (document_id, line_no, "resource_id", "day", "start", "end") SELECT doc.id, u.line_no, u."resource_id", u."day", u."start", u."end" FROM doc, unnest($14::int[], $15::bigint[], $16::date[], $17::time[], $18::time[]) AS u(line_no, "resource_id", "day", "start", "end"), (SELECT count(*) FROM lines_gone) AS g),
row_0 AS (INSERT INTO "audit_log" ("at", "user_id", "username", "action", "object_kind", "object_id", "presentation", "changes", "address") SELECT $19::timestamptz, $20::bigint, $21::text, $22::text, $23::text, doc.id, doc.number, $24::jsonb, $25::text FROM doc RETURNING 1)
SELECT (SELECT number FROM doc) AS number;
