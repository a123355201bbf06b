-- h_lesson: one row per stream_module_lesson id ever seen.
{% from 'macros.sql' import fresh_when_empty, drop_indexes_when_empty, build_indexes_dropped %}
{{ fresh_when_empty(['vault.h_lesson']) }}
{{ drop_indexes_when_empty(['vault.h_lesson']) }}
-- the staged lessons not seen before (none on a first load: the statement after this one writes them)
INSERT INTO vault.h_lesson (hk_lesson, lesson_id, load_ts, record_source)
SELECT stg.hk_lesson, stg.lesson_id, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
WHERE NOT EXISTS (SELECT FROM vault.h_lesson AS h WHERE h.hk_lesson = stg.hk_lesson)
  AND EXISTS (SELECT FROM vault.h_lesson)
-- in index order, so the btree is written sequentially
ORDER BY stg.hk_lesson;

-- a first load (the hub is empty): every staged lesson, as staged, without the sort and anti-join above.
-- The index is built after the rows (drop_indexes_when_empty) or, for a role that does not own the hub,
-- kept row by row
INSERT INTO vault.h_lesson (hk_lesson, lesson_id, load_ts, record_source)
SELECT hk_lesson, lesson_id, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }}
WHERE NOT EXISTS (SELECT FROM vault.h_lesson);

{{ build_indexes_dropped() }}
