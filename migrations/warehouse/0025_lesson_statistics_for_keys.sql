-- The runner analyzes a table a step has just filled (a staging table every run, the vault's after a
-- first load) before the step commits, so that the steps after it plan with its row count. Every
-- column was analyzed, the lessons' wide text among them, though the pipeline's statements filter and
-- join lessons by their keys, ids, hashdiffs and load times only: the lesson attributes get no
-- statistics now, in the three million-row lesson tables. After a first load at 1M lessons, ANALYZE
-- took 0.08 s instead of 0.17 s for staging.stg_lesson and 0.07 s instead of 0.15 s for vault.s_lesson
-- (embedded). A query of your own that filters on an attribute is planned with PostgreSQL's default
-- selectivity for it.
-- depends: 0024_source_lessons_async

ALTER TABLE staging.stg_lesson
    ALTER COLUMN title SET STATISTICS 0,
    ALTER COLUMN description SET STATISTICS 0,
    ALTER COLUMN teacher_id SET STATISTICS 0,
    ALTER COLUMN start_at SET STATISTICS 0,
    ALTER COLUMN end_at SET STATISTICS 0,
    ALTER COLUMN homework_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_join_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_recording_url SET STATISTICS 0,
    ALTER COLUMN deleted_at SET STATISTICS 0;
ALTER TABLE vault.s_lesson
    ALTER COLUMN title SET STATISTICS 0,
    ALTER COLUMN description SET STATISTICS 0,
    ALTER COLUMN teacher_id SET STATISTICS 0,
    ALTER COLUMN start_at SET STATISTICS 0,
    ALTER COLUMN end_at SET STATISTICS 0,
    ALTER COLUMN homework_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_join_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_recording_url SET STATISTICS 0,
    ALTER COLUMN deleted_at SET STATISTICS 0;
ALTER TABLE vault.cur_lesson
    ALTER COLUMN title SET STATISTICS 0,
    ALTER COLUMN description SET STATISTICS 0,
    ALTER COLUMN teacher_id SET STATISTICS 0,
    ALTER COLUMN start_at SET STATISTICS 0,
    ALTER COLUMN end_at SET STATISTICS 0,
    ALTER COLUMN homework_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_join_url SET STATISTICS 0,
    ALTER COLUMN online_lesson_recording_url SET STATISTICS 0,
    ALTER COLUMN deleted_at SET STATISTICS 0;
