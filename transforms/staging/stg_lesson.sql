-- stg_lesson: this run's delta of source.stream_module_lesson: every lesson whose attributes (by hashdiff) or
-- module differ from the vault's current state, with hash keys, and every current lesson gone from the
-- source (vanished). The vault's lesson steps read only this.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url',
                     'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] %}
TRUNCATE staging.stg_lesson;

INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    src AS (
        SELECT id AS lesson_id, stream_module_id AS module_id, {{ hashdiff(attributes) }} AS hashdiff,
               {{ attributes | join(', ') }}
        FROM {{ source('stream_module_lesson') }}
    ),
    -- what the vault holds now: a lesson's attributes and its module are current apart
    cur AS (
        SELECT lesson_id, le.hashdiff, ml.module_id
        FROM vault.cur_lesson AS le
        FULL JOIN vault.cur_module_lesson AS ml USING (lesson_id)
    )
SELECT
    lesson_id,
    {{ hash_key(['lesson_id']) }},
    src.module_id,
    {{ hash_key(['src.module_id']) }},
    src.hashdiff,
    src.lesson_id IS NULL,
    src.{{ attributes | join(', src.') }}
FROM src
FULL JOIN cur USING (lesson_id)
WHERE src.lesson_id IS NULL
   OR src.hashdiff IS DISTINCT FROM cur.hashdiff
   OR src.module_id IS DISTINCT FROM cur.module_id;
