-- Per-run snapshot of the source: business keys, hash keys and hashdiffs computed once per run.
-- UNLOGGED and without indexes: a snapshot is rebuilt on every run and read whole, by hash joins.
-- depends: 0001_schemas

CREATE UNLOGGED TABLE staging.stg_course (
    course_id             integer NOT NULL,
    hk_course             uuid NOT NULL,
    hashdiff              bigint NOT NULL,
    title                 text,
    icon_url              text,
    is_auto_course_enroll boolean,
    is_demo_enroll        boolean,
    created_at            timestamp,
    updated_at            timestamp,
    deleted_at            timestamp
);

CREATE UNLOGGED TABLE staging.stg_stream (
    stream_id              integer NOT NULL,
    hk_stream              uuid NOT NULL,
    course_id              integer,
    hk_course              uuid,
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

CREATE UNLOGGED TABLE staging.stg_module (
    module_id        integer NOT NULL,
    hk_module        uuid NOT NULL,
    stream_id        integer,
    hk_stream        uuid,
    hashdiff         bigint NOT NULL,
    title            text,
    order_in_stream  integer,
    created_at       timestamp,
    updated_at       timestamp,
    deleted_at       timestamp
);

CREATE UNLOGGED TABLE staging.stg_lesson (
    lesson_id                   integer NOT NULL,
    hk_lesson                   uuid NOT NULL,
    module_id                   integer,
    hk_module                   uuid,
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

-- The mart's work for this run: the keys whose vault rows changed since the mart was last loaded,
-- and every current mart row under them (see transforms/staging/stg_dm_feed.sql).
CREATE UNLOGGED TABLE staging.stg_dm_scope (
    level text NOT NULL CHECK (level IN ('all', 'course', 'stream', 'module', 'lesson',
                                         'course_shell', 'stream_shell', 'module_shell')),
    id    integer NOT NULL,
    hk    uuid
);

CREATE UNLOGGED TABLE staging.stg_dm_feed (
    course_id                            integer,
    stream_id                            integer,
    module_id                            integer,
    lesson_id                            integer,
    h_course_title                       text,
    s_course_icon_url                    text,
    s_course_is_auto_course_enroll       boolean,
    s_course_is_demo_enroll              boolean,
    s_course_created_at                  timestamp,
    s_course_updated_at                  timestamp,
    s_course_deleted_at                  timestamp,
    h_module_title                       text,
    l_module_order_in_stream             integer,
    s_module_created_at                  timestamp,
    s_module_updated_at                  timestamp,
    s_module_deleted_at                  timestamp,
    h_lesson_title                       text,
    s_lesson_description                 text,
    s_lesson_teacher_id                  integer,
    s_lesson_start_at                    timestamp,
    s_lesson_end_at                      timestamp,
    s_lesson_homework_url                text,
    s_lesson_online_lesson_join_url      text,
    s_lesson_online_lesson_recording_url text,
    s_lesson_deleted_at                  timestamp,
    h_stream_name                        text,
    s_stream_is_open                     boolean,
    s_stream_homework_deadline_days      integer,
    s_stream_start_at                    timestamp,
    s_stream_end_at                      timestamp,
    s_stream_created_at                  timestamp,
    s_stream_updated_at                  timestamp,
    s_stream_deleted_at                  timestamp
);
