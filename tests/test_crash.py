"""SIGKILL inside a step: the next run ends in exactly the state an uninterrupted run gives.

The test holds a lock on the table a step writes, so the runner is inside that step when it is
killed. (A kill inside the ClickHouse step cannot be timed this way; a mart that fell behind the
warehouse is tested in test_servers.py.)"""

import time

import psutil
import psycopg
import pytest
from conftest import Pipeline, demo_source, run_cli
from test_scheduler import Process

from pipeline import embedded
from pipeline.run import Endpoints

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
    reference = Pipeline(
        Endpoints(
            demo_source(pg_server, f"src_ref_{name}"),
            embedded.ensure_warehouse(pg_server, f"wh_ref_{name}"),
            f"chdb://{chdb_path}?database=mart_ref_{name}",
        )
    )
    reference.run()
    for change in CHANGES:
        reference.source(change)
    reference.run()

    # the crashed pipeline runs in subprocesses, as in production, with a chDB of its own
    env = {
        "SOURCE_DSN": demo_source(pg_server, f"src_crash_{name}"),
        "WAREHOUSE_DSN": embedded.ensure_warehouse(pg_server, f"wh_crash_{name}"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    assert run_cli("once", "--no-check", env=env).returncode == 0
    with psycopg.connect(env["SOURCE_DSN"], autocommit=True) as source:
        for change in CHANGES:
            source.execute(change)

    with psycopg.connect(env["WAREHOUSE_DSN"]) as blocker:
        blocker.execute(f"LOCK TABLE {blocked_table} IN ACCESS EXCLUSIVE MODE")
        runner = Process("once", "--no-check", env=env)
        try:
            wait_until_running(env["WAREHOUSE_DSN"], step)
            chdb_worker = psutil.Process(runner.proc.pid).children()
            runner.proc.kill()  # SIGKILL: no handler, no cleanup
            runner.proc.wait(timeout=10)
        finally:
            runner.kill()
        blocker.rollback()  # releases the lock
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
