-- s_module: a new row when a module's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back.
{% set attributes = ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'] %}
WITH latest AS (
    SELECT DISTINCT ON (hk_module) *
    FROM vault.s_module
    ORDER BY hk_module, load_ts DESC
)
INSERT INTO vault.s_module (hk_module, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
-- new keys, changed attributes, and keys back after a deletion
SELECT stg.hk_module, {{ load_ts }}, stg.hashdiff, false, stg.{{ attributes | join(', stg.') }}, 'source.stream_module'
FROM {{ ref('stg_module') }} AS stg
LEFT JOIN latest USING (hk_module)
WHERE latest.hk_module IS NULL OR latest.is_deleted OR latest.hashdiff <> stg.hashdiff
UNION ALL
-- keys gone from the source: the last attributes again, flagged deleted
SELECT latest.hk_module, {{ load_ts }}, latest.hashdiff, true, latest.{{ attributes | join(', latest.') }}, 'source.stream_module'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_module') }} AS stg WHERE stg.hk_module = latest.hk_module);
