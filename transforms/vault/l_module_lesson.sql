-- l_module_lesson: every module-lesson relationship ever seen in the source, once.
{% from 'macros.sql' import fresh_when_empty, drop_indexes_when_empty, build_indexes_dropped %}
{{ fresh_when_empty(['vault.l_module_lesson']) }}
{{ drop_indexes_when_empty(['vault.l_module_lesson']) }}
-- the relationships not seen before (none on a first load: the statement after this one writes them)
INSERT INTO vault.l_module_lesson (hk_module_lesson, hk_module, hk_lesson, load_ts, record_source)
SELECT stg.hk_module_lesson, stg.hk_module, stg.hk_lesson, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
-- only a lesson whose module is not its current one can bring a relationship not seen before
LEFT JOIN vault.cur_module_lesson AS cur USING (hk_lesson)
WHERE stg.hk_module IS NOT NULL
  AND (cur.hk_lesson IS NULL OR cur.hk_module <> stg.hk_module)
  AND NOT EXISTS (SELECT FROM vault.l_module_lesson AS l WHERE l.hk_module_lesson = stg.hk_module_lesson)
  AND EXISTS (SELECT FROM vault.l_module_lesson)
-- in index order, so the btree is written sequentially
ORDER BY stg.hk_module_lesson;

-- a first load (the link is empty): every staged lesson's relationship, as staged, without the join, sort
-- and anti-join above. The index is built after the rows (drop_indexes_when_empty) or, for a role that does
-- not own the link, kept row by row
INSERT INTO vault.l_module_lesson (hk_module_lesson, hk_module, hk_lesson, load_ts, record_source)
SELECT hk_module_lesson, hk_module, hk_lesson, {{ load_ts }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }}
WHERE hk_module IS NOT NULL AND NOT EXISTS (SELECT FROM vault.l_module_lesson);

{{ build_indexes_dropped() }}
