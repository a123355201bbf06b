-- The current state of the vault, kept beside the history so no run has to dig it out of it:
-- cur_<entity> holds the latest attributes of every key that is not deleted, cur_<relationship>
-- the current parent of every child. They are written by the satellite transforms in the same
-- statement as the satellite rows they mirror (so they never disagree), and can be rebuilt from the
-- satellites at any time. The view v_dm_courses_modules_lessons_streams is the whole mart as the
-- warehouse sees it now.
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

-- The upper part of the mart tree: one row per current module with its stream and course, one per
-- stream without modules, one per course without streams. Small (one row per module), so the feed
-- joins lessons onto it.
CREATE VIEW vault.v_dm_modules AS
SELECT
    c.course_id,
    st.stream_id,
    mo.module_id,
    mo.hk_module,
    c.title                   AS h_course_title,
    c.icon_url                AS s_course_icon_url,
    c.is_auto_course_enroll   AS s_course_is_auto_course_enroll,
    c.is_demo_enroll          AS s_course_is_demo_enroll,
    c.created_at              AS s_course_created_at,
    c.updated_at              AS s_course_updated_at,
    c.deleted_at              AS s_course_deleted_at,
    mo.title                  AS h_module_title,
    mo.order_in_stream        AS l_module_order_in_stream,
    mo.created_at             AS s_module_created_at,
    mo.updated_at             AS s_module_updated_at,
    mo.deleted_at             AS s_module_deleted_at,
    st.name                   AS h_stream_name,
    st.is_open                AS s_stream_is_open,
    st.homework_deadline_days AS s_stream_homework_deadline_days,
    st.start_at               AS s_stream_start_at,
    st.end_at                 AS s_stream_end_at,
    st.created_at             AS s_stream_created_at,
    st.updated_at             AS s_stream_updated_at,
    st.deleted_at             AS s_stream_deleted_at
FROM vault.cur_course AS c
LEFT JOIN (vault.cur_course_stream AS cs JOIN vault.cur_stream AS st USING (hk_stream))
    ON cs.hk_course = c.hk_course
LEFT JOIN (vault.cur_stream_module AS sm JOIN vault.cur_module AS mo USING (hk_module))
    ON sm.hk_stream = st.hk_stream;

-- The whole mart as the warehouse sees it now: one row per (course, stream, module, lesson), with
-- the original mart's column names; a course without streams (a stream without modules, a module
-- without lessons) still gives one row.
CREATE VIEW vault.v_dm_courses_modules_lessons_streams AS
SELECT
    m.course_id,
    m.stream_id,
    m.module_id,
    le.lesson_id,
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
    le.title                       AS h_lesson_title,
    le.description                 AS s_lesson_description,
    le.teacher_id                  AS s_lesson_teacher_id,
    le.start_at                    AS s_lesson_start_at,
    le.end_at                      AS s_lesson_end_at,
    le.homework_url                AS s_lesson_homework_url,
    le.online_lesson_join_url      AS s_lesson_online_lesson_join_url,
    le.online_lesson_recording_url AS s_lesson_online_lesson_recording_url,
    le.deleted_at                  AS s_lesson_deleted_at,
    m.h_stream_name,
    m.s_stream_is_open,
    m.s_stream_homework_deadline_days,
    m.s_stream_start_at,
    m.s_stream_end_at,
    m.s_stream_created_at,
    m.s_stream_updated_at,
    m.s_stream_deleted_at
FROM vault.v_dm_modules AS m
LEFT JOIN (vault.cur_module_lesson AS ml JOIN vault.cur_lesson AS le USING (hk_lesson))
    ON ml.hk_module = m.hk_module;
