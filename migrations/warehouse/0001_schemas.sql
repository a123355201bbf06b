-- Schemas of the warehouse: the source as foreign tables, the per-run snapshot, the vault, the run log.
-- The foreign server has no address here: the runner binds it to SOURCE_DSN on every run.

CREATE EXTENSION IF NOT EXISTS postgres_fdw;

CREATE SERVER source_db FOREIGN DATA WRAPPER postgres_fdw OPTIONS (fetch_size '10000');

CREATE SCHEMA source;
CREATE SCHEMA staging;
CREATE SCHEMA vault;
CREATE SCHEMA meta;
