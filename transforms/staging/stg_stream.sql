-- stg_stream: this run's delta of source.stream: every stream whose attributes (by hashdiff) or
-- course differ from the vault's current state, with hash keys, and every current stream gone from the
-- source (vanished). The vault's stream steps read only this.
{% from 'macros.sql' import hash_key, hashdiff, source_hashes_as_warehouse, record_source_ids %}
{% set attributes = {'name': 'text', 'is_open': 'boolean', 'homework_deadline_days': 'integer', 'start_at': 'timestamp',
                     'end_at': 'timestamp', 'created_at': 'timestamp', 'updated_at': 'timestamp',
                     'deleted_at': 'timestamp'} %}
TRUNCATE staging.stg_stream;
DELETE FROM staging.stg_source_ids WHERE entity = 'stream';

-- one row read whole first: a source column whose type changed fails here, with an error naming table
-- and column (the hashdiffs below are computed by the source, where it would fail less clearly)
SELECT * FROM {{ source('stream') }} LIMIT 1;

-- a first load (the vault holds no current stream): every source stream is new, read whole in one pass
INSERT INTO staging.stg_stream (
    stream_id, hk_stream, course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    course_id,
    {{ hash_key(['course_id']) }},
    {{ hashdiff(attributes) | indent(4) }},
    false,
    {{ attributes | join(', ') }}
FROM {{ source('stream') }}
WHERE NOT EXISTS (SELECT FROM vault.cur_stream) AND NOT EXISTS (SELECT FROM vault.cur_course_stream);

-- otherwise, only the delta against the current state:
INSERT INTO staging.stg_stream (
    stream_id, hk_stream, course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    -- every source stream's course and hashdiff. The source computes the hashdiffs itself when its text has
    -- the warehouse's bytes (source_hashes_as_warehouse in macros.sql): grouped by the primary key,
    -- postgres_fdw sends the aggregate and its expressions there, and three numbers a stream come back.
    -- Otherwise the rows come here and are hashed here.
    src AS (
        SELECT *
        FROM (
            SELECT id AS stream_id, min(course_id) AS course_id,
                   min({{ hashdiff(attributes) | indent(23) }}) AS hashdiff
            FROM {{ source('stream') }}
            GROUP BY id
        ) AS hashed_there
        WHERE {{ source_hashes_as_warehouse() }}
        UNION ALL
        SELECT id, course_id, {{ hashdiff(attributes) | indent(12) }}
        FROM {{ source('stream') }}
        WHERE NOT {{ source_hashes_as_warehouse() }}
    ),
    -- what the vault holds now: a stream's attributes and its course are current apart
    cur AS (
        SELECT stream_id, st.hashdiff, cs.course_id
        FROM vault.cur_stream AS st
        FULL JOIN vault.cur_course_stream AS cs USING (stream_id)
    ),
    delta AS (
        SELECT stream_id, src.course_id, src.hashdiff, src.stream_id IS NULL AS vanished
        FROM src
        FULL JOIN cur USING (stream_id)
        WHERE src.stream_id IS NULL
           OR src.hashdiff IS DISTINCT FROM cur.hashdiff
           OR src.course_id IS DISTINCT FROM cur.course_id
    ),
    -- the attributes of the delta's streams only: the id list goes to the source as one parameter
    fetched AS (
        SELECT id AS stream_id, {{ attributes | join(', ') }}
        FROM {{ source('stream') }}
        WHERE id = ANY ((SELECT array_agg(stream_id) FROM delta WHERE NOT vanished)::integer[])
    )
SELECT
    stream_id,
    {{ hash_key(['stream_id']) }},
    delta.course_id,
    {{ hash_key(['delta.course_id']) }},
    delta.hashdiff,
    delta.vanished,
    fetched.{{ attributes | join(', fetched.') }}
FROM delta
LEFT JOIN fetched USING (stream_id)
WHERE EXISTS (SELECT FROM vault.cur_stream) OR EXISTS (SELECT FROM vault.cur_course_stream);

{{ record_source_ids('stream', source('stream')) }}
