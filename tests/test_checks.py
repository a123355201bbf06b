"""The data checks catch every kind of damage they name, on real engines: the whole-table checks
anywhere, the checks that follow a run on the keys that run touched. Each test damages the vault or
the mart the way a bug or a stray hand would, and expects the check to fail naming the offending key."""

import psycopg
import pytest

from pipeline import checks

MART_CHECKS = {path.stem for path in checks.paths("mart")}


@pytest.fixture
def loaded(pipeline):
    """The demo catalog plus a course without streams and a module without lessons, loaded twice: the
    second run touched lesson 1, module 19 (the empty one) and course 4 (the childless one)."""
    pipeline.source("INSERT INTO course (id, title) VALUES (4, 'No streams yet')")
    pipeline.source("INSERT INTO stream_module (id, stream_id, title, order_in_stream) VALUES (19, 1, 'Empty', 9)")
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET description = 'touched' WHERE id = 1")
    pipeline.source("UPDATE course SET icon_url = 'touched.png' WHERE id = 4")
    pipeline.source("UPDATE stream_module SET title = 'Still empty' WHERE id = 19")
    pipeline.run()
    return pipeline


def last_run_scope(pipeline, mart_was_empty: bool = False) -> checks.Scope:
    return checks.Scope(
        run_ts=pipeline.scalar("SELECT load_ts FROM meta.run ORDER BY run_id DESC LIMIT 1"),
        mart_was_empty=mart_was_empty,
    )


def scope_named(pipeline, name: str) -> checks.Scope:
    """The checks' tiers: whole tables; after a run; after a run that loaded an empty mart (whose mart
    checks compare the whole mart with rows they assemble from the warehouse's current state)."""
    if name == "full":
        return checks.FULL
    return last_run_scope(pipeline, mart_was_empty=name == "first load")


TIERS = ["full", "run", "first load"]


def failures(pipeline, scope: checks.Scope = checks.FULL, only: set[str] | None = None) -> dict[str, list[str]]:
    """The checks that fail, with their examples ("<what> <key>")."""
    found = {}
    with psycopg.connect(pipeline.endpoints.warehouse_dsn, autocommit=True) as meta:
        for path in checks.paths():
            if only is None or path.stem in only:
                result = checks.run_check(path, meta, pipeline.mart, scope)
                if not result.passed:
                    found[result.name] = result.examples
    return found


def newer_version(pipeline, where: str, replace: str = "", source: str = "") -> None:
    """Insert into the mart's data table a newer version of the row `where`: a copy of its latest
    version (or of the rows of table `source`), with ClickHouse's `SELECT * REPLACE` list."""
    data = f"{pipeline.mart.database}.dm_courses_modules_lessons_streams_data"
    pipeline.mart.execute(
        f"INSERT INTO {data} SELECT * REPLACE ({replace}{', ' if replace else ''}"
        f" (SELECT max(version) FROM {data} WHERE {where}) + toIntervalSecond(1) AS version)"
        f" FROM (SELECT * FROM {source or data + ' FINAL'} WHERE {where})"  # ClickHouse's WHERE sees aliases
    )


def snapshot(pipeline, where: str) -> str:
    """A copy of the mart's current rows `where`, to restore them from (merges drop old versions)."""
    db = pipeline.mart.database
    pipeline.mart.execute(f"DROP TABLE IF EXISTS {db}.snapshot")
    pipeline.mart.execute(
        f"CREATE TABLE {db}.snapshot ENGINE = Memory"
        f" AS SELECT * FROM {db}.dm_courses_modules_lessons_streams_data FINAL WHERE {where}"
    )
    return f"{db}.snapshot"


def damaged_value(column: str, type_name: str) -> str:
    """An expression for a value of `column` that differs from the one it holds, NULL included."""
    inner = type_name.removeprefix("LowCardinality(").removeprefix("Nullable(").rstrip(")")
    if inner == "String":
        changed, default = f"concat({column}, ' (WRONG)')", "'WRONG'"
    elif inner == "Bool":
        changed, default = f"NOT {column}", "true"
    elif inner.startswith("DateTime64"):
        changed, default = f"{column} + toIntervalSecond(1)", "now64(6)"
    else:
        changed, default = f"{column} + 1", "1"
    return f"if(isNull({column}), {default}, {changed}) AS {column}"


