-- stg_module: this run's delta of source.stream_module: every module whose attributes (by hashdiff) or
-- stream differ from the vault's current state, with hash keys, and every current module gone from the
-- source (vanished). The vault's module steps read only this.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_module;

INSERT INTO staging.stg_module (
    module_id, hk_module, stream_id, hk_stream, hashdiff, vanished, {{ attributes | join(', ') }}
)
WITH
    src AS (
        SELECT id AS module_id, stream_id, {{ hashdiff(attributes) }} AS hashdiff, {{ attributes | join(', ') }}
        FROM {{ source('stream_module') }}
    ),
    -- what the vault holds now: a module's attributes and its stream are current apart
    cur AS (
        SELECT module_id, mo.hashdiff, sm.stream_id
        FROM vault.cur_module AS mo
        FULL JOIN vault.cur_stream_module AS sm USING (module_id)
    )
SELECT
    module_id,
    {{ hash_key(['module_id']) }},
    src.stream_id,
    {{ hash_key(['src.stream_id']) }},
    src.hashdiff,
    src.module_id IS NULL,
    src.{{ attributes | join(', src.') }}
FROM src
FULL JOIN cur USING (module_id)
WHERE src.module_id IS NULL
   OR src.hashdiff IS DISTINCT FROM cur.hashdiff
   OR src.stream_id IS DISTINCT FROM cur.stream_id;
