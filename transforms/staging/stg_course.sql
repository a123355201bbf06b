-- stg_course: this run's delta of source.course: every course whose attributes (by hashdiff) differ from
-- the vault's current state, with its hash key, and every current course gone from the source (vanished).
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll',
                     'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_course;

INSERT INTO staging.stg_course (course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }})
WITH src AS (
    SELECT id AS course_id, {{ hashdiff(attributes) }} AS hashdiff, {{ attributes | join(', ') }}
    FROM {{ source('course') }}
)
SELECT
    course_id,
    {{ hash_key(['course_id']) }},
    src.hashdiff,
    src.course_id IS NULL,
    src.{{ attributes | join(', src.') }}
FROM src
FULL JOIN vault.cur_course AS cur USING (course_id)
WHERE src.course_id IS NULL OR src.hashdiff IS DISTINCT FROM cur.hashdiff;
