-- Staging tables are emptied by TRUNCATE at the start of every run and analyzed by the runner after
-- they are filled, so autovacuum has nothing to do there. It still came: after a first load at 1M
-- lessons it vacuumed and analyzed stg_lesson (about a second) while the satellite steps ran.
-- (A vacuum against transaction ID wraparound still runs when needed: this setting cannot stop it.)
-- depends: 0017_hub_keys_are_hashes

ALTER TABLE staging.stg_course SET (autovacuum_enabled = false);
ALTER TABLE staging.stg_stream SET (autovacuum_enabled = false);
ALTER TABLE staging.stg_module SET (autovacuum_enabled = false);
ALTER TABLE staging.stg_lesson SET (autovacuum_enabled = false);
ALTER TABLE staging.stg_dm_scope SET (autovacuum_enabled = false);
ALTER TABLE staging.stg_dm_feed SET (autovacuum_enabled = false);
