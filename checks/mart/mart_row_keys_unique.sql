-- mart_row_keys_unique: the consumer view shows each row key once.
SELECT '{{ mart }}.dm_courses_modules_lessons_streams' AS tbl, toString(dm_course_module_lesson_stream_uuid) AS offending_key
FROM {{ mart }}.dm_courses_modules_lessons_streams
GROUP BY dm_course_module_lesson_stream_uuid
HAVING count() > 1
