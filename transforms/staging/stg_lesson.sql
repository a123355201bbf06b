-- stg_lesson: this run's delta of source.stream_module_lesson: every lesson whose attributes (by hashdiff) or
-- module differ from the vault's current state, with hash keys (its own, its module's and their link's),
-- and every current lesson gone from the source (vanished). The vault's lesson steps read only this.
{% from 'macros.sql' import hash_key, hashdiff, source_hashes_as_warehouse, record_source_ids %}
{% set attributes = {'title': 'text', 'description': 'text', 'teacher_id': 'integer', 'start_at': 'timestamp',
                     'end_at': 'timestamp', 'homework_url': 'text', 'online_lesson_join_url': 'text',
                     'online_lesson_recording_url': 'text', 'deleted_at': 'timestamp'} %}
TRUNCATE staging.stg_lesson;
DELETE FROM staging.stg_source_ids WHERE entity = 'lesson';

-- one row read whole first: a source column whose type changed fails here, with an error naming table
-- and column (the hashdiffs below are computed by the source, where it would fail less clearly)
SELECT * FROM {{ source('stream_module_lesson') }} LIMIT 1;

{#- the k-th of n cuts of the span from lo to hi: the first and the last reach every integer beyond -#}
{% macro cut(k, n) -%}
{% if k == 0 %}-2147483648{% elif k == n %}2147483648{% else %}lo + (hi - lo) * {{ k }} / {{ n }}{% endif %}
{%- endmacro %}
{#- this part's span of lesson ids: the current lesson ids, lowest to highest, cut into equal spans, the first
    part's reaching down to the lowest integer and the last's up to the highest (a source's new lessons).
    Every part cuts the same current state, which no other step writes meanwhile, so each id is in exactly
    one part -#}
{% macro span(slice) -%}
SELECT {{ cut(slice.part, slice.parts) }} AS low, {{ cut(slice.part + 1, slice.parts) }} AS high
FROM (SELECT least((SELECT min(lesson_id) FROM vault.cur_lesson),
                   (SELECT min(lesson_id) FROM vault.cur_module_lesson))::bigint AS lo,
             greatest((SELECT max(lesson_id) FROM vault.cur_lesson),
                      (SELECT max(lesson_id) FROM vault.cur_module_lesson))::bigint AS hi) AS span
{%- endmacro %}
{#- whether the vault holds a current lesson: a rerun, not a first load -#}
{% set rerun = '(EXISTS (SELECT FROM vault.cur_lesson) OR EXISTS (SELECT FROM vault.cur_module_lesson))' %}
{#- a column's condition: in this part's span -#}
{% macro in_part(column) -%}
{{ column }} >= (SELECT low FROM part) AND {{ column }} < (SELECT high FROM part)
{%- endmacro %}

-- The lessons are staged in parts at once (slices() below), each in a transaction and on a connection of its
-- own, so with a connection of its own to the source, after the statements above commit.
-- When the vault holds a current lesson, each part stages only the delta of its span of ids (`part`)
-- against the current state, in one of two statements: the source computes the hashdiffs itself when its
-- text has the warehouse's bytes (source_hashes_as_warehouse in macros.sql), or its rows come here and are
-- hashed here. A part reads its own ids only, from the source's primary key and the current state's indexes
-- on lesson_id (migration 0029), and its lessons' hashdiffs and attributes come from one snapshot of the
-- source (its connection's). Two parts, because postgres_fdw fetches synchronously: in one statement the
-- source's backend and the warehouse's take turns, and one core waits.
-- Both inputs of a part's comparison come sorted by lesson and are merged:
-- the planner, which knows no row count for the source, would hash them, building one hash table after the
-- other. The delta meets its fetched attributes by a merge too: without statistics on the current state (a
-- first load's, before autovacuum's visit) the planner expects billions of delta rows and, hashing off,
-- looped over the fetched ones for each.
{% call(slice) slices() %}
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_nestloop = off;
{% for hashed_there in [true, false] %}
INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hk_module_lesson, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    -- this part's span of lesson ids (span() above)
    part AS (
        {{ span(slice) | indent(8) }}
    ),
{% if hashed_there %}
    -- every source lesson's module and hashdiff, computed by the source: grouped by the primary key,
    -- postgres_fdw sends the aggregate and its expressions there, and three numbers a lesson come back
    src AS (
        SELECT id AS lesson_id, min(stream_module_id) AS module_id,
               min({{ hashdiff(attributes) | indent(19) }}) AS hashdiff
        FROM {{ source('stream_module_lesson') }}
        WHERE {{ in_part('id') }}
        GROUP BY id
        ORDER BY id
    ),
{% else %}
    -- every source lesson's module and hashdiff, computed here
    src AS (
        SELECT id AS lesson_id, stream_module_id AS module_id, {{ hashdiff(attributes) | indent(8) }} AS hashdiff
        FROM {{ source('stream_module_lesson') }}
        WHERE {{ in_part('id') }}
    ),
{% endif %}
    -- what the vault holds now: a lesson's attributes and its module are current apart
    cur AS (
        SELECT lesson_id, le.hashdiff, ml.module_id
        FROM (SELECT lesson_id, hashdiff FROM vault.cur_lesson AS le WHERE {{ in_part('lesson_id') }}) AS le
        FULL JOIN (SELECT lesson_id, module_id FROM vault.cur_module_lesson AS ml WHERE {{ in_part('lesson_id') }}) AS ml
            USING (lesson_id)
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
    {{ hash_key(['delta.module_id', 'lesson_id']) }},
    delta.hashdiff,
    delta.vanished,
    fetched.{{ attributes | join(', fetched.') }}
FROM delta
LEFT JOIN fetched USING (lesson_id)
WHERE {{ rerun }}
{% if hashed_there %}
  AND {{ source_hashes_as_warehouse() }}
  -- and the source changed: first told by two sums, one on each side, of a 64-bit hash of every lesson's
  -- (id, hashdiff) and of every lesson's (id, module), summed exactly. Equal sums mean an unchanged source
  -- but at odds of 1 in 2^64 (a hashdiff's own), and the comparison above never runs. The source's sum
  -- and the warehouse's are taken at the same time: an Append with an async-capable foreign scan (migration
  -- 0024).
  AND (SELECT sum(total) FROM (
           SELECT sum(hashint8extended({{ hashdiff(attributes) | indent(31) }}, id::bigint * 2))
                  + coalesce(sum(hashint4extended(stream_module_id, id::bigint * 2 + 1)), 0) AS total
           FROM {{ source('stream_module_lesson') }}
           WHERE {{ in_part('id') }}
           UNION ALL
           SELECT -sum(hashint8extended(hashdiff, lesson_id::bigint * 2)) FROM vault.cur_lesson
           WHERE {{ in_part('lesson_id') }}
           UNION ALL
           SELECT -sum(hashint4extended(module_id, lesson_id::bigint * 2 + 1)) FROM vault.cur_module_lesson
           WHERE {{ in_part('lesson_id') }}
       ) AS sums) IS DISTINCT FROM 0
{% else %}
  AND NOT {{ source_hashes_as_warehouse() }}
{% endif %}
;
{% endfor %}

-- a first load (the vault holds no current lesson): every source lesson is new, read whole, the part's by
-- remainder of the id (every row is read, and no current state has a span to cut). In one statement one
-- backend kept one core busy with postgres_fdw's parsing and the md5 keys while the other waited
INSERT INTO staging.stg_lesson (
    lesson_id, hk_lesson, module_id, hk_module, hk_module_lesson, hashdiff, vanished, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    stream_module_id,
    {{ hash_key(['stream_module_id']) }},
    {{ hash_key(['stream_module_id', 'id']) }},
    {{ hashdiff(attributes) | indent(4) }},
    false,
    {{ attributes | join(', ') }}
FROM {{ source('stream_module_lesson') }}
WHERE {{ slice('id') }} AND NOT {{ rerun }};

{#- this part's ids in the source: on a rerun its span's, on a first load its remainder's -#}
{{ record_source_ids('lesson', source('stream_module_lesson'), in_part('id'), rerun, span(slice)) }}
{{ record_source_ids('lesson', source('stream_module_lesson'), slice('id'), 'NOT ' ~ rerun) }}
{% endcall %}
