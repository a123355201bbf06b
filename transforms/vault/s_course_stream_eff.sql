-- s_course_stream_eff: a row when a course-stream relationship becomes current, and one when it stops (the stream
-- moved to another course, lost its course, or vanished). vault.cur_course_stream, each stream's current course,
-- follows in the same statement.
{#- The delta in staging stays until this run has moved the current state; every step that reads
    it without moving the current state runs first, and l_course_stream holds every link it names. -#}
{{ after('h_course', 'h_stream', 'l_course_stream') }}
{% from 'macros.sql' import hash_key, fresh_when_empty %}
{{ fresh_when_empty(['vault.s_course_stream_eff', 'vault.cur_course_stream']) }}
WITH changes AS (
    -- streams whose course is new or different: that relationship becomes current
    SELECT {{ hash_key(['stg.course_id', 'stg.stream_id']) }} AS hk_course_stream,
           stg.hk_course, stg.hk_stream, stg.course_id, stg.stream_id, false AS is_deleted
    FROM {{ ref('stg_stream') }} AS stg
    LEFT JOIN vault.cur_course_stream AS cur USING (hk_stream)
    WHERE stg.hk_course IS NOT NULL
      AND (cur.hk_stream IS NULL OR cur.hk_course <> stg.hk_course)
    UNION ALL
    -- current relationships the delta ends: the stream vanished, lost its course or moved
    SELECT cur.hk_course_stream, cur.hk_course, cur.hk_stream, cur.course_id, cur.stream_id, true
    FROM vault.cur_course_stream AS cur
    JOIN {{ ref('stg_stream') }} AS stg USING (hk_stream)
    WHERE stg.hk_course IS DISTINCT FROM cur.hk_course
    -- sorted once, in the effectivity satellite's index order: PostgreSQL 17+ writes it below
    -- without sorting again
    ORDER BY hk_course_stream
),
gone AS (
    -- streams left without a current course (one that moved is updated below instead)
    DELETE FROM vault.cur_course_stream AS cur
    USING changes
    WHERE changes.is_deleted
      AND cur.hk_stream = changes.hk_stream
      AND NOT EXISTS (SELECT FROM changes AS moved WHERE moved.hk_stream = cur.hk_stream AND NOT moved.is_deleted)
),
moved AS (
    UPDATE vault.cur_course_stream AS cur
    SET hk_course = changes.hk_course, hk_course_stream = changes.hk_course_stream, course_id = changes.course_id,
        load_ts = {{ load_ts }}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_stream = changes.hk_stream
),
added AS (
    INSERT INTO vault.cur_course_stream (hk_stream, hk_course, hk_course_stream, stream_id, course_id, load_ts)
    SELECT hk_stream, hk_course, hk_course_stream, stream_id, course_id, {{ load_ts }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_course_stream AS cur WHERE cur.hk_stream = changes.hk_stream)
    ORDER BY hk_stream
)
INSERT INTO vault.s_course_stream_eff (hk_course_stream, load_ts, is_deleted, record_source)
SELECT hk_course_stream, {{ load_ts }}, is_deleted, 'source.stream'
FROM changes
ORDER BY hk_course_stream;
