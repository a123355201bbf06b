-- s_stream: a new row when a stream's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back. vault.cur_stream, the
-- current state, follows in the same statement.
{#- The delta in staging stays until this run has moved the current state; every step that reads
    it without moving the current state runs first. -#}
{{ after('h_stream', 'h_course', 'l_course_stream') }}
{% set attributes = ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at', 'created_at', 'updated_at', 'deleted_at'] %}
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.s_stream', 'vault.cur_stream']) }}
WITH changes AS (
    -- new keys, changed attributes, and keys back after a deletion
    SELECT stg.hk_stream, stg.stream_id, stg.hashdiff, false AS is_deleted, stg.{{ attributes | join(', stg.') }}
    FROM {{ ref('stg_stream') }} AS stg
    LEFT JOIN vault.cur_stream AS cur USING (hk_stream)
    WHERE NOT stg.vanished AND (cur.hk_stream IS NULL OR cur.hashdiff <> stg.hashdiff)
    UNION ALL
    -- current keys gone from the source: their last attributes again, flagged deleted
    SELECT cur.hk_stream, cur.stream_id, cur.hashdiff, true, cur.{{ attributes | join(', cur.') }}
    FROM vault.cur_stream AS cur
    JOIN {{ ref('stg_stream') }} AS stg USING (hk_stream)
    WHERE stg.vanished
    -- sorted once, in the satellite's index order: PostgreSQL 17+ writes it and the current
    -- state below without sorting again
    ORDER BY hk_stream
),
gone AS (
    DELETE FROM vault.cur_stream AS cur
    USING changes
    WHERE changes.is_deleted AND cur.hk_stream = changes.hk_stream
),
changed AS (
    UPDATE vault.cur_stream AS cur
    SET load_ts = {{ load_ts }}, hashdiff = changes.hashdiff,
{% for attribute in attributes %}
        {{ attribute }} = changes.{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_stream = changes.hk_stream
),
added AS (
    INSERT INTO vault.cur_stream (hk_stream, stream_id, load_ts, hashdiff, {{ attributes | join(', ') }})
    SELECT hk_stream, stream_id, {{ load_ts }}, hashdiff, {{ attributes | join(', ') }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_stream AS cur WHERE cur.hk_stream = changes.hk_stream)
    ORDER BY hk_stream
)
INSERT INTO vault.s_stream (hk_stream, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
SELECT hk_stream, {{ load_ts }}, hashdiff, is_deleted, {{ attributes | join(', ') }}, 'source.stream'
-- in index order, so the btree is written sequentially
FROM changes
ORDER BY hk_stream;
