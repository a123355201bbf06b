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
