-- stg_lesson: this run's snapshot of source.stream_module_lesson, with hash keys for the lesson
-- and its module, and the hashdiff of the lesson's attributes.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url',
                     'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] %}
TRUNCATE staging.stg_lesson;

INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hashdiff, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    stream_module_id,
    {{ hash_key(['stream_module_id']) }},
    {{ hashdiff(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('stream_module_lesson') }};