def consumer_columns(pipeline) -> list[tuple[str, str]]:
    db = pipeline.mart.database
    return pipeline.mart.execute(
        f"SELECT name, type FROM system.columns WHERE database = '{db}'"
        " AND table = 'dm_courses_modules_lessons_streams_data'"
        " AND name NOT IN ('row_key', 'hashdiff', 'dm_course_module_lesson_stream_load_ts', 'version', 'is_deleted')"
        " ORDER BY position"
    )


IDS = ("course_id", "stream_id", "module_id", "lesson_id")
# rows of each kind (where, offending key, the column prefixes it fills): a lesson's, a module's
# without lessons, a course's without streams
ROWS = [
    ("lesson_id = 1", "1/1/1/1", ("h_", "s_", "l_")),
    ("module_id = 19 AND lesson_id IS NULL", "1/1/19/-", ("h_course", "s_course", "h_stream", "s_stream",
                                                          "h_module", "s_module", "l_module")),
    ("course_id = 4 AND stream_id IS NULL", "4/-/-/-", ("h_course", "s_course")),
]  # fmt: skip


@pytest.mark.parametrize("scope", TIERS)
def test_a_wrong_value_in_any_column_of_any_row_fails_mart_matches_warehouse(loaded, scope):
    the_scope = scope_named(loaded, scope)
    assert failures(loaded, the_scope) == {}
    for where, key, prefixes in ROWS:
        for column, type_name in consumer_columns(loaded):
            if column in IDS or not column.startswith(prefixes):
                continue  # other ids make another row: see the extra and missing row tests
            original = snapshot(loaded, where)
            newer_version(loaded, where, damaged_value(column, type_name))
            found = failures(loaded, the_scope, only={"mart_matches_warehouse"})
            assert found == {"mart_matches_warehouse": [f"differs in {column} {key}"]}, (where, column)
            newer_version(loaded, where, source=original)  # the row as it was, as a newer version still
    assert failures(loaded, the_scope) == {}


def data_table(pipeline) -> str:
    return f"{pipeline.mart.database}.dm_courses_modules_lessons_streams_data"


# (damage, the failures it causes) in the mart, each on a touched row; rows with empty levels included
MART_DAMAGE = {
    "a row missing": (
        lambda p: newer_version(p, "course_id = 4 AND stream_id IS NULL", "1 AS is_deleted"),
        {"mart_matches_warehouse": ["only in the warehouse 4/-/-/-"]},
    ),
    "a module's row missing": (
        lambda p: newer_version(p, "module_id = 19 AND lesson_id IS NULL", "1 AS is_deleted"),
        {"mart_matches_warehouse": ["only in the warehouse 1/1/19/-"]},
    ),
    "an extra row": (  # lesson 1 under module 2 as well
        lambda p: newer_version(p, "lesson_id = 1", "2 AS module_id, generateUUIDv4() AS row_key"),
        {"mart_matches_warehouse": ["only in the mart 1/1/2/1"]},
    ),
    "a duplicate under another row key": (
        lambda p: newer_version(p, "course_id = 4 AND stream_id IS NULL", "generateUUIDv4() AS row_key"),
        {
            "mart_matches_warehouse": ["only in the mart 4/-/-/-"],
            "mart_rows_unique": ["ids shown more than once 4/-/-/-"],
        },
    ),
    "a lesson's row duplicated": (
        lambda p: newer_version(p, "lesson_id = 1", "generateUUIDv4() AS row_key"),
        {
            "mart_matches_warehouse": ["only in the mart 1/1/1/1"],
            "mart_rows_unique": ["ids shown more than once 1/1/1/1"],
        },
    ),
    "a module's row duplicated": (
        lambda p: newer_version(p, "module_id = 19 AND lesson_id IS NULL", "generateUUIDv4() AS row_key"),
        {
            "mart_matches_warehouse": ["only in the mart 1/1/19/-"],
            "mart_rows_unique": ["ids shown more than once 1/1/19/-"],
        },
    ),
}


@pytest.mark.parametrize("damage", MART_DAMAGE, ids=list(MART_DAMAGE))
@pytest.mark.parametrize("scope", TIERS)
def test_a_missing_extra_or_duplicate_mart_row_fails(loaded, damage, scope):
    the_scope = scope_named(loaded, scope)
    do, expected = MART_DAMAGE[damage]
    do(loaded)
    assert failures(loaded, the_scope) == expected


