-- The reference of issue 13's first-load target: a Data Vault first load in the shape of the SQL that
-- dbt with AutomateDV generates for PostgreSQL, written out by hand (the package cannot be installed
-- here), so that it runs on the same machine, in the same sitting, as the pipeline it is compared with.
-- Warehouse only: no mart, no index, no constraint, no check. Each model is what dbt runs on a first load
-- (CREATE TABLE … AS its query, on the server's own settings). Hash keys and hashdiffs as AutomateDV makes
-- them: DECODE(MD5(…), 'hex') of each value cast to text, trimmed, upper-cased, NULL as '^^', joined by
-- '||'. The staging models are tables (each reads the source once over postgres_fdw, as the pipeline
-- does), then hubs, links, satellites and effectivity satellites, as the pipeline's vault has them.
-- bench/references.py runs staging, then the vault, the models of each two at a time, as
-- `dbt run --threads 2` would; it leaves dbt's own start (parsing the project) out.

-- == staging ==

CREATE TABLE ref_dv.stg_course AS
SELECT c.*,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(c.id AS VARCHAR))), '')), 'hex') AS course_hk,
       DECODE(MD5(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.title AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.icon_url AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.is_auto_course_enroll AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.is_demo_enroll AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.created_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.updated_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(c.deleted_at AS VARCHAR))), ''), '^^')
       )), 'hex') AS course_hashdiff,
       CAST(now() AS TIMESTAMP) AS load_datetime, 'course' AS record_source
FROM raw.course AS c;

CREATE TABLE ref_dv.stg_stream AS
SELECT s.*,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(s.id AS VARCHAR))), '')), 'hex') AS stream_hk,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(s.course_id AS VARCHAR))), '')), 'hex') AS course_hk,
       DECODE(MD5(NULLIF(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.course_id AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.id AS VARCHAR))), ''), '^^')
       ), '^^||^^')), 'hex') AS course_stream_hk,
       DECODE(MD5(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.name AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.is_open AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.homework_deadline_days AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.start_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.end_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.created_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.updated_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(s.deleted_at AS VARCHAR))), ''), '^^')
       )), 'hex') AS stream_hashdiff,
       CAST(now() AS TIMESTAMP) AS load_datetime, 'stream' AS record_source
FROM raw.stream AS s;

CREATE TABLE ref_dv.stg_module AS
SELECT m.*,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(m.id AS VARCHAR))), '')), 'hex') AS module_hk,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(m.stream_id AS VARCHAR))), '')), 'hex') AS stream_hk,
       DECODE(MD5(NULLIF(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.stream_id AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.id AS VARCHAR))), ''), '^^')
       ), '^^||^^')), 'hex') AS stream_module_hk,
       DECODE(MD5(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.title AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.order_in_stream AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.created_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.updated_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(m.deleted_at AS VARCHAR))), ''), '^^')
       )), 'hex') AS module_hashdiff,
       CAST(now() AS TIMESTAMP) AS load_datetime, 'stream_module' AS record_source
FROM raw.stream_module AS m;

CREATE TABLE ref_dv.stg_lesson AS
SELECT l.*,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(l.id AS VARCHAR))), '')), 'hex') AS lesson_hk,
       DECODE(MD5(NULLIF(UPPER(TRIM(CAST(l.stream_module_id AS VARCHAR))), '')), 'hex') AS module_hk,
       DECODE(MD5(NULLIF(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.stream_module_id AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.id AS VARCHAR))), ''), '^^')
       ), '^^||^^')), 'hex') AS module_lesson_hk,
       DECODE(MD5(CONCAT_WS('||',
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.title AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.description AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.teacher_id AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.start_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.end_at AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.homework_url AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.online_lesson_join_url AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.online_lesson_recording_url AS VARCHAR))), ''), '^^'),
           COALESCE(NULLIF(UPPER(TRIM(CAST(l.deleted_at AS VARCHAR))), ''), '^^')
       )), 'hex') AS lesson_hashdiff,
       CAST(now() AS TIMESTAMP) AS load_datetime, 'stream_module_lesson' AS record_source
FROM raw.stream_module_lesson AS l;

-- == vault: every model below reads staging only, so dbt runs them in any order ==

-- hubs and links

