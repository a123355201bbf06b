-- s_module_lesson_eff: a row when a module-lesson relationship becomes current, and one when it stops (the lesson
-- moved to another module, lost its module, or vanished). vault.cur_module_lesson, each lesson's current module,
-- follows in the same statement.
{#- A lesson stays in the delta (stg_lesson) while either current state lags behind the source: its
    module here, its attributes in vault.cur_lesson. A module or link new to h_module or l_module_lesson
    is kept there by this step's current state until they have committed it: so this step runs after
    them (and l_module_lesson then holds every link it names). h_lesson's new lessons are kept by the
    other current state, whose step runs after h_lesson. -#}
{{ after('h_module', 'l_module_lesson') }}
{% from 'macros.sql' import fresh_when_empty, drop_indexes_when_empty, build_indexes_dropped %}
{{ fresh_when_empty(['vault.s_module_lesson_eff', 'vault.cur_module_lesson']) }}
{{ drop_indexes_when_empty(['vault.s_module_lesson_eff', 'vault.cur_module_lesson']) }}
-- a relationship's change against the current state (when the vault holds no lesson's current
-- module, a first load, the statement after this one writes every staged lesson's instead)
WITH changes AS (
    -- lessons whose module is new or different: that relationship becomes current
    SELECT stg.hk_module_lesson, stg.hk_module, stg.hk_lesson, stg.module_id, stg.lesson_id, false AS is_deleted
    FROM {{ ref('stg_lesson') }} AS stg
    LEFT JOIN vault.cur_module_lesson AS cur USING (hk_lesson)
    WHERE stg.hk_module IS NOT NULL
      AND (cur.hk_lesson IS NULL OR cur.hk_module <> stg.hk_module)
      AND EXISTS (SELECT FROM vault.cur_module_lesson)
    UNION ALL
    -- current relationships the delta ends: the lesson vanished, lost its module or moved
    SELECT cur.hk_module_lesson, cur.hk_module, cur.hk_lesson, cur.module_id, cur.lesson_id, true
    FROM vault.cur_module_lesson AS cur
    JOIN {{ ref('stg_lesson') }} AS stg USING (hk_lesson)
    WHERE stg.hk_module IS DISTINCT FROM cur.hk_module
    -- sorted once, in the effectivity satellite's index order: PostgreSQL 17+ writes it below
    -- without sorting again
    ORDER BY hk_module_lesson
),
gone AS (
    -- lessons left without a current module (one that moved is updated below instead)
    DELETE FROM vault.cur_module_lesson AS cur
    USING changes
    WHERE changes.is_deleted
      AND cur.hk_lesson = changes.hk_lesson
      AND NOT EXISTS (SELECT FROM changes AS moved WHERE moved.hk_lesson = cur.hk_lesson AND NOT moved.is_deleted)
),
moved AS (
    UPDATE vault.cur_module_lesson AS cur
    SET hk_module = changes.hk_module, hk_module_lesson = changes.hk_module_lesson, module_id = changes.module_id,
        load_ts = {{ load_ts }}
    FROM changes
    WHERE NOT changes.is_deleted AND cur.hk_lesson = changes.hk_lesson
),
added AS (
    INSERT INTO vault.cur_module_lesson (hk_lesson, hk_module, hk_module_lesson, lesson_id, module_id, load_ts)
    SELECT hk_lesson, hk_module, hk_module_lesson, lesson_id, module_id, {{ load_ts }}
    FROM changes
    WHERE NOT is_deleted
      AND NOT EXISTS (SELECT FROM vault.cur_module_lesson AS cur WHERE cur.hk_lesson = changes.hk_lesson)
    ORDER BY hk_lesson
)
INSERT INTO vault.s_module_lesson_eff (hk_module_lesson, load_ts, is_deleted, record_source)
SELECT hk_module_lesson, {{ load_ts }}, is_deleted, 'source.stream_module_lesson'
FROM changes
ORDER BY hk_module_lesson;

-- a first load (no lesson has a current module, so none can have moved or vanished): every staged
-- lesson's module becomes current, written straight from staging, with the hash keys staged. The
-- statement above shares one sorted result between its inserts, which PostgreSQL before 17 sorted
-- again for each of them: at 1M lessons this took a third of the time.
WITH current_state AS (
    INSERT INTO vault.cur_module_lesson (hk_lesson, hk_module, hk_module_lesson, lesson_id, module_id, load_ts)
    SELECT hk_lesson, hk_module, hk_module_lesson, lesson_id, module_id, {{ load_ts }}
    FROM {{ ref('stg_lesson') }}
    WHERE hk_module IS NOT NULL AND NOT EXISTS (SELECT FROM vault.cur_module_lesson)
    RETURNING hk_module_lesson
)
INSERT INTO vault.s_module_lesson_eff (hk_module_lesson, load_ts, is_deleted, record_source)
SELECT hk_module_lesson, {{ load_ts }}, false, 'source.stream_module_lesson'
FROM current_state;

{{ build_indexes_dropped() }}
