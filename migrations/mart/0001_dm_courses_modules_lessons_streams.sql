-- The mart: every version of every row in a ReplacingMergeTree, and the consumer view that shows
-- the latest undeleted version of each row under the original mart's name and column names.
-- Timestamps are DateTime64(6): the source's microseconds, and years 1900 to 2299 (DateTime would
-- keep whole seconds from 1970 to 2106 only).
-- {{ mart }} is the mart database (default: mart). ClickHouse DDL is not transactional, so every
-- statement is idempotent: a migration cut short converges when it is applied again.
-- With a cluster configured ({{ cluster }}), every object is created ON CLUSTER, the data table is
-- replicated, and a Distributed table spreads the rows over the shards by row key, so the FINAL of
-- each key happens on the one shard that holds it.

CREATE TABLE IF NOT EXISTS {{ mart }}.dm_courses_modules_lessons_streams_data {{ on_cluster }}
(
    row_key                                  UUID,
    hashdiff                                 UUID,
    course_id                                Nullable(Int32),
    stream_id                                Nullable(Int32),
    module_id                                Nullable(Int32),
    lesson_id                                Nullable(Int32),

    h_course_title                           LowCardinality(Nullable(String)),
    s_course_icon_url                        Nullable(String),
    s_course_is_auto_course_enroll           Nullable(Bool),
    s_course_is_demo_enroll                  Nullable(Bool),
    s_course_created_at                      Nullable(DateTime64(6)),
    s_course_updated_at                      Nullable(DateTime64(6)),
    s_course_deleted_at                      Nullable(DateTime64(6)),

    h_module_title                           LowCardinality(Nullable(String)),
    l_module_order_in_stream                 Nullable(Int32),
    s_module_created_at                      Nullable(DateTime64(6)),
    s_module_updated_at                      Nullable(DateTime64(6)),
    s_module_deleted_at                      Nullable(DateTime64(6)),

    h_lesson_title                           Nullable(String),
    s_lesson_description                     Nullable(String),
    s_lesson_teacher_id                      Nullable(Int32),
    s_lesson_start_at                        Nullable(DateTime64(6)),
    s_lesson_end_at                          Nullable(DateTime64(6)),
    s_lesson_homework_url                    Nullable(String),
    s_lesson_online_lesson_join_url          Nullable(String),
    s_lesson_online_lesson_recording_url     Nullable(String),
    s_lesson_deleted_at                      Nullable(DateTime64(6)),

    h_stream_name                            LowCardinality(Nullable(String)),
    s_stream_is_open                         Nullable(Bool),
    s_stream_homework_deadline_days          Nullable(Int32),
    s_stream_start_at                        Nullable(DateTime64(6)),
    s_stream_end_at                          Nullable(DateTime64(6)),
    s_stream_created_at                      Nullable(DateTime64(6)),
    s_stream_updated_at                      Nullable(DateTime64(6)),
    s_stream_deleted_at                      Nullable(DateTime64(6)),

    dm_course_module_lesson_stream_load_ts   DateTime64(6),
    version                                  DateTime64(6),
    is_deleted                               UInt8
)
{% if cluster %}
ENGINE = ReplicatedReplacingMergeTree(
    '/clickhouse/tables/{shard}/{{ mart }}/dm_courses_modules_lessons_streams_data', '{replica}', version, is_deleted
)
{% else %}
ENGINE = ReplacingMergeTree(version, is_deleted)
{% endif %}
ORDER BY row_key;
{% if cluster %}

CREATE TABLE IF NOT EXISTS {{ mart }}.dm_courses_modules_lessons_streams_all {{ on_cluster }}
AS {{ mart }}.dm_courses_modules_lessons_streams_data
ENGINE = Distributed({{ cluster }}, {{ mart }}, dm_courses_modules_lessons_streams_data, cityHash64(row_key));
{% endif %}

CREATE VIEW IF NOT EXISTS {{ mart }}.dm_courses_modules_lessons_streams {{ on_cluster }} AS
SELECT
    row_key AS dm_course_module_lesson_stream_uuid,
    h_course_title,
    s_course_icon_url,
    s_course_is_auto_course_enroll,
    s_course_is_demo_enroll,
    s_course_created_at,
    s_course_updated_at,
    s_course_deleted_at,
    h_module_title,
    l_module_order_in_stream,
    s_module_created_at,
    s_module_updated_at,
    s_module_deleted_at,
    h_lesson_title,
    s_lesson_description,
    s_lesson_teacher_id,
    s_lesson_start_at,
    s_lesson_end_at,
    s_lesson_homework_url,
    s_lesson_online_lesson_join_url,
    s_lesson_online_lesson_recording_url,
    s_lesson_deleted_at,
    h_stream_name,
    s_stream_is_open,
    s_stream_homework_deadline_days,
    s_stream_start_at,
    s_stream_end_at,
    s_stream_created_at,
    s_stream_updated_at,
    s_stream_deleted_at,
    dm_course_module_lesson_stream_load_ts,
    course_id,
    stream_id,
    module_id,
    lesson_id
FROM {{ mart }}.dm_courses_modules_lessons_streams_{{ 'all' if cluster else 'data' }} FINAL
WHERE is_deleted = 0;
