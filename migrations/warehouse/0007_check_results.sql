-- The results of the data checks (checks/), after every run and on demand.
-- depends: 0005_meta

CREATE TABLE meta.check_result (
    checked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id     bigint REFERENCES meta.run,
    check_name text NOT NULL,
    database   text NOT NULL,
    passed     boolean NOT NULL,
    failures   bigint NOT NULL,
    examples   text,
    PRIMARY KEY (checked_at, check_name)
);