CREATE TABLE ref_dv.hub_course AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.course_hk) rr.course_hk, rr.id AS course_id, rr.load_datetime, rr.record_source
    FROM ref_dv.stg_course AS rr
    WHERE rr.course_hk IS NOT NULL
    ORDER BY rr.course_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.hub_stream AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.stream_hk) rr.stream_hk, rr.id AS stream_id, rr.load_datetime, rr.record_source
    FROM ref_dv.stg_stream AS rr
    WHERE rr.stream_hk IS NOT NULL
    ORDER BY rr.stream_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.hub_module AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.module_hk) rr.module_hk, rr.id AS module_id, rr.load_datetime, rr.record_source
    FROM ref_dv.stg_module AS rr
    WHERE rr.module_hk IS NOT NULL
    ORDER BY rr.module_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.hub_lesson AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.lesson_hk) rr.lesson_hk, rr.id AS lesson_id, rr.load_datetime, rr.record_source
    FROM ref_dv.stg_lesson AS rr
    WHERE rr.lesson_hk IS NOT NULL
    ORDER BY rr.lesson_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.link_course_stream AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.course_stream_hk) rr.course_stream_hk, rr.course_hk, rr.stream_hk, rr.load_datetime,
           rr.record_source
    FROM ref_dv.stg_stream AS rr
    WHERE rr.course_stream_hk IS NOT NULL AND rr.course_hk IS NOT NULL AND rr.stream_hk IS NOT NULL
    ORDER BY rr.course_stream_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.link_stream_module AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.stream_module_hk) rr.stream_module_hk, rr.stream_hk, rr.module_hk, rr.load_datetime,
           rr.record_source
    FROM ref_dv.stg_module AS rr
    WHERE rr.stream_module_hk IS NOT NULL AND rr.stream_hk IS NOT NULL AND rr.module_hk IS NOT NULL
    ORDER BY rr.stream_module_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.link_module_lesson AS
WITH row_rank AS (
    SELECT DISTINCT ON (rr.module_lesson_hk) rr.module_lesson_hk, rr.module_hk, rr.lesson_hk, rr.load_datetime,
           rr.record_source
    FROM ref_dv.stg_lesson AS rr
    WHERE rr.module_lesson_hk IS NOT NULL AND rr.module_hk IS NOT NULL AND rr.lesson_hk IS NOT NULL
    ORDER BY rr.module_lesson_hk, rr.load_datetime
),
records_to_insert AS (SELECT * FROM row_rank)
SELECT * FROM records_to_insert;

-- satellites

