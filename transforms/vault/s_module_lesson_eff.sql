-- s_module_lesson_eff: a row when a module-lesson relationship becomes current, and one when it stops
-- (the lesson moved to another module, lost its module, or vanished from the source).
WITH latest AS (
    SELECT DISTINCT ON (hk_module_lesson) hk_module_lesson, is_deleted
    FROM vault.s_module_lesson_eff
    ORDER BY hk_module_lesson, load_ts DESC
)
INSERT INTO vault.s_module_lesson_eff (hk_module_lesson, load_ts, is_deleted, record_source)
-- relationships in this run's snapshot that were not current
SELECT stg.hk_module_lesson, {{ load_ts }}, false, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
LEFT JOIN latest USING (hk_module_lesson)
WHERE stg.hk_module_lesson IS NOT NULL
  AND (latest.hk_module_lesson IS NULL OR latest.is_deleted)
UNION ALL
-- current relationships missing from this run's snapshot
SELECT latest.hk_module_lesson, {{ load_ts }}, true, 'source.stream_module_lesson'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_lesson') }} AS stg WHERE stg.hk_module_lesson = latest.hk_module_lesson);
