-- stg_stream: this run's delta of source.stream: every stream whose attributes (by hashdiff) or course
-- differ from the vault's current state, with hash keys, and every current stream gone from the source
-- (vanished). The vault's stream steps read only this.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at',
                     'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_stream;

INSERT INTO staging.stg_stream (
    stream_id, hk_stream, course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    src AS (
        SELECT id AS stream_id, course_id, {{ hashdiff(attributes) }} AS hashdiff, {{ attributes | join(', ') }}
        FROM {{ source('stream') }}
    ),
    -- what the vault holds now: a stream's attributes and its course are current apart
    cur AS (
        SELECT stream_id, st.hashdiff, cs.course_id
        FROM vault.cur_stream AS st
        FULL JOIN vault.cur_course_stream AS cs USING (stream_id)
    )
SELECT
    stream_id,
    {{ hash_key(['stream_id']) }},
    src.course_id,
    {{ hash_key(['src.course_id']) }},
    src.hashdiff,
    src.stream_id IS NULL,
    src.{{ attributes | join(', src.') }}
FROM src
FULL JOIN cur USING (stream_id)
WHERE src.stream_id IS NULL
   OR src.hashdiff IS DISTINCT FROM cur.hashdiff
   OR src.course_id IS DISTINCT FROM cur.course_id;
