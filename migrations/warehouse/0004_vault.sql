-- The Data Vault: hubs (one row per business key, ever), links (one row per relationship, ever),
-- satellites (a row per change of a key's attributes, flagged is_deleted when the key vanished)
-- and effectivity satellites (when a relationship started and stopped being current).
-- Every table is insert-only; load_ts is the load timestamp of the run that wrote the row, and is
-- indexed on satellites: the mart asks which keys changed since it was last loaded.
-- depends: 0001_schemas

CREATE TABLE vault.h_course (
    hk_course     uuid PRIMARY KEY,
    course_id     integer NOT NULL UNIQUE,
    load_ts       timestamptz NOT NULL,
    record_source text NOT NULL
);

CREATE TABLE vault.h_stream (
    hk_stream     uuid PRIMARY KEY,
    stream_id     integer NOT NULL UNIQUE,
    load_ts       timestamptz NOT NULL,
    record_source text NOT NULL
);

CREATE TABLE vault.h_module (
    hk_module     uuid PRIMARY KEY,
    module_id     integer NOT NULL UNIQUE,
    load_ts       timestamptz NOT NULL,
    record_source text NOT NULL
);

CREATE TABLE vault.h_lesson (
    hk_lesson     uuid PRIMARY KEY,
    lesson_id     integer NOT NULL UNIQUE,
    load_ts       timestamptz NOT NULL,
    record_source text NOT NULL
);

CREATE TABLE vault.l_course_stream (
    hk_course_stream uuid PRIMARY KEY,
    hk_course        uuid NOT NULL,
    hk_stream        uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    record_source    text NOT NULL
);

CREATE TABLE vault.l_stream_module (
    hk_stream_module uuid PRIMARY KEY,
    hk_stream        uuid NOT NULL,
    hk_module        uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    record_source    text NOT NULL
);

CREATE TABLE vault.l_module_lesson (
    hk_module_lesson uuid PRIMARY KEY,
    hk_module        uuid NOT NULL,
    hk_lesson        uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    record_source    text NOT NULL
);

CREATE TABLE vault.s_course (
    hk_course             uuid NOT NULL,
    load_ts               timestamptz NOT NULL,
    hashdiff              bigint NOT NULL,
    is_deleted            boolean NOT NULL,
    title                 text,
    icon_url              text,
    is_auto_course_enroll boolean,
    is_demo_enroll        boolean,
    created_at            timestamp,
    updated_at            timestamp,
    deleted_at            timestamp,
    record_source         text NOT NULL,
    PRIMARY KEY (hk_course, load_ts)
);

CREATE TABLE vault.s_stream (
    hk_stream              uuid NOT NULL,
    load_ts                timestamptz NOT NULL,
    hashdiff               bigint NOT NULL,
    is_deleted             boolean NOT NULL,
    name                   text,
    is_open                boolean,
    homework_deadline_days integer,
    start_at               timestamp,
    end_at                 timestamp,
    created_at             timestamp,
    updated_at             timestamp,
    deleted_at             timestamp,
    record_source          text NOT NULL,
    PRIMARY KEY (hk_stream, load_ts)
);

CREATE TABLE vault.s_module (
    hk_module       uuid NOT NULL,
    load_ts         timestamptz NOT NULL,
    hashdiff        bigint NOT NULL,
    is_deleted      boolean NOT NULL,
    title           text,
    order_in_stream integer,
    created_at      timestamp,
    updated_at      timestamp,
    deleted_at      timestamp,
    record_source   text NOT NULL,
    PRIMARY KEY (hk_module, load_ts)
);

CREATE TABLE vault.s_lesson (
    hk_lesson                   uuid NOT NULL,
    load_ts                     timestamptz NOT NULL,
    hashdiff                    bigint NOT NULL,
    is_deleted                  boolean NOT NULL,
    title                       text,
    description                 text,
    teacher_id                  integer,
    start_at                    timestamp,
    end_at                      timestamp,
    homework_url                text,
    online_lesson_join_url      text,
    online_lesson_recording_url text,
    deleted_at                  timestamp,
    record_source               text NOT NULL,
    PRIMARY KEY (hk_lesson, load_ts)
);

CREATE TABLE vault.s_course_stream_eff (
    hk_course_stream uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    is_deleted       boolean NOT NULL,
    record_source    text NOT NULL,
    PRIMARY KEY (hk_course_stream, load_ts)
);

CREATE TABLE vault.s_stream_module_eff (
    hk_stream_module uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    is_deleted       boolean NOT NULL,
    record_source    text NOT NULL,
    PRIMARY KEY (hk_stream_module, load_ts)
);

CREATE TABLE vault.s_module_lesson_eff (
    hk_module_lesson uuid NOT NULL,
    load_ts          timestamptz NOT NULL,
    is_deleted       boolean NOT NULL,
    record_source    text NOT NULL,
    PRIMARY KEY (hk_module_lesson, load_ts)
);

CREATE INDEX ON vault.s_course (load_ts);
CREATE INDEX ON vault.s_stream (load_ts);
CREATE INDEX ON vault.s_module (load_ts);
CREATE INDEX ON vault.s_lesson (load_ts);
CREATE INDEX ON vault.s_course_stream_eff (load_ts);
CREATE INDEX ON vault.s_stream_module_eff (load_ts);
CREATE INDEX ON vault.s_module_lesson_eff (load_ts);
