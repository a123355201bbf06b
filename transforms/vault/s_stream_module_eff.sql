-- s_stream_module_eff: a row when a stream-module relationship becomes current, and one when it stops (the module
-- moved to another stream, lost its stream, or vanished). vault.cur_stream_module, each module's current stream,
-- follows in the same statement.
{#- The delta in staging stays until this run has moved the current state; every step that reads
    it without moving the current state runs first, and l_stream_module holds every link it names. -#}
{{ after('h_stream', 'h_module', 'l_stream_module') }}
{% from 'macros.sql' import hash_key, fresh_when_empty %}
{{ fresh_when_empty(['vault.s_stream_module_eff', 'vault.cur_stream_module']) }}
WITH changes AS (
    -- modules whose stream is new or different: that relationship becomes current
    SELECT {{ hash_key(['stg.stream_id', 'stg.module_id']) }} AS hk_stream_module,
           stg.hk_stream, stg.hk_module, stg.stream_id, stg.module_id, false AS is_deleted
    FROM {{ ref('stg_module') }} AS stg
    LEFT JOIN vault.cur_stream_module AS cur USING (hk_module)
    WHERE stg.hk_stream IS NOT NULL
      AND (cur.hk_module IS NULL OR cur.hk_stream <> stg.hk_stream)
    UNION ALL
    -- current relationships the delta ends: the module vanished, lost its stream or moved
    SELECT cur.hk_stream_module, cur.hk_stream, cur.hk_module, cur.stream_id, cur.module_id, true
    FROM vault.cur_stream_module AS cur
    JOIN {{ ref('stg_module') }} AS stg USING (hk_module)
    WHERE stg.hk_stream IS DISTINCT FROM cur.hk_stream
    -- sorted once, in the effectivity satellite's index order: PostgreSQL 17+ writes it below
    -- without sorting again
    ORDER BY hk_stream_module
),
gone AS (
    -- modules left without a current stream (one that moved is updated below instead)
    DELETE FROM vault.cur_stream_module AS cur
    USING changes
    WHERE changes.is_deleted
      AND cur.hk_module = changes.hk_module
      AND NOT EXISTS (SELECT FROM changes AS moved WHERE moved.hk_module = cur.hk_module AND NOT moved.is_deleted)
),
moved AS (
    UPDATE vault.cur_stream_module AS cur
    SET hk_stream = changes.hk_stream, hk_stream_module = changes.hk_stream_module, stream_id = changes.stream_id,
        load_ts = {{ load_ts }}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_module = changes.hk_module
),
added AS (
    INSERT INTO vault.cur_stream_module (hk_module, hk_stream, hk_stream_module, module_id, stream_id, load_ts)
    SELECT hk_module, hk_stream, hk_stream_module, module_id, stream_id, {{ load_ts }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_stream_module AS cur WHERE cur.hk_module = changes.hk_module)
    ORDER BY hk_module
)
INSERT INTO vault.s_stream_module_eff (hk_stream_module, load_ts, is_deleted, record_source)
SELECT hk_stream_module, {{ load_ts }}, is_deleted, 'source.stream_module'
FROM changes
ORDER BY hk_stream_module;
