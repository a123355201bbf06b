-- Least privilege: group roles to grant to logins (GRANT pipeline_runner TO some_login).
--   pipeline_runner   runs the pipeline: reads the source's foreign tables, writes staging, vault and
--                     meta rows, and nothing else: it cannot create, alter or drop anything.
--   pipeline_analyst  reads the vault (history, views) and the run log, and writes nothing.
-- Migrations and the source binding run as the owner (WAREHOUSE_ADMIN_DSN, or WAREHOUSE_DSN).
-- Roles belong to the whole server, so they are created only if missing.
-- depends: 0009_oddities

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pipeline_runner') THEN
        CREATE ROLE pipeline_runner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pipeline_analyst') THEN
        CREATE ROLE pipeline_analyst NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA source, staging, vault, meta TO pipeline_runner;
GRANT USAGE ON FOREIGN SERVER source_db TO pipeline_runner;
GRANT SELECT ON ALL TABLES IN SCHEMA source TO pipeline_runner;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA staging TO pipeline_runner;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA vault TO pipeline_runner;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA meta TO pipeline_runner;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA meta TO pipeline_runner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA vault TO pipeline_runner;

GRANT USAGE ON SCHEMA vault, meta TO pipeline_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA vault, meta TO pipeline_analyst;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA vault TO pipeline_analyst;

-- what later migrations create is granted alike
ALTER DEFAULT PRIVILEGES IN SCHEMA staging GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO pipeline_runner;
ALTER DEFAULT PRIVILEGES IN SCHEMA vault GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pipeline_runner;
ALTER DEFAULT PRIVILEGES IN SCHEMA meta GRANT SELECT, INSERT, UPDATE ON TABLES TO pipeline_runner;
ALTER DEFAULT PRIVILEGES IN SCHEMA meta GRANT USAGE ON SEQUENCES TO pipeline_runner;
ALTER DEFAULT PRIVILEGES IN SCHEMA source GRANT SELECT ON TABLES TO pipeline_runner;
ALTER DEFAULT PRIVILEGES IN SCHEMA vault, meta GRANT SELECT ON TABLES TO pipeline_analyst;
