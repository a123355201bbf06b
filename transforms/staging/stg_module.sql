-- stg_module: this run's snapshot of source.stream_module, with hash keys for the module, its
-- stream and their link, and the hashdiff of the module's attributes.
{% from 'macros.sql' import hash, hash_if_present %}
{% set attributes = ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'] %}
TRUNCATE staging.stg_module;

INSERT INTO staging.stg_module (
    module_id, hk_module, stream_id, hk_stream, hk_stream_module, hashdiff, {{ attributes | join(', ') }}
)
SELECT
    id,
    {{ hash(['id']) }},
    stream_id,
    {{ hash_if_present(['stream_id']) }},
    {{ hash_if_present(['stream_id', 'id']) }},
    {{ hash(attributes) }},
    {{ attributes | join(', ') }}
FROM {{ source('stream_module') }};
