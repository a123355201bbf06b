-- dm_courses_modules_lessons_streams_data: the mart rows that are new or changed in this run's feed
-- (staging.stg_dm_feed), and a tombstone for every row under a key in its scope (staging.stg_dm_scope)
-- that the feed no longer has; into an empty mart, every row of the warehouse's view, assembled from
-- the current state. Runs inside ClickHouse, which reads the warehouse through a named collection.
-- mart_data is the data table, or on a cluster the Distributed table over it.
-- On a cluster the stage tables are the connected node's own (each node has empty ones), so every IN
-- here is GLOBAL: the node that runs the query evaluates the subquery once and ships the set to the
-- shards. A plain IN under a Distributed FROM would be sent as is, and each shard would read its own
-- empty stage: rows on other shards would never get their tombstones. On one server GLOBAL IN is IN.
{% set columns = [
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
{#- A run's inserts are written in blocks of at most 64k rows or 32 MB, not the default 1M rows or
    256 MB, for less memory. A first load keeps the defaults: in 64k blocks, 1M lessons made 8 parts,
    whose merge raced the checks that follow (3.5-3.7 s of checks with 2 parts, 4.2-4.8 s with 8; chDB's
    worker peaked at 1.1-1.2 GB either way). And without optimize_on_insert: an insert holds one row
    per key, so ReplacingMergeTree's merge of each block found nothing to replace, at 2.7 s of
    chDB's 6.7 s of CPU in a first load of 1M lessons; merges and FINAL still keep the latest version. -#}
{#- distributed_foreground_insert: an insert through the Distributed table returns once every shard
    holds its rows, not when they are queued on this node for later, so the checks and the next run read
    what this one wrote (a setting the other tables ignore). -#}
{#- A row's columns from vault.v_dm_upper (its course, stream and module) and from vault.cur_lesson. -#}
{% set lesson_columns = {'lesson_id': 'lesson_id', 'title': 'h_lesson_title', 'description': 's_lesson_description',
                         'teacher_id': 's_lesson_teacher_id', 'start_at': 's_lesson_start_at',
                         'end_at': 's_lesson_end_at', 'homework_url': 's_lesson_homework_url',
                         'online_lesson_join_url': 's_lesson_online_lesson_join_url',
                         'online_lesson_recording_url': 's_lesson_online_lesson_recording_url',
                         'deleted_at': 's_lesson_deleted_at'} %}
{% set upper_columns = columns | reject('in', lesson_columns.values()) | list %}
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
-- in, assembled here as the view assembles it. Read whole, the view has the warehouse format a module's,
-- stream's and course's 23 columns again for each of its lessons (2.8 s at 1M lessons); here each
-- current lesson, its module and each row of vault.v_dm_upper are read once (1.2 s) and joined.
INSERT INTO {{ mart_data }} (row_key, hashdiff, {{ columns | join(', ') }},
                        dm_course_module_lesson_stream_load_ts, version, is_deleted)
WITH
    lessons AS (SELECT {{ lesson_columns.keys() | join(', ') }} FROM {{ warehouse('vault', 'cur_lesson') }}),
    placements AS (SELECT lesson_id, module_id FROM {{ warehouse('vault', 'cur_module_lesson') }}),
    upper AS (SELECT * FROM {{ warehouse('vault', 'v_dm_upper') }})
SELECT
    {{ keyed_columns }}
FROM (
    -- every current lesson, under its module, stream and course (NULL where it has none)
    SELECT {% for column in upper_columns %}u.{{ column }} AS {{ column }}, {% endfor %}

           {% for attribute, column in lesson_columns.items() %}l.{{ attribute }} AS {{ column }}{{ ', ' if not loop.last }}{% endfor %}

    FROM lessons AS l
    LEFT JOIN placements AS p ON p.lesson_id = l.lesson_id
    LEFT JOIN (SELECT * FROM upper WHERE module_id IS NOT NULL) AS u ON u.module_id = p.module_id
    UNION ALL
    -- each module without a current lesson, stream without a module, course without a stream
    SELECT u.{{ upper_columns | join(', u.') }}, {{ (['NULL'] * lesson_columns | length) | join(', ') }}
    FROM upper AS u
    WHERE u.module_id IS NULL
       OR u.module_id NOT IN (SELECT module_id FROM placements WHERE lesson_id IN (SELECT lesson_id FROM lessons))
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
      AND (lesson_id GLOBAL IN (SELECT id FROM {{ mart }}.stage_dm_scope WHERE level = 'lesson')
        OR (lesson_id IS NULL
            AND module_id GLOBAL IN (SELECT id FROM {{ mart }}.stage_dm_scope WHERE level IN ('module', 'module_shell')))
        OR (lesson_id IS NULL AND module_id IS NULL
            AND stream_id GLOBAL IN (SELECT id FROM {{ mart }}.stage_dm_scope WHERE level IN ('stream', 'stream_shell')))
        OR (lesson_id IS NULL AND module_id IS NULL AND stream_id IS NULL
            AND course_id GLOBAL IN (SELECT id FROM {{ mart }}.stage_dm_scope WHERE level IN ('course', 'course_shell'))))
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
