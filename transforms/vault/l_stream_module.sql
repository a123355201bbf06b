-- l_stream_module: every stream-module relationship ever seen in the source, once.
INSERT INTO vault.l_stream_module (hk_stream_module, hk_stream, hk_module, load_ts, record_source)
SELECT stg.hk_stream_module, stg.hk_stream, stg.hk_module, {{ load_ts }}, 'source.stream_module'
FROM {{ ref('stg_module') }} AS stg
WHERE stg.hk_stream_module IS NOT NULL
  AND NOT EXISTS (SELECT FROM vault.l_stream_module AS l WHERE l.hk_stream_module = stg.hk_stream_module);
