-- The oddities a run met (vault.v_oddities: orphans, missing titles), recorded with the run as
-- [[oddity, count], ...]. Counting them takes about a second at 1M lessons, so a run that changed no
-- vault row carries over the last recorded counts instead of counting again.
-- depends: 0012_runner_maintains

ALTER TABLE meta.run ADD COLUMN oddities jsonb;
