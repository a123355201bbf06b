{#- Shared expressions, imported by the transforms that need them. -#}

{#- A hash key: md5 of the integer business key(s) joined by '|', as uuid. NULL when a key part is
    NULL (a stream without a course has no course-stream link). -#}
{% macro hash_key(columns) -%}
md5({{ columns | join("::text || '|' || ") }}::text)::uuid
{%- endmacro %}

{#- A hashdiff: a 64-bit hash of a row of attributes, given as {column: type}. Each column is hashed
    by its type's own hash function, seeded by its position (so values swapped between columns still
    differ), NULL as the position itself, and the hashes are XORed. A hashdiff is only ever compared
    with the same key's previous one, so 64 bits leave a missed change at odds of 1 in 2^64.
    Built from plain CASE, hash functions and # only, it can be computed by the source itself:
    postgres_fdw pushes it down inside an aggregate.
    Text is hashed as the warehouse holds it: its bytes in the warehouse's encoding (UTF8), under the
    database's default collation, which is always deterministic (a hash of the bytes). The source
    computes the same value only when its text has the same bytes and its hash of text is a hash of
    bytes: see source_hashes_as_warehouse. Integers, booleans and timestamps hash their binary values,
    alike in every encoding; the hash functions are the same from PostgreSQL 11 on (hash partitioning
    relies on that). Migration 0020 writes these expressions out: change both together. -#}
{% macro hashdiff(columns) -%}
{% for column, type in columns.items() -%}
{{ "\n# " if not loop.first }}CASE WHEN {{ column }} IS NULL THEN {{ loop.index }} ELSE {{ hash_of(column, type, loop.index) }} END
{%- endfor %}
{%- endmacro %}

{% macro hash_of(column, type, seed) -%}
{% if type == 'text' %}hashtextextended({{ column }}, {{ seed }})
{%- elif type == 'integer' %}hashint4extended({{ column }}, {{ seed }})
{%- elif type == 'boolean' %}hashint4extended({{ column }}::integer, {{ seed }})
{%- elif type == 'timestamp' %}timestamp_hash_extended({{ column }}, {{ seed }})
{%- else %}{{ hashdiff_has_no_hash_function_for_type[type] }}
{%- endif %}
{%- endmacro %}

{#- Whether the source computes hashdiffs exactly as the warehouse does, so the delta steps may ask it
    to: its database encoding is the warehouse's (or SQL_ASCII, whose bytes reach us unconverted), and it
    has no nondeterministic collation (a column with one hashes its text by collation key: a case-
    insensitive one would hash 'A' as 'a'). A source in WIN1251, say, hashes other bytes for the same
    text: its rows are then fetched and hashed here. No shippable function converts encodings
    (convert_to is STABLE, and postgres_fdw sends only immutable ones), so this cannot be done there.
    Read from the source's catalog through source.server_settings and source.server_collations. -#}
{% macro source_hashes_as_warehouse() -%}
((SELECT setting FROM source.server_settings WHERE name = 'server_encoding') IN (getdatabaseencoding(), 'SQL_ASCII')
         AND NOT EXISTS (SELECT FROM source.server_collations WHERE NOT collisdeterministic))
{%- endmacro %}

{#- A set of integer ids, fingerprinted: their count and the sum of a 64-bit hash of each, as two columns.
    The staging steps record the source's (record_source_ids) and source_matches_vault computes the vault's
    and, on demand, the source's: the two sides agree only if all take it from here. -#}
{% macro id_fingerprint(column) -%}
count(*), sum(hashint4extended({{ column }}, 0))
{%- endmacro %}

{#- The ids a staging step's snapshot of the source holds (the rows of `table`, a source() table, that meet
    `condition`): their count and the sum of a hash of each, computed by the source, recorded in
    staging.stg_source_ids when `when` holds. After the run source_matches_vault compares the vault's
    current keys with these, not with a live source that may have gained or lost rows since. A statement
    of the step's own transaction, so of the snapshot its other statements read (postgres_fdw keeps one
    remote transaction, repeatable read, for each local one); `part`, a CTE the condition reads. A SELECT
    over the INSERT, so that the step's count of rows written leaves the record out. -#}
{% macro record_source_ids(entity, table, condition='true', when='true', part=none) -%}
-- the ids this snapshot of the source holds, for the checks after the run
WITH
{% if part %}
    part AS (
        {{ part | indent(8) }}
    ),
{% endif %}
    recorded AS (
        INSERT INTO staging.stg_source_ids (entity, ids, id_hash)
        SELECT '{{ entity }}', snapshot.ids, snapshot.id_hash
        FROM (SELECT {{ id_fingerprint('id') }} FROM {{ table }} WHERE {{ condition }}) AS snapshot (ids, id_hash)
        WHERE {{ when }}
        RETURNING entity
    )
SELECT count(*) FROM recorded;
{%- endmacro %}

{#- A first load's tables start from fresh, empty files: when every table given is empty, they are
    truncated in the step's own transaction. With wal_level = minimal (the embedded default) PostgreSQL
    then writes their rows without WAL and syncs the files at commit: about a third off a load of a
    million rows. Nothing happens on other servers, to a table that holds rows, or for a role without
    the TRUNCATE privilege. -#}
{% macro fresh_when_empty(tables) -%}
-- a first load into empty tables skips the WAL where the server keeps it minimal
DO $$
BEGIN
    IF current_setting('wal_level') = 'minimal'
{% for table in tables %}
       AND has_table_privilege('{{ table }}', 'TRUNCATE') AND NOT EXISTS (SELECT FROM {{ table }})
{% endfor %}
    THEN
        TRUNCATE {{ tables | join(', ') }};
    END IF;
END
$$;
{% endmacro %}

{#- A first load writes a table's rows first and its indexes after: when every table given is empty
    and the step's role owns it, its indexes (primary keys included) are dropped at the start of the
    step, and build_indexes_dropped(), at its end, creates them again from their own definitions, in
    one sort each. Maintained row by row, the indexes of a million-row first load took most of its
    time on a server without the WAL shortcut above. All of it happens in the step's transaction: a
    failure or a kill rolls the indexes back with the rows, and a duplicate key still fails the step
    (when its unique index is built). The tables are locked until the step commits; the steps that
    use this write tables no other step reads meanwhile. Nothing happens to a table that holds rows
    or for a role that does not own it. Give no table whose key another object depends on (a foreign
    key, a view grouped by it): dropping that key would fail the step. -#}
{% macro drop_indexes_when_empty(tables) -%}
-- a first load into empty tables builds their indexes once, after the rows
DO $$
DECLARE
    index record;
    definitions text[] := '{}';
BEGIN
    IF true
{% for table in tables %}
       AND pg_has_role((SELECT relowner FROM pg_class WHERE oid = '{{ table }}'::regclass), 'USAGE')
       AND NOT EXISTS (SELECT FROM {{ table }})
{% endfor %}
    THEN
        FOR index IN
            SELECT i.indrelid::regclass AS tbl, i.indexrelid::regclass AS name, con.conname,
                   CASE WHEN con.conname IS NULL THEN pg_get_indexdef(i.indexrelid)
                        ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', i.indrelid::regclass, con.conname,
                                    pg_get_constraintdef(con.oid))
                   END AS definition
            FROM pg_index AS i
            LEFT JOIN pg_constraint AS con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
            WHERE i.indrelid IN ({% for table in tables %}'{{ table }}'::regclass{{ ", " if not loop.last }}{% endfor %})
        LOOP
            definitions := definitions || index.definition;
            IF index.conname IS NULL THEN
                EXECUTE format('DROP INDEX %s', index.name);
            ELSE
                EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', index.tbl, index.conname);
            END IF;
        END LOOP;
        PERFORM set_config('pipeline.indexes_dropped', definitions::text, true);
    END IF;
END
$$;
{% endmacro %}

{% macro build_indexes_dropped() -%}
-- the indexes a first load dropped, built from its rows
DO $$
DECLARE
    definition text;
BEGIN
    FOREACH definition IN ARRAY coalesce(nullif(current_setting('pipeline.indexes_dropped', true), ''), '{}')::text[]
    LOOP
        EXECUTE definition;
    END LOOP;
    PERFORM set_config('pipeline.indexes_dropped', '', true);
END
$$;
{% endmacro %}

{#- The mart's columns, in the mart's order. -#}
{% set mart_columns = [
    'course_id', 'stream_id', 'module_id', 'lesson_id',
    'h_course_title', 's_course_icon_url', 's_course_is_auto_course_enroll', 's_course_is_demo_enroll',
    's_course_created_at', 's_course_updated_at', 's_course_deleted_at',
    'h_module_title', 'l_module_order_in_stream',
    's_module_created_at', 's_module_updated_at', 's_module_deleted_at',
    'h_lesson_title', 's_lesson_description', 's_lesson_teacher_id', 's_lesson_start_at', 's_lesson_end_at',
    's_lesson_homework_url', 's_lesson_online_lesson_join_url', 's_lesson_online_lesson_recording_url',
    's_lesson_deleted_at',
    'h_stream_name', 's_stream_is_open', 's_stream_homework_deadline_days', 's_stream_start_at',
    's_stream_end_at', 's_stream_created_at', 's_stream_updated_at', 's_stream_deleted_at',
] %}

{#- A lesson's mart columns, by vault.cur_lesson's column. -#}
{% set mart_lesson_columns = {'lesson_id': 'lesson_id', 'title': 'h_lesson_title', 'description': 's_lesson_description',
                              'teacher_id': 's_lesson_teacher_id', 'start_at': 's_lesson_start_at',
                              'end_at': 's_lesson_end_at', 'homework_url': 's_lesson_homework_url',
                              'online_lesson_join_url': 's_lesson_online_lesson_join_url',
                              'online_lesson_recording_url': 's_lesson_online_lesson_recording_url',
                              'deleted_at': 's_lesson_deleted_at'} %}

{#- A row's columns from vault.v_dm_upper (its course, stream and module), in the mart's order. -#}
{% set mart_upper_columns = mart_columns | reject('in', mart_lesson_columns.values()) | list %}

{#- Every row of the warehouse's view vault.v_dm_courses_modules_lessons_streams, assembled inside
    ClickHouse as the view assembles it (`warehouse(schema, table)` reads a warehouse table there):
    each current lesson, its module and each row of vault.v_dm_upper are read once, where reading the
    view whole has the warehouse format a module's, stream's and course's 23 columns again for each of
    its lessons, at more than twice the cost. The few upper rows without a lesson come from the
    warehouse's vault.v_dm_shells, which finds them by index: found here, they took every placement and
    lesson id a second read from the warehouse (ClickHouse keeps no WITH query's rows). A query, for a
    subquery: the mart's first load inserts it, and the check after that load compares the mart with it. -#}
{% macro current_mart_rows(warehouse) -%}
WITH
    lessons AS (SELECT {{ mart_lesson_columns.keys() | join(', ') }} FROM {{ warehouse('vault', 'cur_lesson') }}),
    placements AS (SELECT lesson_id, module_id FROM {{ warehouse('vault', 'cur_module_lesson') }}),
    modules AS (SELECT * FROM {{ warehouse('vault', 'v_dm_upper') }} WHERE module_id IS NOT NULL)
SELECT * FROM (
    -- every current lesson, under its module, stream and course (NULL where it has none)
    SELECT {% for column in mart_upper_columns %}u.{{ column }} AS {{ column }}, {% endfor %}

           {% for attribute, column in mart_lesson_columns.items() %}l.{{ attribute }} AS {{ column }}{{ ', ' if not loop.last }}{% endfor %}

    FROM lessons AS l
    LEFT JOIN placements AS p ON p.lesson_id = l.lesson_id
    LEFT JOIN modules AS u ON u.module_id = p.module_id
    UNION ALL
    -- each module without a current lesson, stream without a module, course without a stream
    SELECT u.{{ mart_upper_columns | join(', u.') }}, {{ (['NULL'] * mart_lesson_columns | length) | join(', ') }}
    FROM {{ warehouse('vault', 'v_dm_shells') }} AS u
)
{%- endmacro %}

{#- A mart row is anchored at its deepest key: its lesson, else its module, else its stream, else its
    course. The condition that a row's anchor is among the keys in `scope` (a mart run's stage_dm_scope,
    by level: a '<parent>_shell' key stands for the parent's childless row only), on the data table's
    narrow id columns. GLOBAL: on a cluster the node that runs the query reads its own stage once. -#}
{% macro anchored_in(scope) -%}
(lesson_id GLOBAL IN (SELECT id FROM {{ scope }} WHERE level = 'lesson')
 OR (lesson_id IS NULL
     AND module_id GLOBAL IN (SELECT id FROM {{ scope }} WHERE level IN ('module', 'module_shell')))
 OR (lesson_id IS NULL AND module_id IS NULL
     AND stream_id GLOBAL IN (SELECT id FROM {{ scope }} WHERE level IN ('stream', 'stream_shell')))
 OR (lesson_id IS NULL AND module_id IS NULL AND stream_id IS NULL
     AND course_id GLOBAL IN (SELECT id FROM {{ scope }} WHERE level IN ('course', 'course_shell'))))
{%- endmacro %}
