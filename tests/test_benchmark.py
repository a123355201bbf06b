"""The benchmark measures what users run: the default `once` on both warehouses, checks timed apart."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import TCP_SUPERUSER_PASSWORD, demo_source

from bench.benchmark import AUTOVACUUM_DUE, PG15, checkpoints_so_far, checks_seconds, cpu_between
from pipeline import embedded

ROOT = Path(__file__).resolve().parent.parent


def test_checks_are_timed_from_the_end_of_the_run_to_the_last_check():
    log = "\n".join(
        [
            "2026-11-30T10:41:30.32Z run 2     mart.dm_courses_modules_lessons_streams_data  1000 rows  5078 ms",
            "2026-11-30T10:41:35.70Z run 2: success, 5044200 rows written to the vault and mart in 30630 ms",
            "2026-11-30T10:41:40.10Z check mart_matches_warehouse (mart): ok",
            "2026-11-30T10:41:44.22Z check source_matches_vault (warehouse, run): ok",
        ]
    )
    assert checks_seconds(log) == pytest.approx(8.52)
    assert checks_seconds(log.rsplit("\n", 2)[0]) is None  # --no-check: no check line


def test_server_cpu_counts_a_backend_that_ended_during_the_run_once():
    before = {"ended": 10.0, "live": {1: 2.0, 2: 5.0}}  # backend 2 ends during the run, at 7.0 s
    after = {"ended": 10.0 + 7.0 + 3.0, "live": {1: 2.5}}  # and a backend born and ended meanwhile took 3.0 s
    assert cpu_between(before, after) == pytest.approx(0.5 + 2.0 + 3.0)


@pytest.mark.parametrize("server", ["pg_server", "tcp_pg_server"])
def test_the_checkpoints_a_run_began_are_counted_on_both_servers(request, server):
    """PostgreSQL 17 moved the checkpoint counts from pg_stat_bgwriter to pg_stat_checkpointer."""
    dsn = request.getfixturevalue(server)
    if server == "tcp_pg_server":
        dsn = dsn.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    before = checkpoints_so_far(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    assert checkpoints_so_far(dsn) == before + 1


def test_a_freshly_written_big_table_is_due_for_autovacuum_until_vacuumed(pg_server):
    """What the benchmark waits for between runs: big tables autovacuum would vacuum or analyze."""
    embedded.ensure_database(pg_server, "bench_settle")
    database = embedded.database_dsn(pg_server, "bench_settle")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS written, written_off")
        conn.execute("CREATE TABLE written (id integer, padding text)")
        conn.execute("CREATE TABLE written_off (id integer, padding text) WITH (autovacuum_enabled = false)")
        for table in ("written", "written_off"):  # 12 MB each
            conn.execute(f"INSERT INTO {table} SELECT g, repeat('x', 40) FROM generate_series(1, 160000) AS g")
        conn.execute("SELECT pg_stat_force_next_flush()")
    with psycopg.connect(database, autocommit=True) as conn:
        assert conn.execute(AUTOVACUUM_DUE).fetchone()[0] == 1  # written; written_off is autovacuum's to skip
        conn.execute("VACUUM (ANALYZE) written")
        conn.execute("SELECT pg_stat_force_next_flush()")
    with psycopg.connect(database, autocommit=True) as conn:
        assert conn.execute(AUTOVACUUM_DUE).fetchone()[0] == 0


@pytest.mark.skipif(not (PG15 / "postgres").exists(), reason="PostgreSQL 15 server binaries are not installed")
def test_benchmark_runs_every_scenario_on_both_warehouses(tmp_path):
    done = subprocess.run(
        [sys.executable, "bench/benchmark.py", "--sizes", "10000", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 10000 |") and "`once`" not in line]
    # lessons, scenario, 2 x (once, checks), 2 references (the resources table names its warehouse instead)
    times = [row for row in rows if row.count("|") == 9 and "PostgreSQL" not in row]
    assert [row.split("|")[2].strip() for row in times] == ["first load", "no change", "1% change"]
    for row in times:
        cells = [cell.strip() for cell in row.split("|")[3:7]]
        assert all(cell not in ("failed", "—") for cell in cells), row
    # the stock first load's reference (AutomateDV's shape under dbt) and its SQL alone ran beside it
    for column in (7, 8):
        assert [row.split("|")[column].strip() for row in times][1:] == ["—", "—"]
        assert re.fullmatch(r"\d+\.\d\d", times[0].split("|")[column].strip()), times[0]
    assert re.search(r"^first load: reference, stock .* \(18 models under dbt 1\.10\.\d+, 10000 lessons in "
                     r"ref_dv.sat_lesson; dbt run .*\)$", done.stdout, re.MULTILINE)  # fmt: skip
    assert re.search(r"^first load: its SQL alone, stock .* \(18 tables, 10000 lessons in ref_dv.sat_lesson; "
                     r"staging .*\)$", done.stdout, re.MULTILINE)  # fmt: skip
    assert "FAILED" not in done.stdout
    assert "| 10000 | first load | stock PostgreSQL 15 |" in done.stdout
    assert "stock PostgreSQL 15: 15." in done.stdout  # the server it started is Debian's 15, untuned:
    assert "shared_buffers 128MB, max_wal_size 1GB, wal_level replica" in done.stdout
    # each run's line and the machine's say how fast the machine was then
    run_line = r"^first load: stock PostgreSQL 15 .* probe \d+\.\d\d s, two at once \d+\.\d\d s$"
    assert re.search(run_line, done.stdout, re.MULTILINE)
    speed = r"\(speed_probe\) took \d+\.\d\d-\d+\.\d\d s before the runs, and \d+\.\d\d-\d+\.\d\d s each with two"
    assert re.search(speed, done.stdout)


@pytest.mark.parametrize(
    "kind, printed",
    [
        ("automatedv", r"18 models under dbt 1\.10\.\d+, {lessons} lessons in ref_dv.sat_lesson; dbt run [\d.]+ s, "
                       r"its models [\d.]+ s \(stg_lesson [\d.]+ s\)\n"),
        ("automatedv-sql", r"18 tables, {lessons} lessons in ref_dv.sat_lesson; staging [\d.]+ s, vault [\d.]+ s\n"),
    ],
)  # fmt: skip
def test_the_reference_load_builds_a_data_vault_of_the_source_without_indexes(pg_server, kind, printed):
    """bench/references.py automatedv (under dbt) and automatedv-sql (its SQL alone): the first-load
    target's yardstick loads every key once, in AutomateDV's hashing, and builds no index (the load it
    stands for had none)."""
    database = kind.replace("-", "_")
    source = demo_source(pg_server, f"reference_source_{database}")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("INSERT INTO stream_module_lesson (id, title) VALUES (9001, 'Don''t panic')")  # no module
        lessons, placed = conn.execute("SELECT count(*), count(stream_module_id) FROM stream_module_lesson").fetchone()
    embedded.ensure_database(pg_server, f"reference_target_{database}")
    target = embedded.database_dsn(pg_server, f"reference_target_{database}")
    done = subprocess.run(
        [sys.executable, "bench/references.py", kind, source, target], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(printed.format(lessons=lessons), done.stdout), done.stdout
    with psycopg.connect(target) as conn:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM ref_dv.{table}").fetchone()[0]
            for table in ("hub_course", "hub_module", "hub_lesson", "link_module_lesson", "eff_sat_module_lesson")
        }
        assert counts == {"hub_course": 3, "hub_module": 18, "hub_lesson": lessons,
                          "link_module_lesson": placed, "eff_sat_module_lesson": placed}  # fmt: skip
        key, title = conn.execute(
            "SELECT lesson_hk, title FROM ref_dv.sat_lesson"
            " WHERE lesson_hk = (SELECT lesson_hk FROM ref_dv.hub_lesson WHERE lesson_id = 9001)"
        ).fetchone()
        assert (bytes(key).hex(), title) == (hashlib.md5(b"9001").hexdigest(), "Don't panic")
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'ref_dv'").fetchone()[0] == 0


def test_the_benchmark_compares_builds_in_both_orders(tmp_path):
    """--builds runs each checkout's own runner beside the others, on the same source, in the order given
    at the first size and reversed at the second. The copy here sleeps a second in one step, so its column
    shows it. A size is generated in whole courses of 10,000 lessons, and labelled as generated."""
    copy = tmp_path / "slower"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", ".ruff_cache", ".pytest_cache"))
    with (copy / "transforms" / "staging" / "stg_course.sql").open("a") as transform:
        transform.write("\nSELECT pg_sleep(1);\n")
    done = subprocess.run(
        [sys.executable, "bench/benchmark.py", "--sizes", "1000,10000", "--warehouses", "embedded",
         "--data-dir", str(tmp_path / "bench"), "--steps", "--builds", f"{ROOT},{copy}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [ours] = {match[1] for match in re.finditer(r"embedded PostgreSQL 18 @ (\S+): `once` s", done.stdout)} - {"slower"}
    orders = re.findall(r"^## (\d+) lessons, builds in the order (.*)$", done.stdout, re.MULTILINE)
    assert orders == [("1000", f"{ours}, slower"), ("10000", f"slower, {ours}")]
    assert [line.split("|")[1].strip() for line in done.stdout.splitlines() if "| first load |" in line] == [
        "10000"
    ] * 6  # two sizes: in the times table, and twice (one line a build) in the resources table
    header = next(line for line in done.stdout.splitlines() if line.startswith("| step |"))
    columns = [cell.strip() for cell in header.split("|")[3:-1]]
    assert columns == [f"embedded-{build}: {scenario}" for build in (ours, "slower")
                       for scenario in ("first load", "no change", "1% change")]  # fmt: skip
    for line in (line for line in done.stdout.splitlines() if line.startswith("| staging.stg_course |")):
        ms = [int(cell) for cell in line.split("|")[3:-1]]
        assert max(ms[:3]) < 1000 <= min(ms[3:]), line
    assert "failed" not in done.stdout
