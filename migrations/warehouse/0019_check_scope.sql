-- Two tiers of data checks: those that follow a run look only at the keys that run touched
-- (scope 'run'); the whole-table checks run on demand and on a cadence of their own (scope 'full').
-- Each result also records how long its query took, so a check's cost is visible beside the run's.
-- depends: 0007_check_results

ALTER TABLE meta.check_result
    ADD COLUMN scope text NOT NULL DEFAULT 'full' CHECK (scope IN ('run', 'full')),
    ADD COLUMN duration_ms integer;

CREATE INDEX ON meta.check_result (scope, checked_at);
