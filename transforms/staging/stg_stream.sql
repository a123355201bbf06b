-- stg_stream: this run's snapshot of source.stream, with hash keys for the stream and its
-- course, and the hashdiff of the stream's attributes.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at',
                     'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_stream;

INSERT INTO staging.stg_stream (
    stream_id, hk_stream, course_id, hk_course, hashdiff, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    course_id,
    {{ hash_key(['course_id']) }},
    {{ hashdiff(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('stream') }};