# (damage, the failures it causes) in the vault, each on a key the second run touched (lesson 1, module 19)
VAULT_DAMAGE = {
    "a current attribute the history does not have": (
        "UPDATE vault.cur_lesson SET title = 'Variables (WRONG)' WHERE lesson_id = 1",
        {"current_state_matches_history": ["vault.cur_lesson {hk_lesson_1}"]},
    ),
    "a current hashdiff the history does not have": (
        "UPDATE vault.cur_module SET hashdiff = 0 WHERE module_id = 19",
        {"current_state_matches_history": ["vault.cur_module {hk_module_19}"]},
    ),
    "a current placement under another module": (
        "UPDATE vault.cur_module_lesson SET hk_module = md5('2')::uuid, module_id = 2 WHERE lesson_id = 1",
        {"current_state_matches_history": ["vault.cur_module_lesson {hk_module_lesson_1_1}"]},
    ),
    "a current key the history says is deleted": (
        "UPDATE vault.s_lesson SET is_deleted = true WHERE hk_lesson = md5('1')::uuid"
        " AND load_ts = (SELECT max(load_ts) FROM vault.s_lesson WHERE hk_lesson = md5('1')::uuid)",
        {"current_state_matches_history": ["vault.cur_lesson {hk_lesson_1}"]},
    ),
    "a key missing from the vault": (
        "DELETE FROM vault.cur_lesson WHERE lesson_id = 1",
        {
            "current_state_matches_history": ["vault.cur_lesson {hk_lesson_1}"],
            "source_matches_vault": ["source.stream_module_lesson vs vault.cur_lesson 1"],
        },
    ),
    "a current id that is not its key's": (
        "UPDATE vault.cur_lesson SET lesson_id = 999 WHERE lesson_id = 1",
        {
            "current_state_matches_history": ["vault.cur_lesson {hk_lesson_1}"],
            "source_matches_vault": [
                "source.stream_module_lesson vs vault.cur_lesson 1",
                "source.stream_module_lesson vs vault.cur_lesson 999",
            ],
        },
    ),
    "a current placement's id that is not its key's": (
        "UPDATE vault.cur_module_lesson SET lesson_id = 999 WHERE lesson_id = 1",
        {"current_state_matches_history": ["vault.cur_module_lesson {hk_module_lesson_1_1}"]},
    ),
    "a satellite row moved to a key no hub has (the counts unchanged)": (
        "UPDATE vault.s_module SET hk_module = md5('999')::uuid WHERE hk_module = md5('19')::uuid",
        {
            "rows_point_at_parents": ["vault.s_module.hk_module {hk_module_999}"] * 2,  # both runs' rows
            "current_state_matches_history": ["vault.cur_module {hk_module_19}", "vault.cur_module {hk_module_999}"],
        },
    ),
    "a satellite row without its hub": (
        "DELETE FROM vault.h_module WHERE module_id = 19",
        {
            "rows_point_at_parents": [
                "vault.l_stream_module.hk_module {hk_module_19}",
                "vault.s_module.hk_module {hk_module_19}",  # both runs wrote a row of module 19
                "vault.s_module.hk_module {hk_module_19}",
            ]
        },
    ),
}


def keys(pipeline) -> dict[str, str]:
    return {
        "hk_lesson_1": pipeline.scalar("SELECT md5('1')::uuid::text"),
        "hk_module_19": pipeline.scalar("SELECT md5('19')::uuid::text"),
        "hk_module_999": pipeline.scalar("SELECT md5('999')::uuid::text"),
        "hk_module_lesson_1_1": pipeline.scalar("SELECT md5('1|1')::uuid::text"),
    }


