-- The runner analyzes the staging and vault tables it has just filled, so the next steps are planned
-- on their real size; ANALYZE needs the table's owner, or on PostgreSQL 17 and later the MAINTAIN
-- privilege, granted here. (On older servers the runner's ANALYZE is skipped with a warning, and the
-- planner relies on autovacuum's statistics.)
-- depends: 0011_delta_staging

DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        EXECUTE 'GRANT MAINTAIN ON ALL TABLES IN SCHEMA staging, vault TO pipeline_runner';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA staging, vault GRANT MAINTAIN ON TABLES TO pipeline_runner';
    END IF;
END
$$;
