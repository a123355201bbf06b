-- stg_module: this run's snapshot of source.stream_module, with hash keys for the module and its
-- stream, and the hashdiff of the module's attributes.
{% from 'macros.sql' import hash_key, hashdiff %}
{% set attributes = ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_module;

INSERT INTO staging.stg_module (
    module_id, hk_module, stream_id, hk_stream, hashdiff, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash_key(['id']) }},
    stream_id,
    {{ hash_key(['stream_id']) }},
    {{ hashdiff(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('stream_module') }};
