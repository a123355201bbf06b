-- l_course_stream: every course-stream relationship ever seen in the source, once.
INSERT INTO vault.l_course_stream (hk_course_stream, hk_course, hk_stream, load_ts, record_source)
SELECT stg.hk_course_stream, stg.hk_course, stg.hk_stream, {{ load_ts }}, 'source.stream'
FROM {{ ref('stg_stream') }} AS stg
WHERE stg.hk_course_stream IS NOT NULL
  AND NOT EXISTS (SELECT FROM vault.l_course_stream AS l WHERE l.hk_course_stream = stg.hk_course_stream);
