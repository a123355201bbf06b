-- stg_dm_feed: the mart rows this run must (re)load, and in staging.stg_dm_scope the keys they
-- were chosen by, so the mart can also retire its rows under those keys that are gone.
-- A key whose satellite changed since the mart was last loaded (mart_loaded_until) is reloaded with
-- everything under it ('course', 'stream', 'module', 'lesson'); a child that joined or left a
-- parent is reloaded whole, and the parent's childless row only ('course_shell', 'stream_shell',
-- 'module_shell'), since that row appears or goes when its last child comes or leaves. When the mart
-- is empty (mart_loaded_until is -infinity) the scope is 'all'.
{% set since = mart_loaded_until %}
TRUNCATE staging.stg_dm_scope;
TRUNCATE staging.stg_dm_feed;

INSERT INTO staging.stg_dm_scope (level, id, hk)
SELECT 'all', 0, NULL WHERE {{ since }} = '-infinity'::timestamptz;

INSERT INTO staging.stg_dm_scope (level, id, hk)
WITH since AS (SELECT {{ since }} AS ts WHERE {{ since }} > '-infinity'::timestamptz)
{% for entity in ['course', 'stream', 'module', 'lesson'] %}
-- {{ entity }}s whose attributes changed, that appeared, vanished or came back
SELECT '{{ entity }}', h.{{ entity }}_id, h.hk_{{ entity }}
FROM {{ ref('s_' ~ entity) }} AS s
JOIN since ON s.load_ts > since.ts
JOIN {{ ref('h_' ~ entity) }} AS h USING (hk_{{ entity }})
UNION
{% endfor %}
{% for parent, child in [('course', 'stream'), ('stream', 'module'), ('module', 'lesson')] %}
-- {{ child }}s that joined or left a {{ parent }}: the {{ child }} whole, the {{ parent }}'s childless row
SELECT unnest(ARRAY['{{ child }}', '{{ parent }}_shell']),
       unnest(ARRAY[hc.{{ child }}_id, hp.{{ parent }}_id]),
       unnest(ARRAY[hc.hk_{{ child }}, hp.hk_{{ parent }}])
FROM {{ ref('s_' ~ parent ~ '_' ~ child ~ '_eff') }} AS e
JOIN since ON e.load_ts > since.ts
JOIN {{ ref('l_' ~ parent ~ '_' ~ child) }} AS l USING (hk_{{ parent }}_{{ child }})
JOIN {{ ref('h_' ~ parent) }} AS hp ON hp.hk_{{ parent }} = l.hk_{{ parent }}
JOIN {{ ref('h_' ~ child) }} AS hc ON hc.hk_{{ child }} = l.hk_{{ child }}
{{ "UNION" if not loop.last }}
{% endfor %}
;

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
WITH
    scope AS (SELECT level, id, hk FROM staging.stg_dm_scope),
    everything AS (SELECT count(*) > 0 AS yes FROM scope WHERE level = 'all'),
    scope_modules AS (
        -- upper rows (a module, or a stream or course without children) under a changed key
        SELECT m.*
        FROM vault.v_dm_modules AS m
        WHERE (SELECT yes FROM everything)
           OR m.course_id IN (SELECT id FROM scope WHERE level = 'course')
           OR m.stream_id IN (SELECT id FROM scope WHERE level = 'stream')
           OR m.module_id IN (SELECT id FROM scope WHERE level = 'module')
    ),
    shells AS (
        -- the childless row of a parent whose children came or went, if it is childless now
        SELECT m.*
        FROM vault.v_dm_modules AS m
        WHERE (m.stream_id IS NULL AND m.course_id IN (SELECT id FROM scope WHERE level = 'course_shell'))
           OR (m.module_id IS NULL AND m.stream_id IN (SELECT id FROM scope WHERE level = 'stream_shell'))
           OR (m.module_id IN (SELECT id FROM scope WHERE level = 'module_shell'))
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
FROM scope AS sc
JOIN vault.cur_lesson AS le ON le.hk_lesson = sc.hk
JOIN vault.cur_module_lesson AS ml USING (hk_lesson)
JOIN vault.v_dm_modules AS m USING (hk_module)
WHERE sc.level = 'lesson'
  AND NOT EXISTS (SELECT FROM scope_modules AS s WHERE s.hk_module = ml.hk_module)
UNION ALL
-- modules without a current lesson, streams without modules, courses without streams
SELECT m.{{ module_columns | join(', m.') }},
       {{ (['NULL'] * lesson_columns | length) | join(', ') }}
FROM (SELECT * FROM scope_modules UNION SELECT * FROM shells) AS m
WHERE m.hk_module IS NULL
   OR NOT EXISTS (
       SELECT FROM vault.cur_module_lesson AS ml JOIN vault.cur_lesson AS le USING (hk_lesson)
       WHERE ml.hk_module = m.hk_module
   );
