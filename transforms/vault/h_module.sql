-- h_module: one row per stream_module id ever seen, as a module or as a lesson's module.
{% from 'macros.sql' import fresh_when_empty %}
{{ fresh_when_empty(['vault.h_module']) }}
INSERT INTO vault.h_module (hk_module, module_id, load_ts, record_source)
SELECT DISTINCT ON (seen.hk_module) seen.hk_module, seen.module_id, {{ load_ts }}, seen.record_source
FROM (
    SELECT hk_module, module_id, 'source.stream_module' AS record_source FROM {{ ref('stg_module') }}
    UNION ALL
    -- each lesson's module once (a hash aggregate: a module has many lessons, and sorting them all cost a second at 1M)
    SELECT DISTINCT hk_module, module_id, 'source.stream_module_lesson'
    FROM {{ ref('stg_lesson') }} WHERE hk_module IS NOT NULL
) AS seen
WHERE NOT EXISTS (SELECT FROM vault.h_module AS h WHERE h.hk_module = seen.hk_module)
-- a key seen in both places is recorded from its own table
ORDER BY seen.hk_module, seen.record_source = 'source.stream_module' DESC;
