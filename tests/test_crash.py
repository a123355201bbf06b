"""SIGKILL inside a step: the next run ends in exactly the state an uninterrupted run gives.

The test holds a lock on the table a step writes, so the runner is inside that step when it is
killed. Inside the ClickHouse step, ClickHouse's own read of the warehouse is held the same way,
with a lock queued behind the step that writes what it reads."""

import threading
import time

import psutil
import psycopg
import pytest
from conftest import Pipeline, demo_source, run_cli
from test_scheduler import Process

from pipeline import embedded
from pipeline.log import Log
from pipeline.run import Endpoints, run_once

VAULT_TABLES = [
    "h_course", "h_stream", "h_module", "h_lesson", "l_course_stream", "l_stream_module", "l_module_lesson",
    "s_course", "s_stream", "s_module", "s_lesson", "s_course_stream_eff", "s_stream_module_eff",
    "s_module_lesson_eff", "cur_course", "cur_stream", "cur_module", "cur_lesson", "cur_course_stream",
    "cur_stream_module", "cur_module_lesson",
]  # fmt: skip


def contents(warehouse_dsn: str) -> dict:
    """Every vault table without its load timestamps, and the warehouse's view of the mart."""
    state = {}
    with psycopg.connect(warehouse_dsn) as conn:
        for table in VAULT_TABLES:
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'vault' AND table_name = %s AND column_name <> 'load_ts' ORDER BY 1",
                [table],
            ).fetchall()
            names = ", ".join(name for (name,) in columns)
            state[table] = conn.execute(f"SELECT {names} FROM vault.{table} ORDER BY {names}").fetchall()
        state["mart"] = conn.execute(
            "SELECT * FROM vault.v_dm_courses_modules_lessons_streams ORDER BY 1, 2, 3, 4"
        ).fetchall()
    return state


CHANGES = [
    "UPDATE course SET title = 'Data Analytics' WHERE id = 3",
    "UPDATE stream_module_lesson SET stream_module_id = 2 WHERE id = 2",
    "DELETE FROM stream_module_lesson WHERE id = 36",
    "INSERT INTO stream_module_lesson (title, stream_module_id) VALUES ('New', 5)",
]


@pytest.mark.parametrize(
    ("step", "blocked_table"),
    [
        ("staging.stg_lesson", "staging.stg_lesson"),
        ("vault.h_lesson", "vault.h_lesson"),
        ("vault.l_module_lesson", "vault.l_module_lesson"),
        ("vault.s_lesson", "vault.s_lesson"),
        ("vault.s_module_lesson_eff", "vault.s_module_lesson_eff"),
        ("staging.stg_dm_feed", "staging.stg_dm_scope"),
    ],
)
def test_sigkill_inside_a_step_then_the_next_run_converges(pg_server, chdb_path, tmp_path, step, blocked_table):
    name = step.split(".")[-1][:20]
    reference = changed_reference(pg_server, chdb_path, name)
    env = crashing_env(pg_server, tmp_path, name)

    with psycopg.connect(env["WAREHOUSE_DSN"]) as blocker:
        blocker.execute(f"LOCK TABLE {blocked_table} IN ACCESS EXCLUSIVE MODE")
        runner = Process("once", "--no-check", env=env)
        try:
            wait_until_running(env["WAREHOUSE_DSN"], step)
            chdb_worker = kill_runner(runner)
        finally:
            runner.kill()
        blocker.rollback()  # releases the lock
    assert_next_run_converges(env, reference, chdb_worker)


@pytest.mark.parametrize("moved", [["s_lesson"], ["s_module_lesson_eff"], ["s_lesson", "s_module_lesson_eff"]])
def test_lesson_current_states_moved_before_other_steps_keep_their_rows_in_the_delta(pg_server, chdb_path, moved):
    """The two lesson satellite steps run beside the hub and link steps they do not wait for: s_lesson
    may commit before h_module and l_module_lesson, s_module_lesson_eff before h_lesson. A run of such
    steps alone (with what they run after) moves their current states; the next run still finds every
    new lesson, module and link, and ends where an uninterrupted run does. Both moved, every reader of
    the delta has run first."""
    name = "moved_" + "_".join(step[2:5] for step in moved)
    reference = changed_reference(pg_server, chdb_path, name)
    partial = demo_pipeline(pg_server, chdb_path, name)
    partial.run()
    for change in CHANGES:
        partial.source(change)
    steps = run_once(partial.endpoints, log=Log(out=partial.log.append, interactive=False), select=moved)
    ran = {result.step for result in steps}
    readers = {"vault.h_lesson", "vault.h_module", "vault.l_module_lesson"}
    assert (readers <= ran) == (len(moved) == 2)
    partial.run()
    assert contents(partial.endpoints.warehouse_dsn) == contents(reference.endpoints.warehouse_dsn)


