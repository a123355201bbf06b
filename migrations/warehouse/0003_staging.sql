-- Per-run snapshot of the source: business keys, hash keys and hashdiffs computed once per run.
-- UNLOGGED: a snapshot is rebuilt on every run, so it needs no crash safety.
-- depends: 0001_schemas

CREATE UNLOGGED TABLE staging.stg_course (
    course_id             integer PRIMARY KEY,
    hk_course             uuid NOT NULL,
    hashdiff              uuid NOT NULL,
    title                 text,
    icon_url              text,
    is_auto_course_enroll boolean,
    is_demo_enroll        boolean,
    created_at            timestamp,
    updated_at            timestamp,
    deleted_at            timestamp
);

CREATE UNLOGGED TABLE staging.stg_stream (
    stream_id              integer PRIMARY KEY,
    hk_stream              uuid NOT NULL,
    course_id              integer,
    hk_course              uuid,
    hk_course_stream       uuid,
    hashdiff               uuid NOT NULL,
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
    module_id        integer PRIMARY KEY,
    hk_module        uuid NOT NULL,
    stream_id        integer,
    hk_stream        uuid,
    hk_stream_module uuid,
    hashdiff         uuid NOT NULL,
    title            text,
    order_in_stream  integer,
    created_at       timestamp,
    updated_at       timestamp,
    deleted_at       timestamp
);

CREATE UNLOGGED TABLE staging.stg_lesson (
    lesson_id                   integer PRIMARY KEY,
    hk_lesson                   uuid NOT NULL,
    module_id                   integer,
    hk_module                   uuid,
    hk_module_lesson            uuid,
    hashdiff                    uuid NOT NULL,
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
