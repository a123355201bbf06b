-- l_module_lesson: every module-lesson relationship ever seen in the source, once.
INSERT INTO vault.l_module_lesson (hk_module_lesson, hk_module, hk_lesson, load_ts, record_source)
SELECT stg.hk_module_lesson, stg.hk_module, stg.hk_lesson, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
WHERE stg.hk_module_lesson IS NOT NULL
  AND NOT EXISTS (SELECT FROM vault.l_module_lesson AS l WHERE l.hk_module_lesson = stg.hk_module_lesson);
