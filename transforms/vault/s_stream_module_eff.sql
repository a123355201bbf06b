-- s_stream_module_eff: a row when a stream-module relationship becomes current, and one when it stops
-- (the module moved to another stream, lost its stream, or vanished from the source).
WITH latest AS (
    SELECT DISTINCT ON (hk_stream_module) hk_stream_module, is_deleted
    FROM vault.s_stream_module_eff
    ORDER BY hk_stream_module, load_ts DESC
)
INSERT INTO vault.s_stream_module_eff (hk_stream_module, load_ts, is_deleted, record_source)
-- relationships in this run's snapshot that were not current
SELECT stg.hk_stream_module, {{ load_ts }}, false, 'source.stream_module'
FROM {{ ref('stg_module') }} AS stg
LEFT JOIN latest USING (hk_stream_module)
WHERE stg.hk_stream_module IS NOT NULL
  AND (latest.hk_stream_module IS NULL OR latest.is_deleted)
UNION ALL
-- current relationships missing from this run's snapshot
SELECT latest.hk_stream_module, {{ load_ts }}, true, 'source.stream_module'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_module') }} AS stg WHERE stg.hk_stream_module = latest.hk_stream_module);
