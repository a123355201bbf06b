-- The source catalog as foreign tables, declared column by column: a column the source drops or
-- renames fails the run with its name instead of loading garbage.
-- depends: 0001_schemas

CREATE FOREIGN TABLE source.course (
    id                    integer NOT NULL,
    title                 varchar(255),
    created_at            timestamp,
    updated_at            timestamp,
    deleted_at            timestamp(0),
    icon_url              varchar(255),
    is_auto_course_enroll boolean,
    is_demo_enroll        boolean
) SERVER source_db OPTIONS (schema_name 'public', table_name 'course');

CREATE FOREIGN TABLE source.stream (
    id                     integer NOT NULL,
    course_id              integer,
    start_at               timestamp,
    end_at                 timestamp,
    created_at             timestamp,
    updated_at             timestamp,
    deleted_at             timestamp,
    is_open                boolean,
    name                   varchar(255),
    homework_deadline_days integer
) SERVER source_db OPTIONS (schema_name 'public', table_name 'stream');

CREATE FOREIGN TABLE source.stream_module (
    id              integer NOT NULL,
    stream_id       integer,
    title           varchar(255),
    created_at      timestamp,
    updated_at      timestamp,
    order_in_stream integer,
    deleted_at      timestamp
) SERVER source_db OPTIONS (schema_name 'public', table_name 'stream_module');

CREATE FOREIGN TABLE source.stream_module_lesson (
    id                          integer NOT NULL,
    title                       varchar(255),
    description                 text,
    start_at                    timestamp,
    end_at                      timestamp,
    homework_url                varchar(500),
    teacher_id                  integer,
    stream_module_id            integer,
    deleted_at                  timestamp(0),
    online_lesson_join_url      varchar(255),
    online_lesson_recording_url varchar(255)
) SERVER source_db OPTIONS (schema_name 'public', table_name 'stream_module_lesson');
