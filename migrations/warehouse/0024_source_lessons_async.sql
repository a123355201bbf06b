-- The lesson delta (transforms/staging/stg_lesson.sql) first compares a sum over the source's lessons
-- with a sum over the vault's current state. Marked async_capable, the source's lessons table lets
-- postgres_fdw start the source's sum and return at once, so the warehouse sums its side meanwhile
-- (an Append of the foreign scan and the local ones) instead of waiting. Only an Append runs a foreign
-- scan asynchronously; every other query reads the table as before. postgres_fdw knows the option
-- from PostgreSQL 14 on; an older warehouse keeps reading the source synchronously.
-- depends: 0022_mart_view_module_lookup

DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 140000 THEN
        ALTER FOREIGN TABLE source.stream_module_lesson OPTIONS (ADD async_capable 'true');
    END IF;
END
$$;
