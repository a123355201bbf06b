-- The current state of the vault, kept beside the history so no run has to dig it out of it:
-- cur_<entity> holds the latest attributes of every key that is not deleted, cur_<relationship>
-- the current parent of every child. They are written by the satellite transforms in the same
-- statement as the satellite rows they mirror (so they never disagree), and can be rebuilt from the
-- satellites at any time. The views below build the mart's rows from them.
-- depends: 0004_vault

CREATE TABLE vault.cur_course (
    hk_course             uuid PRIMARY KEY,
    course_id             integer NOT NULL,
    load_ts               timestamptz NOT NULL,
    hashdiff              bigint NOT NULL,
    title                 text,
    icon_url              text,
    is_auto_course_enroll boolean,
    is_demo_enroll        boolean,
    created_at            timestamp,
    updated_at            timestamp,
    deleted_at            timestamp
);

CREATE TABLE vault.cur_stream (
    hk_stream              uuid PRIMARY KEY,
    stream_id              integer NOT NULL,
    load_ts                timestamptz NOT NULL,
    hashdiff               bigint NOT NULL,
    name                   text,
    is_open                boolean,
    homework_deadline_days integer,
    start_at               timestamp,
    end_at                 timestamp,
    created_at             timestamp,
    updated_at             timestamp,
    deleted_at             timestamp
);

CREATE TABLE vault.cur_module (
    hk_module       uuid PRIMARY KEY,
    module_id       integer NOT NULL,
    load_ts         timestamptz NOT NULL,
    hashdiff        bigint NOT NULL,
    title           text,
    order_in_stream integer,
    created_at      timestamp,
    updated_at      timestamp,
    deleted_at      timestamp
);

CREATE TABLE vault.cur_lesson (
    hk_lesson                   uuid PRIMARY KEY,
    lesson_id                   integer NOT NULL,
    load_ts                     timestamptz NOT NULL,
    hashdiff                    bigint NOT NULL,
    title                       text,
    description                 text,
    teacher_id                  integer,
    start_at                    timestamp,
    end_at                      timestamp,
    homework_url                text,
    online_lesson_join_url      text,
    online_lesson_recording_url text,
    deleted_at                  timestamp
);

-- One row per child: its current parent.
CREATE TABLE vault.cur_course_stream (
    hk_stream        uuid PRIMARY KEY,
    hk_course        uuid NOT NULL,
    hk_course_stream uuid NOT NULL,
    load_ts          timestamptz NOT NULL
);
CREATE INDEX ON vault.cur_course_stream (hk_course);

CREATE TABLE vault.cur_stream_module (
    hk_module        uuid PRIMARY KEY,
    hk_stream        uuid NOT NULL,
    hk_stream_module uuid NOT NULL,
    load_ts          timestamptz NOT NULL
);
CREATE INDEX ON vault.cur_stream_module (hk_stream);

CREATE TABLE vault.cur_module_lesson (
    hk_lesson        uuid PRIMARY KEY,
    hk_module        uuid NOT NULL,
    hk_module_lesson uuid NOT NULL,
    load_ts          timestamptz NOT NULL
);
CREATE INDEX ON vault.cur_module_lesson (hk_module);

-- The mart's tree, built from the bottom up: every current entity appears, under whatever current
-- ancestors it has. A parent that is NULL in the source, missing from it or deleted leaves its
-- columns NULL, so an orphan stays visible under an unknown parent instead of being dropped.

-- Every current course, with the mart's column names.
CREATE VIEW vault.v_dm_course AS
SELECT
    c.hk_course,
        c.course_id,
        c.title                 AS h_course_title,
        c.icon_url              AS s_course_icon_url,
        c.is_auto_course_enroll AS s_course_is_auto_course_enroll,
        c.is_demo_enroll        AS s_course_is_demo_enroll,
        c.created_at            AS s_course_created_at,
        c.updated_at            AS s_course_updated_at,
        c.deleted_at            AS s_course_deleted_at
FROM vault.cur_course AS c;

-- Every current stream, with its current course if it has one.
CREATE VIEW vault.v_dm_stream AS
SELECT
    st.hk_stream,
    st.stream_id,
    st.name                   AS h_stream_name,
    st.is_open                AS s_stream_is_open,
    st.homework_deadline_days AS s_stream_homework_deadline_days,
    st.start_at               AS s_stream_start_at,
    st.end_at                 AS s_stream_end_at,
    st.created_at             AS s_stream_created_at,
    st.updated_at             AS s_stream_updated_at,
    st.deleted_at             AS s_stream_deleted_at,
    c.*
FROM vault.cur_stream AS st
LEFT JOIN (vault.cur_course_stream AS cs JOIN vault.v_dm_course AS c USING (hk_course)) USING (hk_stream);

