-- stg_dm_feed: the mart rows this run must (re)load: every current row under a course, stream,
-- module or lesson whose vault rows changed since the mart was last loaded; and those keys
-- (staging.stg_dm_scope), so the mart can also retire its rows under them that are gone.
-- mart_loaded_until is the load_ts of the last run that completed, mart included; -infinity when the
-- mart is empty, which makes this the whole mart.
{% set since = mart_loaded_until %}
TRUNCATE staging.stg_dm_scope;
TRUNCATE staging.stg_dm_feed;

INSERT INTO staging.stg_dm_scope (level, id, hk)
-- courses whose attributes changed, that appeared or vanished, or gained or lost a stream
SELECT 'course', h.course_id, h.hk_course
FROM {{ ref('s_course') }} AS s JOIN {{ ref('h_course') }} AS h USING (hk_course)
WHERE s.load_ts > {{ since }}
UNION
SELECT 'course', h.course_id, h.hk_course
FROM {{ ref('s_course_stream_eff') }} AS e
JOIN {{ ref('l_course_stream') }} AS l USING (hk_course_stream)
JOIN {{ ref('h_course') }} AS h USING (hk_course)
WHERE e.load_ts > {{ since }}
UNION
-- the same for streams and their modules
SELECT 'stream', h.stream_id, h.hk_stream
FROM {{ ref('s_stream') }} AS s JOIN {{ ref('h_stream') }} AS h USING (hk_stream)
WHERE s.load_ts > {{ since }}
UNION
SELECT 'stream', h.stream_id, h.hk_stream
FROM {{ ref('s_stream_module_eff') }} AS e
JOIN {{ ref('l_stream_module') }} AS l USING (hk_stream_module)
JOIN {{ ref('h_stream') }} AS h USING (hk_stream)
WHERE e.load_ts > {{ since }}
UNION
-- the same for modules and their lessons
SELECT 'module', h.module_id, h.hk_module
FROM {{ ref('s_module') }} AS s JOIN {{ ref('h_module') }} AS h USING (hk_module)
WHERE s.load_ts > {{ since }}
UNION
SELECT 'module', h.module_id, h.hk_module
FROM {{ ref('s_module_lesson_eff') }} AS e
JOIN {{ ref('l_module_lesson') }} AS l USING (hk_module_lesson)
JOIN {{ ref('h_module') }} AS h USING (hk_module)
WHERE e.load_ts > {{ since }}
UNION
-- lessons whose attributes changed, that appeared or vanished
SELECT 'lesson', h.lesson_id, h.hk_lesson
FROM {{ ref('s_lesson') }} AS s JOIN {{ ref('h_lesson') }} AS h USING (hk_lesson)
WHERE s.load_ts > {{ since }};

ANALYZE staging.stg_dm_scope;

{% set lesson_attributes = ['lesson_id', 'title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url',
                            'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] %}
{% set lesson_columns = ['lesson_id', 'h_lesson_title', 's_lesson_description', 's_lesson_teacher_id',
                         's_lesson_start_at', 's_lesson_end_at', 's_lesson_homework_url',
                         's_lesson_online_lesson_join_url', 's_lesson_online_lesson_recording_url',
                         's_lesson_deleted_at'] %}
{% set module_columns = [
    'course_id', 'stream_id', 'module_id',
    'h_course_title', 's_course_icon_url', 's_course_is_auto_course_enroll', 's_course_is_demo_enroll',
    's_course_created_at', 's_course_updated_at', 's_course_deleted_at',
    'h_module_title', 'l_module_order_in_stream', 's_module_created_at', 's_module_updated_at', 's_module_deleted_at',
    'h_stream_name', 's_stream_is_open', 's_stream_homework_deadline_days', 's_stream_start_at', 's_stream_end_at',
    's_stream_created_at', 's_stream_updated_at', 's_stream_deleted_at',
] %}
INSERT INTO staging.stg_dm_feed (
    {{ module_columns | join(', ') }},
    {{ lesson_columns | join(', ') }}
)
WITH scope_modules AS (
    -- upper rows (module, or stream or course without children) under a changed key: reloaded whole
    SELECT m.*
    FROM vault.v_dm_modules AS m
    WHERE m.course_id IN (SELECT id FROM staging.stg_dm_scope WHERE level = 'course')
       OR m.stream_id IN (SELECT id FROM staging.stg_dm_scope WHERE level = 'stream')
       OR m.module_id IN (SELECT id FROM staging.stg_dm_scope WHERE level = 'module')
)
-- every current lesson of those modules
SELECT m.{{ module_columns | join(', m.') }},
       le.{{ lesson_attributes | join(', le.') }}
FROM scope_modules AS m
JOIN vault.cur_module_lesson AS ml USING (hk_module)
JOIN vault.cur_lesson AS le USING (hk_lesson)
UNION ALL
-- changed lessons in the other modules
SELECT m.{{ module_columns | join(', m.') }},
       le.{{ lesson_attributes | join(', le.') }}
FROM staging.stg_dm_scope AS sc
JOIN vault.cur_lesson AS le ON le.hk_lesson = sc.hk
JOIN vault.cur_module_lesson AS ml USING (hk_lesson)
JOIN vault.v_dm_modules AS m USING (hk_module)
WHERE sc.level = 'lesson'
  AND NOT EXISTS (SELECT FROM scope_modules AS s WHERE s.hk_module = ml.hk_module)
UNION ALL
-- modules without a current lesson, streams without modules, courses without streams
SELECT m.{{ module_columns | join(', m.') }},
       {{ (['NULL'] * lesson_columns | length) | join(', ') }}
FROM scope_modules AS m
WHERE m.hk_module IS NULL
   OR NOT EXISTS (
       SELECT FROM vault.cur_module_lesson AS ml JOIN vault.cur_lesson AS le USING (hk_lesson)
       WHERE ml.hk_module = m.hk_module
   );
