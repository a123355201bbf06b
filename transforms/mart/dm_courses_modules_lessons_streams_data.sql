-- dm_courses_modules_lessons_streams_data: mart rows that are new or changed in the warehouse feed
-- (vault.v_dm_courses_modules_lessons_streams), and a tombstone for every row the feed no longer has.
-- Runs inside ClickHouse, which reads the warehouse through a named collection (no password here).
{% set columns = [
    'row_key', 'hashdiff', 'course_id', 'stream_id', 'module_id', 'lesson_id',
    'h_course_title', 's_course_icon_url', 's_course_is_auto_course_enroll', 's_course_is_demo_enroll',
    's_course_created_at', 's_course_updated_at', 's_course_deleted_at',
    'h_module_title', 'l_module_order_in_stream',
    's_module_created_at', 's_module_updated_at', 's_module_deleted_at',
    'h_lesson_title', 's_lesson_description', 's_lesson_teacher_id', 's_lesson_start_at', 's_lesson_end_at',
    's_lesson_homework_url', 's_lesson_online_lesson_join_url', 's_lesson_online_lesson_recording_url',
    's_lesson_deleted_at',
    'h_stream_name', 's_stream_is_open', 's_stream_homework_deadline_days', 's_stream_start_at',
    's_stream_end_at', 's_stream_created_at', 's_stream_updated_at', 's_stream_deleted_at',
] %}
INSERT INTO {{ mart }}.dm_courses_modules_lessons_streams_data
    ({{ columns | join(', ') }}, dm_course_module_lesson_stream_load_ts, version, is_deleted)
WITH
    feed AS (SELECT * FROM {{ warehouse('vault', 'v_dm_courses_modules_lessons_streams') }}),
    loaded AS (SELECT * FROM {{ mart }}.dm_courses_modules_lessons_streams_data FINAL WHERE is_deleted = 0)
-- rows whose key or content the mart does not hold yet
SELECT {{ columns | join(', ') }}, {{ load_ts }}, {{ load_ts }}, 0
FROM feed
WHERE (row_key, hashdiff) NOT IN (SELECT row_key, hashdiff FROM loaded)
UNION ALL
-- rows gone from the feed: their last version again, flagged deleted
SELECT {{ columns | join(', ') }}, {{ load_ts }}, {{ load_ts }}, 1
FROM loaded
WHERE row_key NOT IN (SELECT row_key FROM feed);
