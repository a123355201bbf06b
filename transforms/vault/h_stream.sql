-- h_stream: one row per stream id ever seen, as a stream or as a module's stream.
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.h_stream']) }}
INSERT INTO vault.h_stream (hk_stream, stream_id, load_ts, record_source)
SELECT DISTINCT ON (seen.hk_stream) seen.hk_stream, seen.stream_id, {{ load_ts }}, seen.record_source
FROM (
    SELECT hk_stream, stream_id, 'source.stream' AS record_source FROM {{ ref('stg_stream') }}
    UNION ALL
    SELECT hk_stream, stream_id, 'source.stream_module' FROM {{ ref('stg_module') }} WHERE hk_stream IS NOT NULL
) AS seen
WHERE NOT EXISTS (SELECT FROM vault.h_stream AS h WHERE h.hk_stream = seen.hk_stream)
-- a key seen in both places is recorded from its own table
ORDER BY seen.hk_stream, seen.record_source = 'source.stream' DESC;
