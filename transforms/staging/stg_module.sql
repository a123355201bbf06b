-- stg_module: this run's delta of source.stream_module: every module whose attributes (by hashdiff) or
-- stream differ from the vault's current state, with hash keys, and every current module gone from the
-- source (vanished). The vault's module steps read only this.
{% from 'macros.sql' import hash_key, hashdiff, source_hashes_as_warehouse, record_source_ids %}
{% set attributes = {'title': 'text', 'order_in_stream': 'integer', 'created_at': 'timestamp', 'updated_at': 'timestamp',
                     'deleted_at': 'timestamp'} %}
TRUNCATE staging.stg_module;
DELETE FROM staging.stg_source_ids WHERE entity = 'module';

-- one row read whole first: a source column whose type changed fails here, with an error naming table
-- and column (the hashdiffs below are computed by the source, where it would fail less clearly)
SELECT * FROM {{ source('stream_module') }} LIMIT 1;

-- a first load (the vault holds no current module): every source module is new, read whole in one pass
INSERT INTO staging.stg_module (
    module_id, hk_module, stream_id, hk_stream, hashdiff, vanished, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    stream_id,
    {{ hash_key(['stream_id']) }},
    {{ hashdiff(attributes) | indent(4) }},
    false,
    {{ attributes | join(', ') }}
FROM {{ source('stream_module') }}
WHERE NOT EXISTS (SELECT FROM vault.cur_module) AND NOT EXISTS (SELECT FROM vault.cur_stream_module);

-- otherwise, only the delta against the current state:
INSERT INTO staging.stg_module (
    module_id, hk_module, stream_id, hk_stream, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    -- every source module's stream and hashdiff. The source computes the hashdiffs itself when its text has
    -- the warehouse's bytes (source_hashes_as_warehouse in macros.sql): grouped by the primary key,
    -- postgres_fdw sends the aggregate and its expressions there, and three numbers a module come back.
    -- Otherwise the rows come here and are hashed here.
    src AS (
        SELECT *
        FROM (
            SELECT id AS module_id, min(stream_id) AS stream_id,
                   min({{ hashdiff(attributes) | indent(23) }}) AS hashdiff
            FROM {{ source('stream_module') }}
            GROUP BY id
        ) AS hashed_there
        WHERE {{ source_hashes_as_warehouse() }}
        UNION ALL
        SELECT id, stream_id, {{ hashdiff(attributes) | indent(12) }}
        FROM {{ source('stream_module') }}
        WHERE NOT {{ source_hashes_as_warehouse() }}
    ),
    -- what the vault holds now: a module's attributes and its stream are current apart
    cur AS (
        SELECT module_id, mo.hashdiff, sm.stream_id
        FROM vault.cur_module AS mo
        FULL JOIN vault.cur_stream_module AS sm USING (module_id)
    ),
    delta AS (
        SELECT module_id, src.stream_id, src.hashdiff, src.module_id IS NULL AS vanished
        FROM src
        FULL JOIN cur USING (module_id)
        WHERE src.module_id IS NULL
           OR src.hashdiff IS DISTINCT FROM cur.hashdiff
           OR src.stream_id IS DISTINCT FROM cur.stream_id
    ),
    -- the attributes of the delta's modules only: the id list goes to the source as one parameter
    fetched AS (
        SELECT id AS module_id, {{ attributes | join(', ') }}
        FROM {{ source('stream_module') }}
        WHERE id = ANY ((SELECT array_agg(module_id) FROM delta WHERE NOT vanished)::integer[])
    )
SELECT
    module_id,
    {{ hash_key(['module_id']) }},
    delta.stream_id,
    {{ hash_key(['delta.stream_id']) }},
    delta.hashdiff,
    delta.vanished,
    fetched.{{ attributes | join(', fetched.') }}
FROM delta
LEFT JOIN fetched USING (module_id)
WHERE EXISTS (SELECT FROM vault.cur_module) OR EXISTS (SELECT FROM vault.cur_stream_module);

{{ record_source_ids('module', source('stream_module')) }}
