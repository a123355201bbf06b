-- s_lesson: a new row when a lesson's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back. vault.cur_lesson, the
-- current state, follows in the same statement.
{#- A lesson stays in the delta (stg_lesson) while either current state lags behind the source: its
    attributes here, its module in vault.cur_module_lesson. A lesson new to h_lesson is kept there by this
    step's current state until h_lesson has committed it: so this step runs after h_lesson. The steps
    that read the delta for modules and links (h_module, l_module_lesson) are kept by the other current
    state, whose step runs after them. -#}
{{ after('h_lesson') }}
{% set attributes = ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url', 'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] %}
{% from 'macros.sql' import fresh_when_empty, drop_indexes_when_empty, build_indexes_dropped %}
{{ fresh_when_empty(['vault.s_lesson', 'vault.cur_lesson']) }}
{{ drop_indexes_when_empty(['vault.s_lesson', 'vault.cur_lesson']) }}
-- a lesson's change against its current state (when the vault holds no current lesson, a first
-- load, the statement after this one writes every staged lesson instead)
WITH changes AS (
    -- new keys, changed attributes, and keys back after a deletion
    SELECT stg.hk_lesson, stg.lesson_id, stg.hashdiff, false AS is_deleted, stg.{{ attributes | join(', stg.') }}
    FROM {{ ref('stg_lesson') }} AS stg
    LEFT JOIN vault.cur_lesson AS cur USING (hk_lesson)
    WHERE NOT stg.vanished AND (cur.hk_lesson IS NULL OR cur.hashdiff <> stg.hashdiff)
      AND EXISTS (SELECT FROM vault.cur_lesson)
    UNION ALL
    -- current keys gone from the source: their last attributes again, flagged deleted
    SELECT cur.hk_lesson, cur.lesson_id, cur.hashdiff, true, cur.{{ attributes | join(', cur.') }}
    FROM vault.cur_lesson AS cur
    JOIN {{ ref('stg_lesson') }} AS stg USING (hk_lesson)
    WHERE stg.vanished
      -- (not on a first load: its million staged rows would be read to find none vanished)
      AND EXISTS (SELECT FROM vault.cur_lesson)
    -- sorted once, in the satellite's index order: PostgreSQL 17+ writes it and the current
    -- state below without sorting again
    ORDER BY hk_lesson
),
gone AS (
    DELETE FROM vault.cur_lesson AS cur
    USING changes
    WHERE changes.is_deleted AND cur.hk_lesson = changes.hk_lesson
),
changed AS (
    UPDATE vault.cur_lesson AS cur
    SET load_ts = {{ load_ts }}, hashdiff = changes.hashdiff,
{% for attribute in attributes %}
        {{ attribute }} = changes.{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_lesson = changes.hk_lesson
),
added AS (
    INSERT INTO vault.cur_lesson (hk_lesson, lesson_id, load_ts, hashdiff, {{ attributes | join(', ') }})
    SELECT hk_lesson, lesson_id, {{ load_ts }}, hashdiff, {{ attributes | join(', ') }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_lesson AS cur WHERE cur.hk_lesson = changes.hk_lesson)
    ORDER BY hk_lesson
)
INSERT INTO vault.s_lesson (hk_lesson, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
SELECT hk_lesson, {{ load_ts }}, hashdiff, is_deleted, {{ attributes | join(', ') }}, 'source.stream_module_lesson'
-- in index order, so the btree is written sequentially
FROM changes
ORDER BY hk_lesson;

-- a first load (no current lesson, so nothing can have changed or vanished): every staged lesson is
-- new, written straight from staging to the history and to the current state. The statement above
-- shares one sorted result between its inserts, which PostgreSQL before 17 sorted again for each of
-- them and spilled to disk: at 1M lessons this took a third of the time.
WITH current_state AS (
    INSERT INTO vault.cur_lesson (hk_lesson, lesson_id, load_ts, hashdiff, {{ attributes | join(', ') }})
    SELECT hk_lesson, lesson_id, {{ load_ts }}, hashdiff, {{ attributes | join(', ') }}
    FROM {{ ref('stg_lesson') }}
    WHERE NOT vanished AND NOT EXISTS (SELECT FROM vault.cur_lesson)
)
INSERT INTO vault.s_lesson (hk_lesson, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
SELECT hk_lesson, {{ load_ts }}, hashdiff, false, {{ attributes | join(', ') }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }}
WHERE NOT vanished AND NOT EXISTS (SELECT FROM vault.cur_lesson);

{{ build_indexes_dropped() }}
