-- dm_courses_modules_lessons_streams_data: the mart rows that are new or changed in this run's feed
-- (staging.stg_dm_feed), and a tombstone for every row under a key in its scope (staging.stg_dm_scope)
-- that the feed no longer has; into an empty mart, every row of the warehouse's view, assembled from
-- the current state. Runs inside ClickHouse, which reads the warehouse through a named collection.
-- mart_data is the data table, or on a cluster the Distributed table over it.
-- On a cluster the stage tables are the connected node's own (each node has empty ones), so every IN
-- here is GLOBAL: the node that runs the query evaluates the subquery once and ships the set to the
-- shards. A plain IN under a Distributed FROM would be sent as is, and each shard would read its own
-- empty stage: rows on other shards would never get their tombstones. On one server GLOBAL IN is IN.
{% from 'macros.sql' import mart_columns as columns, current_mart_rows, anchored_in %}
{#- A run's inserts are written in blocks of at most 64k rows or 32 MB, not the default 1M rows or
    256 MB, for less memory. A first load keeps the defaults: in 64k blocks, 1M lessons made 8 parts,
    whose merge raced the checks that follow and slowed them (chDB's worker peaked as high either way).
    And without optimize_on_insert: an insert holds one row per key, so ReplacingMergeTree's merge of
    each block found nothing to replace, at a third of chDB's CPU in a first load; merges and FINAL
    still keep the latest version. -#}
{#- distributed_foreground_insert: an insert through the Distributed table returns once every shard
    holds its rows, not when they are queued on this node for later, so the checks and the next run read
    what this one wrote (a setting the other tables ignore). -#}
{% set insert_settings = 'SETTINGS min_insert_block_size_rows = 65536, min_insert_block_size_bytes = 33554432,'
                         ' optimize_on_insert = 0, distributed_foreground_insert = 1' %}
{#- The row key hashes the ids (sipHash128, as it always has, so rows in the mart keep their keys); the
    hashdiff hashes every column: xxh3_128 of a tuple tells NULL from '' at a fifth of sipHash128's cost. -#}
{% set keyed_columns %}
reinterpretAsUUID(sipHash128(tuple(course_id, stream_id, module_id, lesson_id))),
    reinterpretAsUUID(xxh3_128(tuple({{ columns | join(', ') }}))),
    {{ columns | join(', ') }},
    {{ load_ts }}, {{ load_ts }}, 0
{%- endset %}
{% if mart_never_loaded %}
-- the mart is empty: every row of the warehouse's view vault.v_dm_courses_modules_lessons_streams goes
-- in, assembled here from the current state (current_mart_rows in macros.sql)
INSERT INTO {{ mart_data }} (row_key, hashdiff, {{ columns | join(', ') }},
                        dm_course_module_lesson_stream_load_ts, version, is_deleted)
SELECT
    {{ keyed_columns }}
FROM (
    {{ current_mart_rows(warehouse) | indent(4) }}
)
SETTINGS join_use_nulls = 1, optimize_on_insert = 0, distributed_foreground_insert = 1;
{% else %}
TRUNCATE TABLE {{ mart }}.stage_dm_scope;

INSERT INTO {{ mart }}.stage_dm_scope (level, id)
SELECT level, id FROM {{ warehouse('staging', 'stg_dm_scope') }};

TRUNCATE TABLE {{ mart }}.stage_dm_feed;

INSERT INTO {{ mart }}.stage_dm_feed (row_key, hashdiff, {{ columns | join(', ') }},
                                      dm_course_module_lesson_stream_load_ts, version, is_deleted)
SELECT
    {{ keyed_columns }}
FROM {{ warehouse('staging', 'stg_dm_feed') }}
{{ insert_settings }};

INSERT INTO {{ mart_data }} (row_key, hashdiff, {{ columns | join(', ') }},
                        dm_course_module_lesson_stream_load_ts, version, is_deleted)
WITH loaded AS (
    -- what the mart shows now under the changed keys
    SELECT *
    FROM {{ mart_data }} FINAL
    -- nothing at all when no key changed: a constant the query is planned with, so FINAL reads no part
    WHERE (SELECT count() FROM {{ mart }}.stage_dm_scope) > 0
      AND is_deleted = 0
      -- each row is anchored at its deepest key: its lesson, else its module, else ...
      AND {{ anchored_in(mart ~ '.stage_dm_scope') | indent(6) }}
)
-- rows whose key or content the mart does not show yet
SELECT row_key, hashdiff, {{ columns | join(', ') }}, {{ load_ts }}, {{ load_ts }}, 0
FROM {{ mart }}.stage_dm_feed
WHERE (row_key, hashdiff) GLOBAL NOT IN (SELECT row_key, hashdiff FROM loaded)
UNION ALL
-- rows gone from under the changed keys: their last version again, flagged deleted
SELECT row_key, hashdiff, {{ columns | join(', ') }}, {{ load_ts }}, {{ load_ts }}, 1
FROM loaded
WHERE row_key GLOBAL NOT IN (SELECT row_key FROM {{ mart }}.stage_dm_feed)
{{ insert_settings }};
{% endif %}
