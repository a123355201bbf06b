-- l_course_stream: every course-stream relationship ever seen in the source, once.
{% from 'macros.sql' import hash_key, fresh_when_empty %}
{{ fresh_when_empty(['vault.l_course_stream']) }}
INSERT INTO vault.l_course_stream (hk_course_stream, hk_course, hk_stream, load_ts, record_source)
SELECT seen.hk_course_stream, seen.hk_course, seen.hk_stream, {{ load_ts }}, 'source.stream'
FROM (
    -- only a stream whose course is not its current one can bring a relationship not seen before
    SELECT {{ hash_key(['stg.course_id', 'stg.stream_id']) }} AS hk_course_stream, stg.hk_course, stg.hk_stream
    FROM {{ ref('stg_stream') }} AS stg
    LEFT JOIN vault.cur_course_stream AS cur USING (hk_stream)
    WHERE stg.hk_course IS NOT NULL
      AND (cur.hk_stream IS NULL OR cur.hk_course <> stg.hk_course)
    -- OFFSET 0 keeps this subquery apart, so each hash key is computed once (not again for the anti-join)
    OFFSET 0
) AS seen
WHERE NOT EXISTS (SELECT FROM vault.l_course_stream AS l WHERE l.hk_course_stream = seen.hk_course_stream)
-- in index order, so the btree is written sequentially
ORDER BY seen.hk_course_stream;