-- Every current module, with its current stream (and that stream's course) if it has one.
CREATE VIEW vault.v_dm_module AS
SELECT
    mo.hk_module,
    mo.module_id,
    mo.title           AS h_module_title,
    mo.order_in_stream AS l_module_order_in_stream,
    mo.created_at      AS s_module_created_at,
    mo.updated_at      AS s_module_updated_at,
    mo.deleted_at      AS s_module_deleted_at,
    s.*
FROM vault.cur_module AS mo
LEFT JOIN (vault.cur_stream_module AS sm JOIN vault.v_dm_stream AS s USING (hk_stream)) USING (hk_module);

-- The rows above the lessons: one per current module; one per current stream without a current
-- module; one per current course without a current stream. Small: the feed joins lessons onto it.
CREATE VIEW vault.v_dm_upper AS
SELECT
    m.course_id,
    m.stream_id,
    m.module_id,
    m.hk_course,
    m.hk_stream,
    m.hk_module,
    m.h_course_title,
    m.s_course_icon_url,
    m.s_course_is_auto_course_enroll,
    m.s_course_is_demo_enroll,
    m.s_course_created_at,
    m.s_course_updated_at,
    m.s_course_deleted_at,
    m.h_module_title,
    m.l_module_order_in_stream,
    m.s_module_created_at,
    m.s_module_updated_at,
    m.s_module_deleted_at,
    m.h_stream_name,
    m.s_stream_is_open,
    m.s_stream_homework_deadline_days,
    m.s_stream_start_at,
    m.s_stream_end_at,
    m.s_stream_created_at,
    m.s_stream_updated_at,
    m.s_stream_deleted_at
FROM vault.v_dm_module AS m
UNION ALL
SELECT
    s.course_id,
    s.stream_id,
    NULL AS module_id,
    s.hk_course,
    s.hk_stream,
    NULL AS hk_module,
    s.h_course_title,
    s.s_course_icon_url,
    s.s_course_is_auto_course_enroll,
    s.s_course_is_demo_enroll,
    s.s_course_created_at,
    s.s_course_updated_at,
    s.s_course_deleted_at,
    NULL AS h_module_title,
    NULL AS l_module_order_in_stream,
    NULL AS s_module_created_at,
    NULL AS s_module_updated_at,
    NULL AS s_module_deleted_at,
    s.h_stream_name,
    s.s_stream_is_open,
    s.s_stream_homework_deadline_days,
    s.s_stream_start_at,
    s.s_stream_end_at,
    s.s_stream_created_at,
    s.s_stream_updated_at,
    s.s_stream_deleted_at
FROM vault.v_dm_stream AS s
WHERE NOT EXISTS (
    SELECT FROM vault.cur_stream_module AS sm JOIN vault.cur_module USING (hk_module) WHERE sm.hk_stream = s.hk_stream
)
UNION ALL
SELECT
    c.course_id,
    NULL AS stream_id,
    NULL AS module_id,
    c.hk_course,
    NULL AS hk_stream,
    NULL AS hk_module,
    c.h_course_title,
    c.s_course_icon_url,
    c.s_course_is_auto_course_enroll,
    c.s_course_is_demo_enroll,
    c.s_course_created_at,
    c.s_course_updated_at,
    c.s_course_deleted_at,
    NULL AS h_module_title,
    NULL AS l_module_order_in_stream,
    NULL AS s_module_created_at,
    NULL AS s_module_updated_at,
    NULL AS s_module_deleted_at,
    NULL AS h_stream_name,
    NULL AS s_stream_is_open,
    NULL AS s_stream_homework_deadline_days,
    NULL AS s_stream_start_at,
    NULL AS s_stream_end_at,
    NULL AS s_stream_created_at,
    NULL AS s_stream_updated_at,
    NULL AS s_stream_deleted_at
FROM vault.v_dm_course AS c
WHERE NOT EXISTS (
    SELECT FROM vault.cur_course_stream AS cs JOIN vault.cur_stream USING (hk_stream) WHERE cs.hk_course = c.hk_course
);

-- The whole mart as the warehouse sees it now, with the original mart's column names: one row per
-- current lesson, under its module, stream and course; one per upper row without lessons.
CREATE VIEW vault.v_dm_courses_modules_lessons_streams AS
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
LEFT JOIN (vault.cur_module_lesson AS ml JOIN vault.v_dm_upper AS u USING (hk_module)) USING (hk_lesson)
UNION ALL
SELECT
    u.course_id,
    u.stream_id,
    u.module_id,
    NULL AS lesson_id,
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
    NULL AS h_lesson_title,
    NULL AS s_lesson_description,
    NULL AS s_lesson_teacher_id,
    NULL AS s_lesson_start_at,
    NULL AS s_lesson_end_at,
    NULL AS s_lesson_homework_url,
    NULL AS s_lesson_online_lesson_join_url,
    NULL AS s_lesson_online_lesson_recording_url,
    NULL AS s_lesson_deleted_at,
    u.h_stream_name,
    u.s_stream_is_open,
    u.s_stream_homework_deadline_days,
    u.s_stream_start_at,
    u.s_stream_end_at,
    u.s_stream_created_at,
    u.s_stream_updated_at,
    u.s_stream_deleted_at
FROM vault.v_dm_upper AS u
WHERE u.hk_module IS NULL
   OR NOT EXISTS (
       SELECT FROM vault.cur_module_lesson AS ml JOIN vault.cur_lesson USING (hk_lesson) WHERE ml.hk_module = u.hk_module
   );
