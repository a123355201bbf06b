-- h_course: one row per course id ever seen, as a course or as a stream's course.
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.h_course']) }}
INSERT INTO vault.h_course (hk_course, course_id, load_ts, record_source)
SELECT DISTINCT ON (seen.hk_course) seen.hk_course, seen.course_id, {{ load_ts }}, seen.record_source
FROM (
    SELECT hk_course, course_id, 'source.course' AS record_source FROM {{ ref('stg_course') }}
    UNION ALL
    SELECT hk_course, course_id, 'source.stream' FROM {{ ref('stg_stream') }} WHERE hk_course IS NOT NULL
) AS seen
WHERE NOT EXISTS (SELECT FROM vault.h_course AS h WHERE h.hk_course = seen.hk_course)
-- a key seen in both places is recorded from its own table
ORDER BY seen.hk_course, seen.record_source = 'source.course' DESC;