CREATE TABLE ref_dv.sat_course AS
WITH source_data AS (
    SELECT a.course_hk, a.course_hashdiff, a.title, a.icon_url, a.is_auto_course_enroll, a.is_demo_enroll,
           a.created_at, a.updated_at, a.deleted_at, a.load_datetime, a.record_source
    FROM ref_dv.stg_course AS a
    WHERE a.course_hk IS NOT NULL
),
unique_source_records AS (
    SELECT b.course_hk, b.course_hashdiff, b.title, b.icon_url, b.is_auto_course_enroll, b.is_demo_enroll,
           b.created_at, b.updated_at, b.deleted_at, b.load_datetime, b.record_source
    FROM (
        SELECT sd.*, LAG(sd.course_hashdiff, 1, DECODE('FFFFFFFF', 'hex')) OVER (
                   PARTITION BY sd.course_hk ORDER BY sd.load_datetime) AS prev_hashdiff
        FROM source_data AS sd
    ) AS b
    WHERE b.course_hashdiff != b.prev_hashdiff
),
records_to_insert AS (SELECT * FROM unique_source_records)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.sat_stream AS
WITH source_data AS (
    SELECT a.stream_hk, a.stream_hashdiff, a.name, a.is_open, a.homework_deadline_days, a.start_at, a.end_at,
           a.created_at, a.updated_at, a.deleted_at, a.load_datetime, a.record_source
    FROM ref_dv.stg_stream AS a
    WHERE a.stream_hk IS NOT NULL
),
unique_source_records AS (
    SELECT b.stream_hk, b.stream_hashdiff, b.name, b.is_open, b.homework_deadline_days, b.start_at, b.end_at,
           b.created_at, b.updated_at, b.deleted_at, b.load_datetime, b.record_source
    FROM (
        SELECT sd.*, LAG(sd.stream_hashdiff, 1, DECODE('FFFFFFFF', 'hex')) OVER (
                   PARTITION BY sd.stream_hk ORDER BY sd.load_datetime) AS prev_hashdiff
        FROM source_data AS sd
    ) AS b
    WHERE b.stream_hashdiff != b.prev_hashdiff
),
records_to_insert AS (SELECT * FROM unique_source_records)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.sat_module AS
WITH source_data AS (
    SELECT a.module_hk, a.module_hashdiff, a.title, a.order_in_stream, a.created_at, a.updated_at, a.deleted_at,
           a.load_datetime, a.record_source
    FROM ref_dv.stg_module AS a
    WHERE a.module_hk IS NOT NULL
),
unique_source_records AS (
    SELECT b.module_hk, b.module_hashdiff, b.title, b.order_in_stream, b.created_at, b.updated_at, b.deleted_at,
           b.load_datetime, b.record_source
    FROM (
        SELECT sd.*, LAG(sd.module_hashdiff, 1, DECODE('FFFFFFFF', 'hex')) OVER (
                   PARTITION BY sd.module_hk ORDER BY sd.load_datetime) AS prev_hashdiff
        FROM source_data AS sd
    ) AS b
    WHERE b.module_hashdiff != b.prev_hashdiff
),
records_to_insert AS (SELECT * FROM unique_source_records)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.sat_lesson AS
WITH source_data AS (
    SELECT a.lesson_hk, a.lesson_hashdiff, a.title, a.description, a.teacher_id, a.start_at, a.end_at,
           a.homework_url, a.online_lesson_join_url, a.online_lesson_recording_url, a.deleted_at,
           a.load_datetime, a.record_source
    FROM ref_dv.stg_lesson AS a
    WHERE a.lesson_hk IS NOT NULL
),
unique_source_records AS (
    SELECT b.lesson_hk, b.lesson_hashdiff, b.title, b.description, b.teacher_id, b.start_at, b.end_at,
           b.homework_url, b.online_lesson_join_url, b.online_lesson_recording_url, b.deleted_at,
           b.load_datetime, b.record_source
    FROM (
        SELECT sd.*, LAG(sd.lesson_hashdiff, 1, DECODE('FFFFFFFF', 'hex')) OVER (
                   PARTITION BY sd.lesson_hk ORDER BY sd.load_datetime) AS prev_hashdiff
        FROM source_data AS sd
    ) AS b
    WHERE b.lesson_hashdiff != b.prev_hashdiff
),
records_to_insert AS (SELECT * FROM unique_source_records)
SELECT * FROM records_to_insert;

-- effectivity satellites

CREATE TABLE ref_dv.eff_sat_course_stream AS
WITH source_data AS (
    SELECT a.course_stream_hk, a.stream_hk, a.course_hk, a.load_datetime AS start_date,
           CAST('9999-12-31' AS TIMESTAMP) AS end_date, a.load_datetime AS effective_from, a.load_datetime,
           a.record_source
    FROM ref_dv.stg_stream AS a
    WHERE a.course_stream_hk IS NOT NULL AND a.stream_hk IS NOT NULL AND a.course_hk IS NOT NULL
),
records_to_insert AS (SELECT * FROM source_data)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.eff_sat_stream_module AS
WITH source_data AS (
    SELECT a.stream_module_hk, a.module_hk, a.stream_hk, a.load_datetime AS start_date,
           CAST('9999-12-31' AS TIMESTAMP) AS end_date, a.load_datetime AS effective_from, a.load_datetime,
           a.record_source
    FROM ref_dv.stg_module AS a
    WHERE a.stream_module_hk IS NOT NULL AND a.module_hk IS NOT NULL AND a.stream_hk IS NOT NULL
),
records_to_insert AS (SELECT * FROM source_data)
SELECT * FROM records_to_insert;

CREATE TABLE ref_dv.eff_sat_module_lesson AS
WITH source_data AS (
    SELECT a.module_lesson_hk, a.lesson_hk, a.module_hk, a.load_datetime AS start_date,
           CAST('9999-12-31' AS TIMESTAMP) AS end_date, a.load_datetime AS effective_from, a.load_datetime,
           a.record_source
    FROM ref_dv.stg_lesson AS a
    WHERE a.module_lesson_hk IS NOT NULL AND a.lesson_hk IS NOT NULL AND a.module_hk IS NOT NULL
),
records_to_insert AS (SELECT * FROM source_data)
SELECT * FROM records_to_insert;
