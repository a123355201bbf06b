-- Current state of the vault, as views: the latest satellite row of every key that is not deleted,
-- the relationships whose effectivity is current, and the feed of the ClickHouse mart.
-- depends: 0004_vault

CREATE VIEW vault.v_course AS
SELECT h.course_id, s.*
FROM vault.h_course AS h
JOIN (SELECT DISTINCT ON (hk_course) * FROM vault.s_course ORDER BY hk_course, load_ts DESC) AS s
    USING (hk_course)
WHERE NOT s.is_deleted;

CREATE VIEW vault.v_stream AS
SELECT h.stream_id, s.*
FROM vault.h_stream AS h
JOIN (SELECT DISTINCT ON (hk_stream) * FROM vault.s_stream ORDER BY hk_stream, load_ts DESC) AS s
    USING (hk_stream)
WHERE NOT s.is_deleted;

CREATE VIEW vault.v_module AS
SELECT h.module_id, s.*
FROM vault.h_module AS h
JOIN (SELECT DISTINCT ON (hk_module) * FROM vault.s_module ORDER BY hk_module, load_ts DESC) AS s
    USING (hk_module)
WHERE NOT s.is_deleted;

CREATE VIEW vault.v_lesson AS
SELECT h.lesson_id, s.*
FROM vault.h_lesson AS h
JOIN (SELECT DISTINCT ON (hk_lesson) * FROM vault.s_lesson ORDER BY hk_lesson, load_ts DESC) AS s
    USING (hk_lesson)
WHERE NOT s.is_deleted;

CREATE VIEW vault.v_course_stream AS
SELECT l.hk_course, l.hk_stream
FROM vault.l_course_stream AS l
JOIN (
    SELECT DISTINCT ON (hk_course_stream) hk_course_stream, is_deleted
    FROM vault.s_course_stream_eff ORDER BY hk_course_stream, load_ts DESC
) AS e USING (hk_course_stream)
WHERE NOT e.is_deleted;

CREATE VIEW vault.v_stream_module AS
SELECT l.hk_stream, l.hk_module
FROM vault.l_stream_module AS l
JOIN (
    SELECT DISTINCT ON (hk_stream_module) hk_stream_module, is_deleted
    FROM vault.s_stream_module_eff ORDER BY hk_stream_module, load_ts DESC
) AS e USING (hk_stream_module)
WHERE NOT e.is_deleted;

CREATE VIEW vault.v_module_lesson AS
SELECT l.hk_module, l.hk_lesson
FROM vault.l_module_lesson AS l
JOIN (
    SELECT DISTINCT ON (hk_module_lesson) hk_module_lesson, is_deleted
    FROM vault.s_module_lesson_eff ORDER BY hk_module_lesson, load_ts DESC
) AS e USING (hk_module_lesson)
WHERE NOT e.is_deleted;

-- One row per (course, stream, module, lesson) with the original mart's column names; a course
-- without streams (or a stream without modules, a module without lessons) still gives one row.
-- row_key identifies the row, hashdiff its content: the mart loads only what differs.
CREATE VIEW vault.v_dm_courses_modules_lessons_streams AS
WITH mart_rows AS (
    SELECT
        c.course_id,
        st.stream_id,
        mo.module_id,
        le.lesson_id,
        c.title                        AS h_course_title,
        c.icon_url                     AS s_course_icon_url,
        c.is_auto_course_enroll        AS s_course_is_auto_course_enroll,
        c.is_demo_enroll               AS s_course_is_demo_enroll,
        c.created_at                   AS s_course_created_at,
        c.updated_at                   AS s_course_updated_at,
        c.deleted_at                   AS s_course_deleted_at,
        mo.title                       AS h_module_title,
        mo.order_in_stream             AS l_module_order_in_stream,
        mo.created_at                  AS s_module_created_at,
        mo.updated_at                  AS s_module_updated_at,
        mo.deleted_at                  AS s_module_deleted_at,
        le.title                       AS h_lesson_title,
        le.description                 AS s_lesson_description,
        le.teacher_id                  AS s_lesson_teacher_id,
        le.start_at                    AS s_lesson_start_at,
        le.end_at                      AS s_lesson_end_at,
        le.homework_url                AS s_lesson_homework_url,
        le.online_lesson_join_url      AS s_lesson_online_lesson_join_url,
        le.online_lesson_recording_url AS s_lesson_online_lesson_recording_url,
        le.deleted_at                  AS s_lesson_deleted_at,
        st.name                        AS h_stream_name,
        st.is_open                     AS s_stream_is_open,
        st.homework_deadline_days      AS s_stream_homework_deadline_days,
        st.start_at                    AS s_stream_start_at,
        st.end_at                      AS s_stream_end_at,
        st.created_at                  AS s_stream_created_at,
        st.updated_at                  AS s_stream_updated_at,
        st.deleted_at                  AS s_stream_deleted_at
    FROM vault.v_course AS c
    LEFT JOIN (vault.v_course_stream AS cs JOIN vault.v_stream AS st USING (hk_stream))
        ON cs.hk_course = c.hk_course
    LEFT JOIN (vault.v_stream_module AS sm JOIN vault.v_module AS mo USING (hk_module))
        ON sm.hk_stream = st.hk_stream
    LEFT JOIN (vault.v_module_lesson AS ml JOIN vault.v_lesson AS le USING (hk_lesson))
        ON ml.hk_module = mo.hk_module
)
SELECT
    md5(ROW(r.course_id, r.stream_id, r.module_id, r.lesson_id)::text)::uuid AS row_key,
    md5(r::text)::uuid AS hashdiff,
    r.*
FROM mart_rows AS r;
