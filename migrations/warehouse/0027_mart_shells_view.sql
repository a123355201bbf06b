-- The upper rows without a lesson (a module without a current lesson, a stream without a module, a course
-- without a stream) are a view of their own, vault.v_dm_shells, which the mart's view uses. The mart's
-- first load, and the check after it, read it there instead of finding those rows in ClickHouse: ClickHouse
-- does not keep a WITH query's rows, so they read every current placement and lesson id from the warehouse
-- a second time for it (at 1M lessons 0.35 s and 0.75-1.0 s of CPU of each, on a stock PostgreSQL 15),
-- where the warehouse finds them by an index lookup for each of the few upper rows (migration 0022).
-- depends: 0026_staged_module_lesson_key

CREATE VIEW vault.v_dm_shells AS
SELECT u.*
FROM vault.v_dm_upper AS u
-- whether the module has a current lesson: its first placement whose lesson is current, looked up by
-- the placements' index on hk_module, once for each of the few upper rows
LEFT JOIN LATERAL (
    SELECT true AS found
    FROM vault.cur_module_lesson AS ml
    JOIN vault.cur_lesson USING (hk_lesson)
    WHERE ml.hk_module = u.hk_module
    LIMIT 1
) AS lesson ON true
WHERE u.hk_module IS NULL OR lesson.found IS NULL;

CREATE OR REPLACE VIEW vault.v_dm_courses_modules_lessons_streams AS
SELECT
    u.course_id,
    u.stream_id,
    u.module_id,
    le.lesson_id,
    u.h_course_title,
    u.s_course_icon_url,
    u.s_course_is_auto_course_enroll,
    u.s_course_is_demo_enroll,
    u.s_course_created_at,
    u.s_course_updated_at,
    u.s_course_deleted_at,
    u.h_module_title,
    u.l_module_order_in_stream,
    u.s_module_created_at,
    u.s_module_updated_at,
    u.s_module_deleted_at,
    le.title AS h_lesson_title,
    le.description AS s_lesson_description,
    le.teacher_id AS s_lesson_teacher_id,
    le.start_at AS s_lesson_start_at,
    le.end_at AS s_lesson_end_at,
    le.homework_url AS s_lesson_homework_url,
    le.online_lesson_join_url AS s_lesson_online_lesson_join_url,
    le.online_lesson_recording_url AS s_lesson_online_lesson_recording_url,
    le.deleted_at AS s_lesson_deleted_at,
    u.h_stream_name,
    u.s_stream_is_open,
    u.s_stream_homework_deadline_days,
    u.s_stream_start_at,
    u.s_stream_end_at,
    u.s_stream_created_at,
    u.s_stream_updated_at,
    u.s_stream_deleted_at
FROM vault.cur_lesson AS le
-- a lesson's upper row is its module's: v_dm_module, not the whole of v_dm_upper
LEFT JOIN vault.cur_module_lesson AS ml USING (hk_lesson)
LEFT JOIN vault.v_dm_module AS u ON u.hk_module = ml.hk_module
UNION ALL
SELECT
    s.course_id,
    s.stream_id,
    s.module_id,
    NULL AS lesson_id,
    s.h_course_title,
    s.s_course_icon_url,
    s.s_course_is_auto_course_enroll,
    s.s_course_is_demo_enroll,
    s.s_course_created_at,
    s.s_course_updated_at,
    s.s_course_deleted_at,
    s.h_module_title,
    s.l_module_order_in_stream,
    s.s_module_created_at,
    s.s_module_updated_at,
    s.s_module_deleted_at,
    NULL AS h_lesson_title,
    NULL AS s_lesson_description,
    NULL AS s_lesson_teacher_id,
    NULL AS s_lesson_start_at,
    NULL AS s_lesson_end_at,
    NULL AS s_lesson_homework_url,
    NULL AS s_lesson_online_lesson_join_url,
    NULL AS s_lesson_online_lesson_recording_url,
    NULL AS s_lesson_deleted_at,
    s.h_stream_name,
    s.s_stream_is_open,
    s.s_stream_homework_deadline_days,
    s.s_stream_start_at,
    s.s_stream_end_at,
    s.s_stream_created_at,
    s.s_stream_updated_at,
    s.s_stream_deleted_at
FROM vault.v_dm_shells AS s;
