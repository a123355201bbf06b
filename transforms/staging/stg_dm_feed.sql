-- stg_dm_feed: the mart rows this run must (re)load, and in staging.stg_dm_scope the keys they
-- were chosen by, so the mart can also retire its rows under those keys that are gone.
-- A key whose satellite changed since the mart was last loaded (mart_loaded_until) is reloaded with
-- everything under it ('course', 'stream', 'module', 'lesson'); a child that joined or left a
-- parent is reloaded whole, and the parent only for its childless row ('course_shell',
-- 'stream_shell', 'module_shell'), which appears or goes as its last child comes or leaves. Every
-- mart row is anchored at its deepest key (its lesson, else its module, ...); the scope lists
-- anchors. When the mart is empty (mart_never_loaded) nothing is staged: the mart assembles every row
-- of vault.v_dm_courses_modules_lessons_streams itself, from the current state.
{% set since = mart_loaded_until %}
TRUNCATE staging.stg_dm_scope;
TRUNCATE staging.stg_dm_feed;
{% if mart_never_loaded %}
-- the mart is empty: no scope and no feed, the mart assembles every row from the current state
{% else %}

-- (each satellite is read by its index on load_ts; given as a constant, the planner sees through that index
-- how few rows are that recent, and looks their keys up: a CTE holding it hid the value, and the planner,
-- expecting a third of each table, joined a million lessons' hub and links whole)
INSERT INTO staging.stg_dm_scope (level, id, hk)
{% for entity in ['course', 'stream', 'module', 'lesson'] %}
-- {{ entity }}s whose attributes changed, that appeared, vanished or came back
SELECT '{{ entity }}', h.{{ entity }}_id, h.hk_{{ entity }}
FROM {{ ref('s_' ~ entity) }} AS s
JOIN {{ ref('h_' ~ entity) }} AS h USING (hk_{{ entity }})
WHERE s.load_ts > {{ since }}
UNION
{% endfor %}
{% for parent, child in [('course', 'stream'), ('stream', 'module'), ('module', 'lesson')] %}
-- {{ child }}s that joined or left a {{ parent }}: the {{ child }} whole, the {{ parent }}'s childless row
SELECT unnest(ARRAY['{{ child }}', '{{ parent }}_shell']),
       unnest(ARRAY[hc.{{ child }}_id, hp.{{ parent }}_id]),
       unnest(ARRAY[hc.hk_{{ child }}, hp.hk_{{ parent }}])
FROM {{ ref('s_' ~ parent ~ '_' ~ child ~ '_eff') }} AS e
JOIN {{ ref('l_' ~ parent ~ '_' ~ child) }} AS l USING (hk_{{ parent }}_{{ child }})
JOIN {{ ref('h_' ~ parent) }} AS hp ON hp.hk_{{ parent }} = l.hk_{{ parent }}
JOIN {{ ref('h_' ~ child) }} AS hc ON hc.hk_{{ child }} = l.hk_{{ child }}
WHERE e.load_ts > {{ since }}
{{ "UNION" if not loop.last }}
{% endfor %}
;

-- what lies under a changed key is in scope too: its streams, their modules, their lessons
{% for parent, child in [('course', 'stream'), ('stream', 'module'), ('module', 'lesson')] %}
INSERT INTO staging.stg_dm_scope (level, id, hk)
SELECT DISTINCT '{{ child }}', h.{{ child }}_id, h.hk_{{ child }}
FROM staging.stg_dm_scope AS sc
JOIN vault.cur_{{ parent }}_{{ child }} AS link ON link.hk_{{ parent }} = sc.hk
JOIN vault.h_{{ child }} AS h USING (hk_{{ child }})
WHERE sc.level = '{{ parent }}'
  AND NOT EXISTS (SELECT FROM staging.stg_dm_scope AS known WHERE known.level = '{{ child }}' AND known.hk = h.hk_{{ child }});

{% endfor %}
ANALYZE staging.stg_dm_scope;

{% from 'macros.sql' import mart_upper_columns as upper_columns, mart_lesson_columns %}
{% set lesson_attributes = mart_lesson_columns.keys() | list %}
{% set lesson_columns = mart_lesson_columns.values() | list %}
INSERT INTO staging.stg_dm_feed ({{ upper_columns | join(', ') }}, {{ lesson_columns | join(', ') }})
-- every lesson in scope, under its module, stream and course (NULL where it has none)
SELECT u.{{ upper_columns | join(', u.') }},
       le.{{ lesson_attributes | join(', le.') }}
FROM staging.stg_dm_scope AS sc
JOIN vault.cur_lesson AS le ON le.hk_lesson = sc.hk
LEFT JOIN vault.cur_module_lesson AS ml USING (hk_lesson)
LEFT JOIN vault.v_dm_upper AS u ON u.hk_module = ml.hk_module
WHERE sc.level = 'lesson'
UNION ALL
-- modules in scope without a current lesson
SELECT u.{{ upper_columns | join(', u.') }}, {{ (['NULL'] * lesson_columns | length) | join(', ') }}
FROM vault.v_dm_upper AS u
WHERE u.hk_module IN (SELECT hk FROM staging.stg_dm_scope WHERE level IN ('module', 'module_shell'))
  AND NOT EXISTS (SELECT FROM vault.cur_module_lesson AS ml WHERE ml.hk_module = u.hk_module)
UNION ALL
-- streams in scope without a current module
SELECT u.{{ upper_columns | join(', u.') }}, {{ (['NULL'] * lesson_columns | length) | join(', ') }}
FROM vault.v_dm_upper AS u
WHERE u.hk_module IS NULL
  AND u.hk_stream IN (SELECT hk FROM staging.stg_dm_scope WHERE level IN ('stream', 'stream_shell'))
UNION ALL
-- courses in scope without a current stream
SELECT u.{{ upper_columns | join(', u.') }}, {{ (['NULL'] * lesson_columns | length) | join(', ') }}
FROM vault.v_dm_upper AS u
WHERE u.hk_module IS NULL AND u.hk_stream IS NULL
  AND u.hk_course IN (SELECT hk FROM staging.stg_dm_scope WHERE level IN ('course', 'course_shell'));
{% endif %}
