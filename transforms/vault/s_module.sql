-- s_module: a new row when a module's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back. vault.cur_module, the
-- current state, follows in the same statement.
{#- The delta in staging stays until this run has moved the current state; every step that reads
    it without moving the current state runs first. -#}
{{ after('h_module', 'h_stream', 'l_stream_module') }}
{% set attributes = ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'] %}
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.s_module', 'vault.cur_module']) }}
WITH changes AS (
    -- new keys, changed attributes, and keys back after a deletion
    SELECT stg.hk_module, stg.module_id, stg.hashdiff, false AS is_deleted, stg.{{ attributes | join(', stg.') }}
    FROM {{ ref('stg_module') }} AS stg
    LEFT JOIN vault.cur_module AS cur USING (hk_module)
    WHERE NOT stg.vanished AND (cur.hk_module IS NULL OR cur.hashdiff <> stg.hashdiff)
    UNION ALL
    -- current keys gone from the source: their last attributes again, flagged deleted
    SELECT cur.hk_module, cur.module_id, cur.hashdiff, true, cur.{{ attributes | join(', cur.') }}
    FROM vault.cur_module AS cur
    JOIN {{ ref('stg_module') }} AS stg USING (hk_module)
    WHERE stg.vanished
    -- sorted once, in the satellite's index order: PostgreSQL 17+ writes it and the current
    -- state below without sorting again
    ORDER BY hk_module
),
gone AS (
    DELETE FROM vault.cur_module AS cur
    USING changes
    WHERE changes.is_deleted AND cur.hk_module = changes.hk_module
),
changed AS (
    UPDATE vault.cur_module AS cur
    SET load_ts = {{ load_ts }}, hashdiff = changes.hashdiff,
{% for attribute in attributes %}
        {{ attribute }} = changes.{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_module = changes.hk_module
),
added AS (
    INSERT INTO vault.cur_module (hk_module, module_id, load_ts, hashdiff, {{ attributes | join(', ') }})
    SELECT hk_module, module_id, {{ load_ts }}, hashdiff, {{ attributes | join(', ') }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_module AS cur WHERE cur.hk_module = changes.hk_module)
    ORDER BY hk_module
)
INSERT INTO vault.s_module (hk_module, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
SELECT hk_module, {{ load_ts }}, hashdiff, is_deleted, {{ attributes | join(', ') }}, 'source.stream_module'
-- in index order, so the btree is written sequentially
FROM changes
ORDER BY hk_module;
