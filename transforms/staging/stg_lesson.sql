-- stg_lesson: this run's delta of source.stream_module_lesson: every lesson whose attributes (by hashdiff) or
-- module differ from the vault's current state, with hash keys, and every current lesson gone from the
-- source (vanished). The vault's lesson steps read only this.
{% from 'macros.sql' import hash_key, hashdiff, source_hashes_as_warehouse %}
{% set attributes = {'title': 'text', 'description': 'text', 'teacher_id': 'integer', 'start_at': 'timestamp',
                     'end_at': 'timestamp', 'homework_url': 'text', 'online_lesson_join_url': 'text',
                     'online_lesson_recording_url': 'text', 'deleted_at': 'timestamp'} %}
TRUNCATE staging.stg_lesson;

-- one row read whole first: a source column whose type changed fails here, with an error naming table
-- and column (the hashdiffs below are computed by the source, where it would fail less clearly)
SELECT * FROM {{ source('stream_module_lesson') }} LIMIT 1;

-- a first load (the vault holds no current lesson): every source lesson is new, read whole in one pass
INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hashdiff, vanished, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    stream_module_id,
    {{ hash_key(['stream_module_id']) }},
    {{ hashdiff(attributes) | indent(4) }},
    false,
    {{ attributes | join(', ') }}
FROM {{ source('stream_module_lesson') }}
WHERE NOT EXISTS (SELECT FROM vault.cur_lesson) AND NOT EXISTS (SELECT FROM vault.cur_module_lesson);

-- otherwise, only the delta against the current state:
INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    -- every source lesson's module and hashdiff. The source computes the hashdiffs itself when its text has
    -- the warehouse's bytes (source_hashes_as_warehouse in macros.sql): grouped by the primary key,
    -- postgres_fdw sends the aggregate and its expressions there, and three numbers a lesson come back.
    -- Otherwise the rows come here and are hashed here.
    src AS (
        SELECT *
        FROM (
            SELECT id AS lesson_id, min(stream_module_id) AS module_id,
                   min({{ hashdiff(attributes) | indent(23) }}) AS hashdiff
            FROM {{ source('stream_module_lesson') }}
            GROUP BY id
        ) AS hashed_there
        WHERE {{ source_hashes_as_warehouse() }}
        UNION ALL
        SELECT id, stream_module_id, {{ hashdiff(attributes) | indent(12) }}
        FROM {{ source('stream_module_lesson') }}
        WHERE NOT {{ source_hashes_as_warehouse() }}
    ),
    -- what the vault holds now: a lesson's attributes and its module are current apart
    cur AS (
        SELECT lesson_id, le.hashdiff, ml.module_id
        FROM vault.cur_lesson AS le
        FULL JOIN vault.cur_module_lesson AS ml USING (lesson_id)
    ),
    delta AS (
        SELECT lesson_id, src.module_id, src.hashdiff, src.lesson_id IS NULL AS vanished
        FROM src
        FULL JOIN cur USING (lesson_id)
        WHERE src.lesson_id IS NULL
           OR src.hashdiff IS DISTINCT FROM cur.hashdiff
           OR src.module_id IS DISTINCT FROM cur.module_id
    ),
    -- the attributes of the delta's lessons only: the id list goes to the source as one parameter
    fetched AS (
        SELECT id AS lesson_id, {{ attributes | join(', ') }}
        FROM {{ source('stream_module_lesson') }}
        WHERE id = ANY ((SELECT array_agg(lesson_id) FROM delta WHERE NOT vanished)::integer[])
    )
SELECT
    lesson_id,
    {{ hash_key(['lesson_id']) }},
    delta.module_id,
    {{ hash_key(['delta.module_id']) }},
    delta.hashdiff,
    delta.vanished,
    fetched.{{ attributes | join(', fetched.') }}
FROM delta
LEFT JOIN fetched USING (lesson_id)
WHERE EXISTS (SELECT FROM vault.cur_lesson) OR EXISTS (SELECT FROM vault.cur_module_lesson);
