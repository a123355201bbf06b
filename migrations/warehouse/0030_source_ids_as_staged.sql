-- What each staging step's snapshot of the source held: how many ids, and the sum of a hash of each. The
-- checks after a run compared the vault's current keys with the source as it was when they ran, so a live
-- source that gained or lost a row while the run finished failed them, with nothing wrong in the vault.
-- source_matches_vault now compares, after a run, with what the run read (one row an entity, or a part of
-- one); the whole-table check still compares with the source as it is. Emptied by the staging steps,
-- each its own entity's rows, every run.
-- depends: 0029_current_lessons_by_id

CREATE UNLOGGED TABLE staging.stg_source_ids (
    entity text NOT NULL,     -- course, stream, module, lesson
    ids bigint NOT NULL,      -- how many ids the snapshot held
    id_hash numeric           -- the sum of hashint4extended(id, 0) over them (NULL: none)
) WITH (autovacuum_enabled = false);
