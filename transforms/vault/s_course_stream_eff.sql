-- s_course_stream_eff: a row when a course-stream relationship becomes current, and one when it stops
-- (the stream moved to another course, lost its course, or vanished from the source).
WITH latest AS (
    SELECT DISTINCT ON (hk_course_stream) hk_course_stream, is_deleted
    FROM vault.s_course_stream_eff
    ORDER BY hk_course_stream, load_ts DESC
)
INSERT INTO vault.s_course_stream_eff (hk_course_stream, load_ts, is_deleted, record_source)
-- relationships in this run's snapshot that were not current
SELECT stg.hk_course_stream, {{ load_ts }}, false, 'source.stream'
FROM {{ ref('stg_stream') }} AS stg
LEFT JOIN latest USING (hk_course_stream)
WHERE stg.hk_course_stream IS NOT NULL
  AND (latest.hk_course_stream IS NULL OR latest.is_deleted)
UNION ALL
-- current relationships missing from this run's snapshot
SELECT latest.hk_course_stream, {{ load_ts }}, true, 'source.stream'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_stream') }} AS stg WHERE stg.hk_course_stream = latest.hk_course_stream);