def test_sigkill_inside_the_clickhouse_step_then_the_next_run_converges(pg_server, chdb_path, tmp_path):
    """ClickHouse's read of staging.stg_dm_scope is held: the test queues an exclusive lock on that
    table behind the warehouse step that writes it, so the lock is taken the moment that step
    commits, before the mart step starts and asks for the table."""
    reference = changed_reference(pg_server, chdb_path, "mart")
    env = crashing_env(pg_server, tmp_path, "mart")
    mart_step = "mart.dm_courses_modules_lessons_streams_data"

    with psycopg.connect(env["WAREHOUSE_DSN"]) as holder, psycopg.connect(env["WAREHOUSE_DSN"]) as queued:
        holder.execute("LOCK TABLE staging.stg_dm_scope IN ACCESS EXCLUSIVE MODE")
        runner = Process("once", "--no-check", env=env)
        locking = threading.Thread(
            target=queued.execute, args=["LOCK TABLE staging.stg_dm_scope IN ACCESS EXCLUSIVE MODE"]
        )
        try:
            wait_until_running(env["WAREHOUSE_DSN"], "staging.stg_dm_feed")
            wait_for_lock_waiters(env["WAREHOUSE_DSN"], "staging.stg_dm_scope", 1)  # the step waits for the holder
            locking.start()
            wait_for_lock_waiters(env["WAREHOUSE_DSN"], "staging.stg_dm_scope", 2)  # and the test's lock behind it
            holder.rollback()  # the step goes on, commits, and hands the table to the queued lock
            locking.join(timeout=60)
            wait_until_running(env["WAREHOUSE_DSN"], mart_step)
            wait_for_lock_waiters(env["WAREHOUSE_DSN"], "staging.stg_dm_scope", 1)  # ClickHouse waits to read
            chdb_worker = kill_runner(runner)
        finally:
            runner.kill()
        queued.rollback()  # ClickHouse's orphaned read gets the table, finds its client gone, and ends
    assert_next_run_converges(env, reference, chdb_worker)


def demo_pipeline(pg_server: str, chdb_path, name: str) -> Pipeline:
    """A pipeline of the demo source, with databases of its own named after `name`."""
    return Pipeline(
        Endpoints(
            demo_source(pg_server, f"src_{name}"),
            embedded.ensure_warehouse(pg_server, f"wh_{name}"),
            f"chdb://{chdb_path}?database=mart_{name}",
        )
    )


def changed_reference(pg_server: str, chdb_path, name: str) -> Pipeline:
    """A pipeline that ran, saw CHANGES, and ran again without interruption."""
    reference = demo_pipeline(pg_server, chdb_path, f"ref_{name}")
    reference.run()
    for change in CHANGES:
        reference.source(change)
    reference.run()
    return reference


def crashing_env(pg_server: str, tmp_path, name: str) -> dict:
    """The environment of a pipeline that has run once and whose source then saw CHANGES. It runs in
    subprocesses, as in production, with a chDB of its own."""
    env = {
        "SOURCE_DSN": demo_source(pg_server, f"src_crash_{name}"),
        "WAREHOUSE_DSN": embedded.ensure_warehouse(pg_server, f"wh_crash_{name}"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    assert run_cli("once", "--no-check", env=env).returncode == 0
    with psycopg.connect(env["SOURCE_DSN"], autocommit=True) as source:
        for change in CHANGES:
            source.execute(change)
    return env


def kill_runner(runner: Process) -> list[psutil.Process]:
    """SIGKILL the runner: no handler, no cleanup. Returns its chDB worker, as it was."""
    chdb_worker = psutil.Process(runner.proc.pid).children()
    runner.proc.kill()
    runner.proc.wait(timeout=10)
    return chdb_worker


def assert_next_run_converges(env: dict, reference: Pipeline, chdb_worker: list[psutil.Process]) -> None:
    assert len(chdb_worker) == 1
    _, still_running = psutil.wait_procs(chdb_worker, timeout=5)
    assert still_running == []  # the kernel killed the chDB worker with its runner: the mart's directory is free
    time.sleep(0.5)  # the killed runner's backends notice their closed sockets

    recovered = run_cli("once", env=env)  # with the data checks: the mart must match the warehouse
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "FAILED" not in recovered.stdout
    assert contents(env["WAREHOUSE_DSN"]) == contents(reference.endpoints.warehouse_dsn)
    with psycopg.connect(env["WAREHOUSE_DSN"]) as conn:
        statuses = conn.execute("SELECT status FROM meta.run ORDER BY run_id").fetchall()
    assert statuses == [("success",), ("failed",), ("success",)]


def wait_for_lock_waiters(warehouse_dsn: str, table: str, count: int, timeout: float = 60) -> None:
    """Until `count` sessions wait for a lock on `table`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted", [table]
            ).fetchone()[0]
        if waiting == count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} sessions never waited for {table}")


def wait_until_running(warehouse_dsn: str, step: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT step FROM meta.run_step WHERE status = 'running'"
                " AND run_id = (SELECT max(run_id) FROM meta.run)"
            ).fetchall()
        if (step,) in rows:
            return
        time.sleep(0.1)
    raise AssertionError(f"step {step} never started")