@pytest.mark.parametrize("damage", VAULT_DAMAGE, ids=list(VAULT_DAMAGE))
@pytest.mark.parametrize("scope", ["full", "full after a run", "run"])
def test_vault_damage_on_a_touched_key_fails(loaded, damage, scope):
    """The warehouse's checks; the mart's whole-table check then fails too, as the mart no longer shows
    the (damaged) current state. The scheduler's whole-table checks after a run compare the vault with the
    source as that run read it, and with the counts."""
    statement, expected = VAULT_DAMAGE[damage]
    the_scope = {"full": checks.FULL, "full after a run": checks.FULL_AFTER_RUN}.get(scope) or last_run_scope(loaded)
    loaded.warehouse(f"{statement} RETURNING 1")
    found = failures(loaded, the_scope, only={path.stem for path in checks.paths()} - MART_CHECKS)
    named = keys(loaded)
    expected = {check: [example.format(**named) for example in examples] for check, examples in expected.items()}
    if scope != "full" and damage == "a key missing from the vault":  # the counts show it too, after a run
        expected["source_matches_vault"].append("count of source.stream_module_lesson vs vault.cur_lesson 36 vs 35")
    if scope == "run" and damage == "a satellite row without its hub":  # the rows the last run wrote
        expected["rows_point_at_parents"].remove(f"vault.l_stream_module.hk_module {named['hk_module_19']}")
        expected["rows_point_at_parents"].remove(f"vault.s_module.hk_module {named['hk_module_19']}")
    if scope == "run" and damage.startswith("a satellite row moved"):  # the last run's row, its delta's key
        expected["rows_point_at_parents"].pop()
        expected["current_state_matches_history"].remove(f"vault.cur_module {named['hk_module_999']}")
    assert {check: sorted(examples) for check, examples in found.items()} == {
        check: sorted(examples) for check, examples in expected.items()
    }


@pytest.mark.parametrize("damage", VAULT_DAMAGE, ids=list(VAULT_DAMAGE))
def test_vault_damage_after_a_first_load_fails(pipeline, damage):
    """After a first load every key was touched, and the vault's checks compare the current state with
    the history by fingerprint first: each damage still fails, naming its key."""
    pipeline.source("INSERT INTO stream_module (id, stream_id, title, order_in_stream) VALUES (19, 1, 'Empty', 9)")
    pipeline.run()
    assert failures(pipeline, last_run_scope(pipeline, mart_was_empty=True)) == {}
    statement, expected = VAULT_DAMAGE[damage]
    pipeline.warehouse(f"{statement} RETURNING 1")
    found = failures(pipeline, last_run_scope(pipeline, mart_was_empty=True), only={"current_state_matches_history",
                     "rows_point_at_parents", "source_matches_vault"})  # fmt: skip
    named = keys(pipeline)
    expected = {check: [example.format(**named) for example in examples] for check, examples in expected.items()}
    if damage == "a key missing from the vault":  # the counts show it too, after a run
        expected["source_matches_vault"].append("count of source.stream_module_lesson vs vault.cur_lesson 36 vs 35")
    if damage == "a satellite row without its hub":  # one run wrote one row of module 19
        expected["rows_point_at_parents"].remove(f"vault.s_module.hk_module {named['hk_module_19']}")
    if damage.startswith("a satellite row moved"):  # likewise
        expected["rows_point_at_parents"].remove(f"vault.s_module.hk_module {named['hk_module_999']}")
    assert {check: sorted(examples) for check, examples in found.items()} == {
        check: sorted(examples) for check, examples in expected.items()
    }


def test_checks_after_a_run_look_only_at_what_it_touched_and_the_whole_table_checks_at_everything(loaded):
    """Damage on keys the last run did not touch (lesson 20, course 2's rows) escapes the checks that
    follow a run, except where a cheap count shows it, and fails the whole-table checks."""
    loaded.warehouse("UPDATE vault.cur_lesson SET title = 'Wrong' WHERE lesson_id = 20 RETURNING 1")
    newer_version(loaded, "lesson_id = 21", "'Wrong' AS h_lesson_title")
    after_the_run = failures(loaded, last_run_scope(loaded))
    assert after_the_run == {}
    whole = {check: sorted(examples) for check, examples in failures(loaded).items()}
    hk_lesson_20 = loaded.scalar("SELECT md5('20')::uuid::text")
    assert whole == {
        "current_state_matches_history": [f"vault.cur_lesson {hk_lesson_20}"],
        "mart_matches_warehouse": ["differs in h_lesson_title 3/4/10/20", "differs in h_lesson_title 3/4/11/21"],
    }


