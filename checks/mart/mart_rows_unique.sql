-- mart_rows_unique: the consumer view shows each row key once and each (course, stream, module,
-- lesson) once, empty levels included. After a run (scoped), the rows anchored at the keys it reloaded
-- (its staging.stg_dm_scope, as its mart step copied it: each row at its deepest key, as the mart step
-- chose them; a duplicate has its original's ids, so its anchor too); after a run that loaded an empty
-- mart, every row.
{% from 'macros.sql' import anchored_in %}
WITH rows AS (
    SELECT dm_course_module_lesson_stream_uuid AS row_key, course_id, stream_id, module_id, lesson_id
    FROM {{ mart }}.dm_courses_modules_lessons_streams
{% if scoped and not mart_was_empty %}
    -- the row keys anchored at the run's keys (a module's childless row, not its lessons, when only
    -- that row was reloaded), found in the data table's narrow id columns, so that the view's FINAL
    -- reads only their granules
    WHERE dm_course_module_lesson_stream_uuid GLOBAL IN (
        SELECT row_key FROM {{ mart_data }} WHERE {{ anchored_in(scope) | indent(8) }}
    )
{% endif %}
)
SELECT 'row key shown more than once' AS tbl, toString(row_key) AS offending_key
FROM rows GROUP BY row_key HAVING count() > 1
UNION ALL
SELECT 'ids shown more than once',
       concat(ifNull(toString(course_id), '-'), '/', ifNull(toString(stream_id), '-'), '/',
              ifNull(toString(module_id), '-'), '/', ifNull(toString(lesson_id), '-'))
FROM rows GROUP BY course_id, stream_id, module_id, lesson_id HAVING count() > 1
