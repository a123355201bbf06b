"""The mass-delete guard: a source that suddenly looks empty, or lost most of an entity, does not wipe
the vault and the mart. The demo catalog has 3 courses, 6 streams, 18 modules and 36 lessons."""

import psycopg
import pytest
from conftest import demo_source, run_cli
from test_scheduler import Process, runs

from pipeline import PipelineError, embedded
from pipeline.config import Config
from pipeline.guard import MassDelete, is_mass_delete

EMPTY_SOURCE = "TRUNCATE course, stream, stream_module, stream_module_lesson"


def last_run(pipeline) -> tuple[str, str | None]:
    return pipeline.warehouse("SELECT status, error FROM meta.run ORDER BY run_id DESC LIMIT 1")[0]


def test_an_empty_source_is_refused_and_nothing_is_written(pipeline):
    pipeline.run()
    vault_before, mart_before, view_before = pipeline.vault_counts(), pipeline.mart_data_count(), pipeline.view()
    pipeline.source(EMPTY_SOURCE)

    with pytest.raises(MassDelete) as refused:
        pipeline.run()

    message = str(refused.value)
    assert message.startswith("source: refusing to mark 3 of 3 current courses, 36 of 36 current lessons,")
    assert "18 of 18 current modules, 6 of 6 current streams deleted (more than 50%, or all)" in message
    assert "--allow-mass-delete" in message and "\n" not in message
    assert not refused.value.transient
    assert pipeline.vault_counts() == vault_before
    assert pipeline.mart_data_count() == mart_before and pipeline.view() == view_before
    assert last_run(pipeline) == ("failed", message)
    steps = pipeline.warehouse("SELECT step FROM meta.run_step WHERE run_id = (SELECT max(run_id) FROM meta.run)")
    assert sorted(step for (step,) in steps) == [f"staging.stg_{e}" for e in ("course", "lesson", "module", "stream")]


def test_an_allowed_mass_delete_goes_through(pipeline):
    pipeline.run()
    pipeline.source(EMPTY_SOURCE)
    pipeline.run(allow_mass_delete=True)
    assert last_run(pipeline) == ("success", None)
    assert pipeline.view() == []
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_lesson") == 0
    assert any("mass delete allowed" in line and "36 of 36 current lessons" in line for line in pipeline.log)


def test_half_of_an_entity_passes_and_one_more_is_refused(pipeline):
    pipeline.run()
    pipeline.source("DELETE FROM stream_module_lesson WHERE id <= 19")
    with pytest.raises(MassDelete, match=r"refusing to mark 19 of 36 current lessons deleted \(more than 50%"):
        pipeline.run()
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_lesson") == 36

    pipeline.source("INSERT INTO stream_module_lesson (id, title, stream_module_id) VALUES (19, 'back', 1)")
    pipeline.run()  # 18 of 36 lessons: not more than half
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_lesson") == 18
    pipeline.assert_mart_matches_warehouse()


def test_ordinary_deletes_pass_untouched(pipeline):
    pipeline.run()
    pipeline.source("DELETE FROM stream_module_lesson WHERE id IN (3, 7) OR stream_module_id = 18")
    pipeline.source("DELETE FROM stream_module WHERE id = 18")
    pipeline.run()
    assert last_run(pipeline) == ("success", None)
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_module") == 17
    assert pipeline.scalar("SELECT count(*) FROM vault.cur_lesson") < 34
    pipeline.assert_mart_matches_warehouse()
    assert not any("mass delete" in line for line in pipeline.log)


@pytest.mark.parametrize(
    ("vanished", "current", "share", "refused"),
    [(0, 0, 0.5, False), (1, 2, 0.5, False), (2, 2, 0.5, True), (1, 1, 0.5, True), (2, 3, 0.5, True),
     (9, 10, 1.0, False), (10, 10, 1.0, True), (1, 10, 0.0, True), (1, 3, 0.34, False)],
)  # fmt: skip
def test_what_counts_as_a_mass_delete(vanished, current, share, refused):
    assert is_mass_delete(vanished, current, share) == refused


def test_max_delete_share_is_read_and_validated():
    assert Config.from_env({}).max_delete_share == 0.5
    assert Config.from_env({"MAX_DELETE_SHARE": "0.2"}).max_delete_share == 0.2
    for bad in ("half", "50%", "1.5", "-0.1", "nan"):
        with pytest.raises(PipelineError, match=f"config: MAX_DELETE_SHARE must be a share between 0 and 1.*{bad}"):
            Config.from_env({"MAX_DELETE_SHARE": bad})


def test_cli_refuses_in_one_line_the_scheduler_does_not_retry_and_allow_lets_one_run_through(pg_server, tmp_path):
    env = {
        "SOURCE_DSN": demo_source(pg_server, "src_guard_cli"),
        "WAREHOUSE_DSN": embedded.ensure_warehouse(pg_server, "wh_guard_cli"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    assert run_cli("once", env=env).returncode == 0
    with psycopg.connect(env["SOURCE_DSN"], autocommit=True) as conn:
        conn.execute(EMPTY_SOURCE)

    refused = run_cli("once", env=env)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("error: source: refusing to mark 3 of 3 current courses, 36 of 36 current lessons")

    scheduler = Process("schedule", "--every", "2s", env=env)
    try:
        first = scheduler.wait_for("run failed")
        scheduler.wait_for("run failed", timeout=30)  # the next interval, refused again
        assert "refusing to mark" in first and "transient" not in "\n".join(scheduler.lines)
        assert scheduler.stop() == 0
    finally:
        scheduler.kill()

    allowed = run_cli("once", "--allow-mass-delete", env=env)
    assert allowed.returncode == 0, allowed.stderr
    statuses = [status for status, _ in runs(env["WAREHOUSE_DSN"])]
    assert statuses[0] == "success" and statuses[-1] == "success"
    assert statuses[1:-1].count("failed") >= 3 and set(statuses[1:-1]) == {"failed"}
    assert run_cli("once", env=env).returncode == 0  # nothing left to delete: an ordinary run again
