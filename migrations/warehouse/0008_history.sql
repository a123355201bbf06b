-- History for analysts: every satellite row with the time it was valid in the warehouse
-- [valid_from, valid_to), and the catalog as the warehouse knew it at any moment.
-- depends: 0004_vault

CREATE VIEW vault.v_course_history AS
SELECT h.course_id, s.title, s.icon_url, s.is_auto_course_enroll, s.is_demo_enroll, s.created_at, s.updated_at,
       s.deleted_at, s.is_deleted, s.load_ts AS valid_from,
       lead(s.load_ts) OVER (PARTITION BY s.hk_course ORDER BY s.load_ts) AS valid_to
FROM vault.s_course AS s JOIN vault.h_course AS h USING (hk_course);

CREATE VIEW vault.v_stream_history AS
SELECT h.stream_id, s.name, s.is_open, s.homework_deadline_days, s.start_at, s.end_at, s.created_at, s.updated_at,
       s.deleted_at, s.is_deleted, s.load_ts AS valid_from,
       lead(s.load_ts) OVER (PARTITION BY s.hk_stream ORDER BY s.load_ts) AS valid_to
FROM vault.s_stream AS s JOIN vault.h_stream AS h USING (hk_stream);

CREATE VIEW vault.v_module_history AS
SELECT h.module_id, s.title, s.order_in_stream, s.created_at, s.updated_at, s.deleted_at, s.is_deleted,
       s.load_ts AS valid_from,
       lead(s.load_ts) OVER (PARTITION BY s.hk_module ORDER BY s.load_ts) AS valid_to
FROM vault.s_module AS s JOIN vault.h_module AS h USING (hk_module);

CREATE VIEW vault.v_lesson_history AS
SELECT h.lesson_id, s.title, s.description, s.teacher_id, s.start_at, s.end_at, s.homework_url,
       s.online_lesson_join_url, s.online_lesson_recording_url, s.deleted_at, s.is_deleted, s.load_ts AS valid_from,
       lead(s.load_ts) OVER (PARTITION BY s.hk_lesson ORDER BY s.load_ts) AS valid_to
FROM vault.s_lesson AS s JOIN vault.h_lesson AS h USING (hk_lesson);

-- Relationships: which parent a child had, and when.
CREATE VIEW vault.v_course_stream_history AS
SELECT hc.course_id, hs.stream_id, e.is_deleted, e.load_ts AS valid_from,
       lead(e.load_ts) OVER (PARTITION BY e.hk_course_stream ORDER BY e.load_ts) AS valid_to
FROM vault.s_course_stream_eff AS e
JOIN vault.l_course_stream AS l USING (hk_course_stream)
JOIN vault.h_course AS hc ON hc.hk_course = l.hk_course
JOIN vault.h_stream AS hs ON hs.hk_stream = l.hk_stream;

CREATE VIEW vault.v_stream_module_history AS
SELECT hs.stream_id, hm.module_id, e.is_deleted, e.load_ts AS valid_from,
       lead(e.load_ts) OVER (PARTITION BY e.hk_stream_module ORDER BY e.load_ts) AS valid_to
FROM vault.s_stream_module_eff AS e
JOIN vault.l_stream_module AS l USING (hk_stream_module)
JOIN vault.h_stream AS hs ON hs.hk_stream = l.hk_stream
JOIN vault.h_module AS hm ON hm.hk_module = l.hk_module;

CREATE VIEW vault.v_module_lesson_history AS
SELECT hm.module_id, hl.lesson_id, e.is_deleted, e.load_ts AS valid_from,
       lead(e.load_ts) OVER (PARTITION BY e.hk_module_lesson ORDER BY e.load_ts) AS valid_to
FROM vault.s_module_lesson_eff AS e
JOIN vault.l_module_lesson AS l USING (hk_module_lesson)
JOIN vault.h_module AS hm ON hm.hk_module = l.hk_module
JOIN vault.h_lesson AS hl ON hl.hk_lesson = l.hk_lesson;

-- The catalog tree (the mart's grain and meaning, orphans included) as the warehouse knew it at
-- `as_of`:
--   SELECT * FROM vault.catalog_as_of('2023-03-01T00:00:00Z');
CREATE FUNCTION vault.catalog_as_of(as_of timestamptz)
RETURNS TABLE (
    course_id integer, course_title text, stream_id integer, stream_name text,
    module_id integer, module_title text, lesson_id integer, lesson_title text,
    lesson_start_at timestamp, lesson_end_at timestamp
)
LANGUAGE sql STABLE
AS $$
    WITH
        course AS (SELECT * FROM vault.v_course_history
                   WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        stream AS (SELECT * FROM vault.v_stream_history
                   WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        module AS (SELECT * FROM vault.v_module_history
                   WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        lesson AS (SELECT * FROM vault.v_lesson_history
                   WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        course_stream AS (SELECT * FROM vault.v_course_stream_history
                          WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        stream_module AS (SELECT * FROM vault.v_stream_module_history
                          WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted),
        module_lesson AS (SELECT * FROM vault.v_module_lesson_history
                          WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted)
    -- as the mart: every lesson under whatever module, stream and course it had; every module
    -- without lessons, stream without modules, course without streams
    SELECT c.course_id, c.title, st.stream_id, st.name, mo.module_id, mo.title, le.lesson_id, le.title,
           le.start_at, le.end_at
    FROM lesson AS le
    LEFT JOIN (module_lesson AS ml JOIN module AS mo USING (module_id)) USING (lesson_id)
    LEFT JOIN (stream_module AS sm JOIN stream AS st USING (stream_id)) ON sm.module_id = mo.module_id
    LEFT JOIN (course_stream AS cs JOIN course AS c USING (course_id)) ON cs.stream_id = st.stream_id
    UNION ALL
    SELECT c.course_id, c.title, st.stream_id, st.name, mo.module_id, mo.title, NULL, NULL, NULL, NULL
    FROM module AS mo
    LEFT JOIN (stream_module AS sm JOIN stream AS st USING (stream_id)) USING (module_id)
    LEFT JOIN (course_stream AS cs JOIN course AS c USING (course_id)) ON cs.stream_id = st.stream_id
    WHERE NOT EXISTS (SELECT FROM module_lesson AS ml JOIN lesson USING (lesson_id) WHERE ml.module_id = mo.module_id)
    UNION ALL
    SELECT c.course_id, c.title, st.stream_id, st.name, NULL, NULL, NULL, NULL, NULL, NULL
    FROM stream AS st
    LEFT JOIN (course_stream AS cs JOIN course AS c USING (course_id)) USING (stream_id)
    WHERE NOT EXISTS (SELECT FROM stream_module AS sm JOIN module USING (module_id) WHERE sm.stream_id = st.stream_id)
    UNION ALL
    SELECT c.course_id, c.title, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM course AS c
    WHERE NOT EXISTS (SELECT FROM course_stream AS cs JOIN stream USING (stream_id) WHERE cs.course_id = c.course_id)
$$;
