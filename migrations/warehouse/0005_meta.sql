-- The run log: one row per run, one per step of a run.
-- depends: 0001_schemas

CREATE TABLE meta.run (
    run_id      bigserial PRIMARY KEY,
    load_ts     timestamptz NOT NULL UNIQUE,
    finished_at timestamptz,
    status      text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'interrupted', 'skipped')),
    error       text
);

CREATE TABLE meta.run_step (
    run_id       bigint NOT NULL REFERENCES meta.run,
    step         text NOT NULL,
    database     text NOT NULL,
    started_at   timestamptz NOT NULL,
    duration_ms  integer,
    rows_written bigint,
    status       text NOT NULL CHECK (status IN ('running', 'success', 'failed')),
    error        text,
    PRIMARY KEY (run_id, step)
);
