-- s_course: a new row when a course's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back. vault.cur_course, the
-- current state, follows in the same statement.
{#- The delta in staging stays until this run has moved the current state; every step that reads
    it without moving the current state runs first. -#}
{{ after('h_course') }}
{% set attributes = ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll', 'created_at', 'updated_at', 'deleted_at'] %}
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.s_course', 'vault.cur_course']) }}
WITH changes AS (
    -- new keys, changed attributes, and keys back after a deletion
    SELECT stg.hk_course, stg.course_id, stg.hashdiff, false AS is_deleted, stg.{{ attributes | join(', stg.') }}
    FROM {{ ref('stg_course') }} AS stg
    LEFT JOIN vault.cur_course AS cur USING (hk_course)
    WHERE NOT stg.vanished AND (cur.hk_course IS NULL OR cur.hashdiff <> stg.hashdiff)
    UNION ALL
    -- current keys gone from the source: their last attributes again, flagged deleted
    SELECT cur.hk_course, cur.course_id, cur.hashdiff, true, cur.{{ attributes | join(', cur.') }}
    FROM vault.cur_course AS cur
    JOIN {{ ref('stg_course') }} AS stg USING (hk_course)
    WHERE stg.vanished
    -- sorted once, in the satellite's index order: PostgreSQL 17+ writes it and the current
    -- state below without sorting again
    ORDER BY hk_course
),
gone AS (
    DELETE FROM vault.cur_course AS cur
    USING changes
    WHERE changes.is_deleted AND cur.hk_course = changes.hk_course
),
changed AS (
    UPDATE vault.cur_course AS cur
    SET load_ts = {{ load_ts }}, hashdiff = changes.hashdiff,
{% for attribute in attributes %}
        {{ attribute }} = changes.{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_course = changes.hk_course
),
added AS (
    INSERT INTO vault.cur_course (hk_course, course_id, load_ts, hashdiff, {{ attributes | join(', ') }})
    SELECT hk_course, course_id, {{ load_ts }}, hashdiff, {{ attributes | join(', ') }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_course AS cur WHERE cur.hk_course = changes.hk_course)
    ORDER BY hk_course
)
INSERT INTO vault.s_course (hk_course, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
SELECT hk_course, {{ load_ts }}, hashdiff, is_deleted, {{ attributes | join(', ') }}, 'source.course'
-- in index order, so the btree is written sequentially
FROM changes
ORDER BY hk_course;
