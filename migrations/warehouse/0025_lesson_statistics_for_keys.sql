-- The runner analyzes a table a step has just filled (a staging table every run, the vault's after a
-- first load) before the step commits, so that the steps after it plan with its row count. Every
-- column was analyzed, the lessons' wide text among them, though the pipeline's statements filter and
-- join lessons by their keys, ids, hashdiffs and load times only: the lesson attributes get no
-- statistics now, in the three million-row lesson tables. After a first load at 1M lessons, ANALYZE
-- took 0.08 s instead of 0.17 s for staging.stg_lesson and 0.07 s instead of 0.15 s for vault.s_lesson
-- (embedded). A query of your own that filters on an attribute is planned with PostgreSQL's default
-- selectivity for it.
-- depends: 0024_source_lessons_async

DO $$
DECLARE
    lesson_table text;
    attribute text;
BEGIN
    FOREACH lesson_table IN ARRAY ARRAY['staging.stg_lesson', 'vault.s_lesson', 'vault.cur_lesson'] LOOP
        FOREACH attribute IN ARRAY ARRAY['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url',
                                         'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS 0', lesson_table, attribute);
        END LOOP;
    END LOOP;
END
$$;