def test_a_source_that_moves_on_after_the_run_does_not_fail_its_checks(loaded):
    """A live source gains and loses lessons while a run finishes. The checks after the run, and the
    scheduler's whole-table checks that follow it, compare the vault's current keys with the ids its
    staging steps read, one snapshot per step (or per part of one), recorded without counting as rows
    written; the whole-table check on demand compares with the source as it is now, and names those
    lessons until the next run loads them."""
    staged = loaded.warehouse("SELECT entity, sum(ids)::int, count(*)::int FROM staging.stg_source_ids GROUP BY 1")
    assert sorted(staged) == [("course", 4, 1), ("lesson", 36, 2), ("module", 19, 1), ("stream", 6, 1)]
    written = loaded.warehouse(
        "SELECT step, rows_written FROM meta.run_step WHERE run_id = (SELECT max(run_id) FROM meta.run)"
        " AND step LIKE 'staging.stg_%' AND step <> 'staging.stg_dm_feed'"
    )
    assert sorted(written) == [("staging.stg_course", 1), ("staging.stg_lesson", 1), ("staging.stg_module", 1),
                               ("staging.stg_stream", 0)]  # fmt: skip
    loaded.source("INSERT INTO stream_module_lesson (id, title, stream_module_id) VALUES (1001, 'Meanwhile', 1)")
    loaded.source("DELETE FROM stream_module_lesson WHERE id IN (9, 10)")
    assert failures(loaded, last_run_scope(loaded)) == {}
    assert failures(loaded, checks.FULL_AFTER_RUN) == {}  # the scheduler's whole-table checks after the run
    assert {check: sorted(examples) for check, examples in failures(loaded).items()} == {
        "source_matches_vault": [f"source.stream_module_lesson vs vault.cur_lesson {id}" for id in (10, 1001, 9)]
    }
    loaded.run()
    assert failures(loaded) == {}


def test_the_whole_table_checks_a_run_is_due_compare_with_the_source_it_read(loaded):
    """The scheduler's whole-table checks follow a run (`full_check_every`). A lesson the source gained
    while that run wrote the vault (held here before `s_lesson` by a lock) is not the vault's fault: those
    checks pass too, and the next run loads it."""
    import threading
    import time

    from pipeline.log import Log
    from pipeline.run import run_once

    loaded.source("UPDATE stream_module_lesson SET title = 'Changed' WHERE id = 2")
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["steps"] = run_once(loaded.endpoints, log=Log(out=loaded.log.append, interactive=False),
                                        full_check_every=0)  # fmt: skip
        except Exception as error:
            outcome["error"] = error

    blocked = (
        "SELECT count(*) FROM meta.run_step WHERE step = 'vault.s_lesson' AND status = 'running'"
        " AND run_id = (SELECT max(run_id) FROM meta.run)"
    )
    with psycopg.connect(loaded.endpoints.warehouse_dsn) as blocker:
        blocker.execute("LOCK TABLE vault.s_lesson IN ACCESS EXCLUSIVE MODE")
        running = threading.Thread(target=run)
        running.start()
        deadline = time.monotonic() + 60
        while loaded.scalar(blocked) == 0:
            assert time.monotonic() < deadline, "the run never reached vault.s_lesson"
            time.sleep(0.1)
        loaded.source("INSERT INTO stream_module_lesson (id, title, stream_module_id) VALUES (1001, 'Meanwhile', 1)")
    running.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    verdicts = loaded.warehouse(
        "SELECT scope, bool_and(failures = 0), count(*) FROM meta.check_result"
        " WHERE run_id = (SELECT max(run_id) FROM meta.run) GROUP BY scope ORDER BY scope"
    )
    assert verdicts == [("full", True, len(checks.paths())), ("run", True, len(checks.paths()))]
    assert failures(loaded, only={"source_matches_vault"}) == {
        "source_matches_vault": ["source.stream_module_lesson vs vault.cur_lesson 1001"]
    }
    loaded.run()
    assert failures(loaded) == {}


