-- h_lesson: one row per stream_module_lesson id ever seen.
{% from 'macros.sql' import fresh_when_empty, drop_indexes_when_empty, build_indexes_dropped %}
{{ fresh_when_empty(['vault.h_lesson']) }}
{{ drop_indexes_when_empty(['vault.h_lesson']) }}
INSERT INTO vault.h_lesson (hk_lesson, lesson_id, load_ts, record_source)
SELECT stg.hk_lesson, stg.lesson_id, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
WHERE NOT EXISTS (SELECT FROM vault.h_lesson AS h WHERE h.hk_lesson = stg.hk_lesson)
-- in index order, so the btree is written sequentially
ORDER BY stg.hk_lesson;

{{ build_indexes_dropped() }}
