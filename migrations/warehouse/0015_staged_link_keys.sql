-- Each staging delta carries the hash key of its row's link to the parent, computed once there. The
-- link step and the effectivity step each recomputed it, and the effectivity step joined the whole
-- link table on it: at 1M lessons, two md5 passes and a 1M-row hash join on a first load.
-- Staging is truncated on every run, so the column needs no backfill.
-- depends: 0014_faster_oddities

ALTER TABLE staging.stg_stream ADD COLUMN hk_course_stream uuid;
ALTER TABLE staging.stg_module ADD COLUMN hk_stream_module uuid;
ALTER TABLE staging.stg_lesson ADD COLUMN hk_module_lesson uuid;
