-- mart_matches_warehouse: the consumer view holds exactly the warehouse's current-state rows
-- (vault.v_dm_courses_modules_lessons_streams), every column of every row, rows with empty levels
-- included: no row missing, none extra, none with a value the warehouse does not have. Rows are matched
-- by the row key the warehouse's ids give; NULLs compare as equal. After a run (scoped), the rows under
-- the keys that run reloaded (its staging.stg_dm_scope, as its mart step copied it) against the rows it
-- computed for them (staging.stg_dm_feed). After a run that loaded an empty mart, every row, against
-- rows assembled here from the warehouse's current state as the view assembles them, as that load did
-- (current_mart_rows in transforms/macros.sql: cheaper than reading the view whole; the whole-table
-- tier compares with the view itself).
{% from 'macros.sql' import mart_columns as columns, current_mart_rows, anchored_in %}
WITH
{% if scoped and mart_was_empty %}
    -- every row of the warehouse's view, assembled from the current state as the mart's first load was
    assembled AS (
        {{ current_mart_rows(warehouse) | indent(8) }}
    ),
{% endif %}
    warehouse_rows AS (
        SELECT reinterpretAsUUID(sipHash128(tuple(course_id, stream_id, module_id, lesson_id))) AS row_key,
               {{ columns | join(', ') }}
{% if scoped and mart_was_empty %}
        FROM assembled
{% elif scoped %}
        FROM {{ warehouse('staging', 'stg_dm_feed') }}
{% else %}
        FROM {{ warehouse('vault', 'v_dm_courses_modules_lessons_streams') }}
{% endif %}
    ),
    mart_rows AS (
        SELECT dm_course_module_lesson_stream_uuid AS row_key, {{ columns | join(', ') }}
        FROM {{ mart }}.dm_courses_modules_lessons_streams
{% if scoped and not mart_was_empty %}
        -- the row keys anchored at the run's keys (each row at its deepest key: its lesson, else its
        -- module, else ...), found in the data table's narrow id columns, so that the view's FINAL
        -- reads only their granules
        WHERE dm_course_module_lesson_stream_uuid GLOBAL IN (
            SELECT row_key FROM {{ mart_data }} WHERE {{ anchored_in(scope) | indent(12) }}
        )
{% endif %}
    ),
    -- the rows that differ, found by a hash of every column: the warehouse's rows, read once, meet
    -- the mart's (row key, hash) pairs, narrow enough to hold in memory at any size. 64 bits (odds of
    -- 1 in 2^64 that a changed row hashes alike) and a tuple, which tells NULL from '': cityHash64 took
    -- a tenth less CPU than xxh3_128 for 1M rows on each side
    differing AS (
        SELECT w.*, hashed.row_key AS mart_row_key
        FROM warehouse_rows AS w
        GLOBAL FULL JOIN (
            SELECT row_key, cityHash64(tuple({{ columns | join(', ') }})) AS content FROM mart_rows
        ) AS hashed ON hashed.row_key = w.row_key
        WHERE w.row_key IS NULL OR hashed.row_key IS NULL
           OR hashed.content != cityHash64(tuple(w.{{ columns | join(', w.') }}))
    )
-- what differs in each: the few differing rows meet the mart's rows again, to name the first column
SELECT
    multiIf(
        w.row_key IS NULL, 'only in the mart',
        m.row_key IS NULL, 'only in the warehouse',
{% for column in columns %}
        NOT isNotDistinctFrom(m.{{ column }}, w.{{ column }}), 'differs in {{ column }}',
{% endfor %}
        'differs') AS tbl,
    concat(ifNull(toString(coalesce(m.course_id, w.course_id)), '-'), '/',
           ifNull(toString(coalesce(m.stream_id, w.stream_id)), '-'), '/',
           ifNull(toString(coalesce(m.module_id, w.module_id)), '-'), '/',
           ifNull(toString(coalesce(m.lesson_id, w.lesson_id)), '-')) AS offending_key
FROM mart_rows AS m
-- GLOBAL: on a cluster the mart side reads the Distributed table; the differing rows are found once, here
GLOBAL RIGHT JOIN differing AS w ON m.row_key = coalesce(w.row_key, w.mart_row_key)
SETTINGS join_use_nulls = 1
