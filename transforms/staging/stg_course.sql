-- stg_course: this run's delta of source.course: every course whose attributes (by hashdiff) differ from
-- the vault's current state, with its hash key, and every current course gone from the source (vanished).
{% from 'macros.sql' import hash_key, hashdiff, source_hashes_as_warehouse, record_source_ids %}
{% set attributes = {'title': 'text', 'icon_url': 'text', 'is_auto_course_enroll': 'boolean',
                     'is_demo_enroll': 'boolean', 'created_at': 'timestamp', 'updated_at': 'timestamp',
                     'deleted_at': 'timestamp'} %}
TRUNCATE staging.stg_course;
DELETE FROM staging.stg_source_ids WHERE entity = 'course';

-- one row read whole first: a source column whose type changed fails here, with an error naming table
-- and column (the hashdiffs below are computed by the source, where it would fail less clearly)
SELECT * FROM {{ source('course') }} LIMIT 1;

-- a first load (the vault holds no current course): every source course is new, read whole in one pass
INSERT INTO staging.stg_course (
    course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    {{ hashdiff(attributes) | indent(4) }},
    false,
    {{ attributes | join(', ') }}
FROM {{ source('course') }}
WHERE NOT EXISTS (SELECT FROM vault.cur_course);

-- otherwise, only the delta against the current state:
INSERT INTO staging.stg_course (course_id, hk_course, hashdiff, vanished, {{ attributes | join(', ') }})
WITH
    -- every source course's hashdiff. The source computes the hashdiffs itself when its text has
    -- the warehouse's bytes (source_hashes_as_warehouse in macros.sql): grouped by the primary key,
    -- postgres_fdw sends the aggregate and its expressions there, and two numbers a course come back.
    -- Otherwise the rows come here and are hashed here.
    src AS (
        SELECT *
        FROM (
            SELECT id AS course_id,
                   min({{ hashdiff(attributes) | indent(23) }}) AS hashdiff
            FROM {{ source('course') }}
            GROUP BY id
        ) AS hashed_there
        WHERE {{ source_hashes_as_warehouse() }}
        UNION ALL
        SELECT id, {{ hashdiff(attributes) | indent(12) }}
        FROM {{ source('course') }}
        WHERE NOT {{ source_hashes_as_warehouse() }}
    ),
    delta AS (
        SELECT course_id, src.hashdiff, src.course_id IS NULL AS vanished
        FROM src
        FULL JOIN vault.cur_course AS cur USING (course_id)
        WHERE src.course_id IS NULL OR src.hashdiff IS DISTINCT FROM cur.hashdiff
    ),
    -- the attributes of the delta's courses only: the id list goes to the source as one parameter
    fetched AS (
        SELECT id AS course_id, {{ attributes | join(', ') }}
        FROM {{ source('course') }}
        WHERE id = ANY ((SELECT array_agg(course_id) FROM delta WHERE NOT vanished)::integer[])
    )
SELECT
    course_id,
    {{ hash_key(['course_id']) }},
    delta.hashdiff,
    delta.vanished,
    fetched.{{ attributes | join(', fetched.') }}
FROM delta
LEFT JOIN fetched USING (course_id)
WHERE EXISTS (SELECT FROM vault.cur_course);

{{ record_source_ids('course', source('course')) }}
