-- l_stream_module: every stream-module relationship ever seen in the source, once.
{% from 'macros.sql' import hash_key, fresh_when_empty %}
{{ fresh_when_empty(['vault.l_stream_module']) }}
INSERT INTO vault.l_stream_module (hk_stream_module, hk_stream, hk_module, load_ts, record_source)
SELECT seen.hk_stream_module, seen.hk_stream, seen.hk_module, {{ load_ts }}, 'source.stream_module'
FROM (
    -- only a module whose stream is not its current one can bring a relationship not seen before
    SELECT {{ hash_key(['stg.stream_id', 'stg.module_id']) }} AS hk_stream_module, stg.hk_stream, stg.hk_module
    FROM {{ ref('stg_module') }} AS stg
    LEFT JOIN vault.cur_stream_module AS cur USING (hk_module)
    WHERE stg.hk_stream IS NOT NULL
      AND (cur.hk_module IS NULL OR cur.hk_stream <> stg.hk_stream)
    -- OFFSET 0 keeps this subquery apart, so each hash key is computed once (not again for the anti-join)
    OFFSET 0
) AS seen
WHERE NOT EXISTS (SELECT FROM vault.l_stream_module AS l WHERE l.hk_stream_module = seen.hk_stream_module)
-- in index order, so the btree is written sequentially
ORDER BY seen.hk_stream_module;
