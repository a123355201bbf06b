-- s_stream: a new row when a stream's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back.
{% set attributes = ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at', 'created_at', 'updated_at', 'deleted_at'] %}
WITH latest AS (
    SELECT DISTINCT ON (hk_stream) *
    FROM vault.s_stream
    ORDER BY hk_stream, load_ts DESC
)
INSERT INTO vault.s_stream (hk_stream, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
-- new keys, changed attributes, and keys back after a deletion
SELECT stg.hk_stream, {{ load_ts }}, stg.hashdiff, false, stg.{{ attributes | join(', stg.') }}, 'source.stream'
FROM {{ ref('stg_stream') }} AS stg
LEFT JOIN latest USING (hk_stream)
WHERE latest.hk_stream IS NULL OR latest.is_deleted OR latest.hashdiff <> stg.hashdiff
UNION ALL
-- keys gone from the source: the last attributes again, flagged deleted
SELECT latest.hk_stream, {{ load_ts }}, latest.hashdiff, true, latest.{{ attributes | join(', latest.') }}, 'source.stream'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_stream') }} AS stg WHERE stg.hk_stream = latest.hk_stream);
