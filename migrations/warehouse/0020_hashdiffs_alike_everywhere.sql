-- Hashdiffs mean the same wherever they are computed. A source whose text has other bytes than the
-- warehouse's (another encoding: WIN1251, say) or hashes text by collation key (a nondeterministic
-- collation) no longer computes them: the delta steps ask its catalog, through the two foreign tables
-- below, and hash its rows in the warehouse instead (source_hashes_as_warehouse in
-- transforms/macros.sql). Hashdiffs stored before were computed by such a source for every row a later
-- run wrote, so each stored one is computed again here, from the attributes the vault holds, with the
-- expression of the hashdiff macro (written out: the two must stay the same; a test compares them).
-- Only rows whose hashdiff differs are written: over a UTF8 source, none.
-- depends: 0018_staging_without_autovacuum

CREATE FOREIGN TABLE source.server_settings (
    name    text,
    setting text
) SERVER source_db OPTIONS (schema_name 'pg_catalog', table_name 'pg_settings');

CREATE FOREIGN TABLE source.server_collations (
    collname            name,
    collisdeterministic boolean
) SERVER source_db OPTIONS (schema_name 'pg_catalog', table_name 'pg_collation');

GRANT SELECT ON source.server_settings, source.server_collations TO pipeline_runner;

UPDATE vault.s_course AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN icon_url IS NULL THEN 2 ELSE hashtextextended(icon_url, 2) END
           # CASE WHEN is_auto_course_enroll IS NULL THEN 3 ELSE hashint4extended(is_auto_course_enroll::integer, 3) END
           # CASE WHEN is_demo_enroll IS NULL THEN 4 ELSE hashint4extended(is_demo_enroll::integer, 4) END
           # CASE WHEN created_at IS NULL THEN 5 ELSE timestamp_hash_extended(created_at, 5) END
           # CASE WHEN updated_at IS NULL THEN 6 ELSE timestamp_hash_extended(updated_at, 6) END
           # CASE WHEN deleted_at IS NULL THEN 7 ELSE timestamp_hash_extended(deleted_at, 7) END AS hashdiff
    FROM vault.s_course
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.cur_course AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN icon_url IS NULL THEN 2 ELSE hashtextextended(icon_url, 2) END
           # CASE WHEN is_auto_course_enroll IS NULL THEN 3 ELSE hashint4extended(is_auto_course_enroll::integer, 3) END
           # CASE WHEN is_demo_enroll IS NULL THEN 4 ELSE hashint4extended(is_demo_enroll::integer, 4) END
           # CASE WHEN created_at IS NULL THEN 5 ELSE timestamp_hash_extended(created_at, 5) END
           # CASE WHEN updated_at IS NULL THEN 6 ELSE timestamp_hash_extended(updated_at, 6) END
           # CASE WHEN deleted_at IS NULL THEN 7 ELSE timestamp_hash_extended(deleted_at, 7) END AS hashdiff
    FROM vault.cur_course
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.s_stream AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN name IS NULL THEN 1 ELSE hashtextextended(name, 1) END
           # CASE WHEN is_open IS NULL THEN 2 ELSE hashint4extended(is_open::integer, 2) END
           # CASE WHEN homework_deadline_days IS NULL THEN 3 ELSE hashint4extended(homework_deadline_days, 3) END
           # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
           # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
           # CASE WHEN created_at IS NULL THEN 6 ELSE timestamp_hash_extended(created_at, 6) END
           # CASE WHEN updated_at IS NULL THEN 7 ELSE timestamp_hash_extended(updated_at, 7) END
           # CASE WHEN deleted_at IS NULL THEN 8 ELSE timestamp_hash_extended(deleted_at, 8) END AS hashdiff
    FROM vault.s_stream
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.cur_stream AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN name IS NULL THEN 1 ELSE hashtextextended(name, 1) END
           # CASE WHEN is_open IS NULL THEN 2 ELSE hashint4extended(is_open::integer, 2) END
           # CASE WHEN homework_deadline_days IS NULL THEN 3 ELSE hashint4extended(homework_deadline_days, 3) END
           # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
           # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
           # CASE WHEN created_at IS NULL THEN 6 ELSE timestamp_hash_extended(created_at, 6) END
           # CASE WHEN updated_at IS NULL THEN 7 ELSE timestamp_hash_extended(updated_at, 7) END
           # CASE WHEN deleted_at IS NULL THEN 8 ELSE timestamp_hash_extended(deleted_at, 8) END AS hashdiff
    FROM vault.cur_stream
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.s_module AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN order_in_stream IS NULL THEN 2 ELSE hashint4extended(order_in_stream, 2) END
           # CASE WHEN created_at IS NULL THEN 3 ELSE timestamp_hash_extended(created_at, 3) END
           # CASE WHEN updated_at IS NULL THEN 4 ELSE timestamp_hash_extended(updated_at, 4) END
           # CASE WHEN deleted_at IS NULL THEN 5 ELSE timestamp_hash_extended(deleted_at, 5) END AS hashdiff
    FROM vault.s_module
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.cur_module AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN order_in_stream IS NULL THEN 2 ELSE hashint4extended(order_in_stream, 2) END
           # CASE WHEN created_at IS NULL THEN 3 ELSE timestamp_hash_extended(created_at, 3) END
           # CASE WHEN updated_at IS NULL THEN 4 ELSE timestamp_hash_extended(updated_at, 4) END
           # CASE WHEN deleted_at IS NULL THEN 5 ELSE timestamp_hash_extended(deleted_at, 5) END AS hashdiff
    FROM vault.cur_module
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.s_lesson AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN description IS NULL THEN 2 ELSE hashtextextended(description, 2) END
           # CASE WHEN teacher_id IS NULL THEN 3 ELSE hashint4extended(teacher_id, 3) END
           # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
           # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
           # CASE WHEN homework_url IS NULL THEN 6 ELSE hashtextextended(homework_url, 6) END
           # CASE WHEN online_lesson_join_url IS NULL THEN 7 ELSE hashtextextended(online_lesson_join_url, 7) END
           # CASE WHEN online_lesson_recording_url IS NULL THEN 8 ELSE hashtextextended(online_lesson_recording_url, 8) END
           # CASE WHEN deleted_at IS NULL THEN 9 ELSE timestamp_hash_extended(deleted_at, 9) END AS hashdiff
    FROM vault.s_lesson
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;

UPDATE vault.cur_lesson AS t SET hashdiff = new.hashdiff
FROM (
    SELECT ctid,
           CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
           # CASE WHEN description IS NULL THEN 2 ELSE hashtextextended(description, 2) END
           # CASE WHEN teacher_id IS NULL THEN 3 ELSE hashint4extended(teacher_id, 3) END
           # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
           # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
           # CASE WHEN homework_url IS NULL THEN 6 ELSE hashtextextended(homework_url, 6) END
           # CASE WHEN online_lesson_join_url IS NULL THEN 7 ELSE hashtextextended(online_lesson_join_url, 7) END
           # CASE WHEN online_lesson_recording_url IS NULL THEN 8 ELSE hashtextextended(online_lesson_recording_url, 8) END
           # CASE WHEN deleted_at IS NULL THEN 9 ELSE timestamp_hash_extended(deleted_at, 9) END AS hashdiff
    FROM vault.cur_lesson
) AS new
WHERE t.ctid = new.ctid AND t.hashdiff IS DISTINCT FROM new.hashdiff;
