-- stg_stream: this run's snapshot of source.stream, with hash keys for the stream, its course and
-- their link, and the hashdiff of the stream's attributes.
{% from 'macros.sql' import hash, hash_if_present %}
{% set attributes = ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at',
                     'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_stream;

INSERT INTO staging.stg_stream (
    stream_id, hk_stream, course_id, hk_course, hk_course_stream, hashdiff, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash(['id']) }},
    course_id,
    {{ hash_if_present(['course_id']) }},
    {{ hash_if_present(['course_id', 'id']) }},
    {{ hash(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('stream') }};