def test_the_scheduler_runs_the_whole_table_checks_on_their_own_cadence_and_status_shows_them(pipeline, tmp_path):
    from conftest import run_cli

    from pipeline import scheduler
    from pipeline.log import Log

    log = Log(out=pipeline.log.append, interactive=False)
    full_rows = "SELECT count(*) FROM meta.check_result WHERE scope = 'full'"
    run_rows = "SELECT count(*) FROM meta.check_result WHERE scope = 'run'"
    assert scheduler.run_with_retries(pipeline.endpoints, log, full_check_every_s=3600) == "success"
    assert pipeline.scalar(full_rows) == len(checks.paths())  # none had run: due
    assert scheduler.run_with_retries(pipeline.endpoints, log, full_check_every_s=3600) == "success"
    assert pipeline.scalar(full_rows) == len(checks.paths())  # an hour has not passed
    assert pipeline.scalar(run_rows) == 2 * len(checks.paths())  # every run checks what it touched
    pipeline.warehouse("UPDATE meta.check_result SET checked_at = checked_at - interval '2 hours' RETURNING 1")
    pipeline.warehouse("UPDATE vault.cur_lesson SET title = 'Wrong' WHERE lesson_id = 20 RETURNING 1")
    assert scheduler.run_with_retries(pipeline.endpoints, log, full_check_every_s=3600) == "checks failed"
    assert pipeline.scalar(full_rows) == 2 * len(checks.paths())

    env = {
        "SOURCE_DSN": pipeline.endpoints.source_dsn,
        "WAREHOUSE_DSN": pipeline.endpoints.warehouse_dsn,
        "CLICKHOUSE_URL": pipeline.endpoints.clickhouse_url,
        "DATA_DIR": str(tmp_path),
    }
    status = run_cli("status", env=env)
    assert status.returncode == 0, status.stderr
    last_line = status.stdout.strip().splitlines()[-1]
    assert last_line.startswith("whole-table checks: last at ")
    assert last_line.endswith("UTC, FAILED: current_state_matches_history, mart_matches_warehouse")


def test_a_check_on_demand_waits_for_the_run_in_progress_and_a_run_for_the_check(pipeline):
    """`runner.py check` re-creates the named collection a running mart step reads through and would
    see a half-loaded mart: it takes the run lock, so neither trips the other."""
    import threading

    from pipeline import warehouse
    from pipeline.log import Log
    from pipeline.run import check_now, run_once

    pipeline.run()
    lines: list[str] = []
    log = Log(out=lines.append, interactive=False)
    with warehouse.connect(pipeline.endpoints.warehouse_dsn, autocommit=True) as a_run:
        assert warehouse.try_run_lock(a_run)  # a run in progress holds the lock
        checking = threading.Thread(target=check_now, args=(pipeline.endpoints, log))
        checking.start()
        checking.join(timeout=3)
        assert checking.is_alive()  # still waiting: no check has run
        assert any("waiting for it to finish" in line for line in lines)
        assert not any(" check " in line for line in lines)
    checking.join(timeout=60)  # the run's session ended, and its lock with it
    assert not checking.is_alive()
    assert sum(" check " in line and ": ok" in line for line in lines) == len(checks.paths())

    # and the other way round: a run started while the check holds the lock waits for it
    with warehouse.connect(pipeline.endpoints.warehouse_dsn, autocommit=True) as a_check:
        assert warehouse.try_run_lock(a_check)
        skipped = run_once(pipeline.endpoints, log, when_busy="skip")
        assert skipped is None
    assert pipeline.scalar("SELECT status FROM meta.run ORDER BY run_id DESC LIMIT 1") == "skipped"


def test_check_beside_a_scheduler_on_the_same_embedded_chdb_says_so_in_one_line(tmp_path):
    """chDB opens a path in one process only: `check` while a scheduler holds the embedded mart gets a
    one-line reason, not chDB's own output; once the scheduler stops, it runs."""
    import os
    import subprocess
    import sys
    import time

    from conftest import ROOT, run_cli

    env = {"DATA_DIR": str(tmp_path)}
    scheduler = subprocess.Popen(
        [sys.executable, str(ROOT / "runner.py"), "schedule", "--every", "1h"],
        env={k: v for k, v in os.environ.items() if k not in ("SOURCE_DSN", "WAREHOUSE_DSN", "CLICKHOUSE_URL")} | env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "check source_matches_vault" not in scheduler.stdout.readline():  # its first run, checked
            assert time.monotonic() < deadline and scheduler.poll() is None
        result = run_cli("check", env=env)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"error: mart: cannot create the named collection mart_warehouse: chDB at {tmp_path}/chdb is open"
            " in another process (a scheduler on the same DATA_DIR?)"
        ]
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert run_cli("check", env=env).returncode == 0
