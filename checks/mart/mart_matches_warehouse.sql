-- mart_matches_warehouse: the consumer view holds exactly the rows of the warehouse's current state
-- (vault.v_dm_courses_modules_lessons_streams), compared by (course, stream, module, lesson).
WITH
    mart_rows AS (
        SELECT concat(toString(course_id), '/', toString(stream_id), '/', toString(module_id), '/',
                      toString(lesson_id)) AS row_ids
        FROM {{ mart }}.dm_courses_modules_lessons_streams
    ),
    warehouse_rows AS (
        SELECT concat(toString(course_id), '/', toString(stream_id), '/', toString(module_id), '/',
                      toString(lesson_id)) AS row_ids
        FROM {{ warehouse('vault', 'v_dm_courses_modules_lessons_streams') }}
    )
SELECT 'only in the mart' AS tbl, row_ids AS offending_key FROM mart_rows
WHERE row_ids NOT IN (SELECT row_ids FROM warehouse_rows)
UNION ALL
SELECT 'only in the warehouse', row_ids FROM warehouse_rows
WHERE row_ids NOT IN (SELECT row_ids FROM mart_rows)
