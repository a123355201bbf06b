-- stg_course: this run's snapshot of source.course, with its hash key and hashdiff.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll',
                     'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_course;

INSERT INTO staging.stg_course (course_id, hk_course, hashdiff, {{ attributes | join(', ') }})
SELECT
    id,
    {{ hash_key(['id']) }},
    {{ hashdiff(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('course') }};
