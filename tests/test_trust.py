"""Seeing, checking and questioning what the pipeline did: the graph, the data checks, history."""

import contextlib
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from pipeline import PipelineError, checks
from pipeline.log import Log
from pipeline.report import report_as_of
from pipeline.run import check_now


def check_failures(pipeline) -> dict[str, list[str]]:
    """Run the checks on demand; return the failed ones with their examples."""
    with contextlib.suppress(PipelineError):
        check_now(pipeline.endpoints, Log(out=pipeline.log.append, interactive=False))
    failed = {}
    for line in pipeline.log:
        match = re.match(r"\S+ check (\w+) \((\w+), [^)]*\): FAILED: (\d+) offending, e\.g\. (.*)", line)
        if match:
            failed[match.group(1)] = match.group(4).split("; ")
    return failed


def test_checks_pass_after_runs_and_are_recorded(pipeline):
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 3 WHERE id = 1")
    pipeline.source("DELETE FROM stream_module_lesson WHERE id = 2")
    pipeline.run()
    assert check_failures(pipeline) == {}
    recorded = pipeline.warehouse(
        "SELECT check_name, passed FROM meta.check_result WHERE run_id = (SELECT max(run_id) FROM meta.run)"
    )
    assert len(recorded) == len(list(checks.ROOT.glob("*/*.sql"))) and all(passed for _, passed in recorded)


EARLY_CHECKS = "the vault is written: its checks start, beside the mart's load"


def line_index(log: list[str], text: str) -> int:
    return next(number for number, line in enumerate(log) if text in line)


def test_a_rerun_checks_the_vault_while_it_loads_the_mart_and_records_every_check_after(pipeline):
    pipeline.run()  # a first load: its mart step and its checks each keep the cores busy, so they take turns
    assert not any(EARLY_CHECKS in line for line in pipeline.log)
    assert line_index(pipeline.log, "check ") > line_index(pipeline.log, ".dm_courses_modules_lessons_streams_data ")
    pipeline.log.clear()
    pipeline.source("UPDATE stream_module_lesson SET title = 'Renamed' WHERE id = 1")
    pipeline.run()
    vault_steps = [number for number, line in enumerate(pipeline.log) if " vault." in line]
    started = line_index(pipeline.log, EARLY_CHECKS)
    assert max(vault_steps) < started < line_index(pipeline.log, ".dm_courses_modules_lessons_streams_data ")
    recorded = pipeline.warehouse(
        "SELECT check_name, passed FROM meta.check_result WHERE run_id = (SELECT max(run_id) FROM meta.run)"
    )
    assert sorted(recorded) == sorted((path.stem, True) for path in checks.paths())


def test_a_run_whose_mart_step_fails_after_the_vault_checks_started_records_no_checks(pipeline):
    pipeline.run()
    db = pipeline.mart.database
    pipeline.mart.execute(f"RENAME TABLE {db}.stage_dm_feed TO {db}.stage_dm_feed_away")
    pipeline.source("UPDATE stream_module_lesson SET title = 'Renamed' WHERE id = 1")
    pipeline.log.clear()
    with pytest.raises(PipelineError) as failed:
        pipeline.run()
    assert failed.value.database == "mart" and "stage_dm_feed" in failed.value.reason
    assert any(EARLY_CHECKS in line for line in pipeline.log)
    assert not any(" check " in line for line in pipeline.log)
    last_run = "(SELECT max(run_id) FROM meta.run)"
    assert pipeline.scalar(f"SELECT status FROM meta.run WHERE run_id = {last_run}") == "failed"
    assert pipeline.scalar(f"SELECT count(*) FROM meta.check_result WHERE run_id = {last_run}") == 0
    pipeline.mart.execute(f"RENAME TABLE {db}.stage_dm_feed_away TO {db}.stage_dm_feed")
    pipeline.run()  # the next run loads the mart and checks it
    assert pipeline.scalar(f"SELECT count(*) FROM meta.check_result WHERE run_id = {last_run}") == len(checks.paths())
    pipeline.assert_mart_matches_warehouse()


def test_a_hub_row_lost_fails_rows_point_at_parents_with_its_keys(pipeline):
    pipeline.run()
    pipeline.warehouse("DELETE FROM vault.h_lesson WHERE lesson_id = 5 RETURNING 1")
    failed = check_failures(pipeline)
    assert set(failed) == {"rows_point_at_parents"}
    hk = pipeline.scalar("SELECT md5('5')::uuid::text")
    assert {example.split()[-1] for example in failed["rows_point_at_parents"]} == {hk}


@pytest.mark.parametrize(
    "corruption",
    [
        "UPDATE vault.cur_lesson SET hashdiff = 0 WHERE lesson_id = 3",  # not the latest attributes
        "DELETE FROM vault.cur_lesson WHERE lesson_id = 3",  # a current lesson missing
        "INSERT INTO vault.cur_lesson (hk_lesson, lesson_id, load_ts, hashdiff)"
        " VALUES (md5('999')::uuid, 999, now(), 0)",  # a lesson the history never saw
        "UPDATE vault.s_lesson SET is_deleted = true WHERE hk_lesson = md5('3')::uuid",  # history says deleted
        "DELETE FROM vault.cur_module_lesson WHERE lesson_id = 3",  # a current placement missing
        "UPDATE vault.s_module_lesson_eff SET is_deleted = true"
        " WHERE hk_module_lesson = (SELECT hk_module_lesson FROM vault.cur_module_lesson WHERE lesson_id = 3)",
    ],
)
def test_current_state_out_of_step_with_history_fails(pipeline, corruption):
    pipeline.run()
    pipeline.warehouse(f"{corruption} RETURNING 1")
    assert "current_state_matches_history" in check_failures(pipeline)


def test_a_mart_row_missing_fails_mart_matches_warehouse(pipeline):
    pipeline.run()
    db = pipeline.mart.database
    pipeline.mart.execute(
        f"INSERT INTO {db}.dm_courses_modules_lessons_streams_data SELECT * REPLACE (1 AS is_deleted,"
        f" version + 1 AS version) FROM {db}.dm_courses_modules_lessons_streams_data WHERE lesson_id = 7"
    )
    failed = check_failures(pipeline)
    assert failed == {"mart_matches_warehouse": ["only in the warehouse 2/2/4/7"]}


def test_a_source_change_not_loaded_yet_shows_in_source_matches_vault(pipeline):
    pipeline.run()
    pipeline.source("DELETE FROM stream_module_lesson WHERE id = 9")  # still current in the vault
    pipeline.source("INSERT INTO course (id, title) VALUES (99, 'Not loaded yet')")  # not in the vault yet
    failed = check_failures(pipeline)
    assert list(failed) == ["source_matches_vault"]
    assert sorted(failed["source_matches_vault"]) == [
        "source.course vs vault.cur_course 99",
        "source.stream_module_lesson vs vault.cur_lesson 9",
    ]


def test_cli_check_exits_non_zero_naming_the_failed_check(tmp_path):
    env = {"DATA_DIR": str(tmp_path)}
    assert run_cli("once", env=env).returncode == 0
    assert run_cli("check", env=env).returncode == 0
    import psycopg

    from pipeline import embedded

    server = embedded.start_postgres(tmp_path)  # the same embedded server the CLI used
    with psycopg.connect(embedded.database_dsn(server, "warehouse"), autocommit=True) as conn:
        conn.execute("DELETE FROM vault.h_course WHERE course_id = 1")
    result = run_cli("check", env=env)
    assert result.returncode == 1
    assert "check rows_point_at_parents (warehouse, full scope" in result.stdout
    # the link and the satellite row of course 1 (its current row matches that satellite row)
    assert result.stderr.startswith("error: warehouse: check rows_point_at_parents failed: 2 offending, e.g. vault.")


def test_report_as_of_answers_from_history(pipeline):
    pipeline.run()
    between = datetime.now(UTC)
    pipeline.source("UPDATE course SET title = 'Data Analytics' WHERE id = 3")
    pipeline.source("DELETE FROM stream_module_lesson WHERE stream_module_id = 10")
    pipeline.run()
    dsn = pipeline.endpoints.warehouse_dsn
    assert report_as_of(dsn, between) == [
        ("Data Analysis", 6, 18),
        ("Data Engineering", 6, 12),
        ("Data Science", 6, 6),
    ]
    assert report_as_of(dsn, datetime.now(UTC)) == [
        ("Data Analytics", 6, 16),
        ("Data Engineering", 6, 12),
        ("Data Science", 6, 6),
    ]
    assert report_as_of(dsn, datetime(2020, 1, 1, tzinfo=UTC)) == []
    history = pipeline.warehouse(
        "SELECT title, valid_to IS NULL FROM vault.v_course_history WHERE course_id = 3 ORDER BY valid_from"
    )
    assert history == [("Data Analysis", False), ("Data Analytics", True)]


def test_select_runs_a_step_and_what_it_depends_on(pipeline):
    from pipeline.run import run_once

    run_once(pipeline.endpoints, Log(out=pipeline.log.append, interactive=False), select=["h_lesson"])
    assert pipeline.vault_counts()["h_lesson"] == 36
    assert pipeline.vault_counts()["s_lesson"] == 0  # not a dependency of h_lesson
    steps = pipeline.warehouse("SELECT step FROM meta.run_step ORDER BY step")
    assert steps == [("staging.stg_lesson",), ("vault.h_lesson",)]
    pipeline.run()  # a later full run loads the rest, and the mart with everything
    assert pipeline.vault_counts()["s_lesson"] == 36
    assert len(pipeline.view()) == 36


def test_plan_select_and_unknown_step(tmp_path):
    result = run_cli("plan", "--select", "vault.l_module_lesson", env={"DATA_DIR": str(tmp_path)})
    steps = re.findall(r"^-- step (\S+)", result.stdout, flags=re.M)
    assert steps == ["staging.stg_lesson", "vault.l_module_lesson"]
    wrong = run_cli("plan", "--select", "s_lessons", env={"DATA_DIR": str(tmp_path)})
    assert wrong.returncode == 1 and "no step called s_lessons" in wrong.stderr


def test_the_readme_carries_the_graph_runner_py_graph_prints():
    result = run_cli("graph")
    assert result.returncode == 0, result.stderr
    assert "source__stream_module_lesson --> staging__stg_lesson" in result.stdout
    assert "mart__dm_courses_modules_lessons_streams_data --> mart__dm_courses_modules_lessons_streams" in result.stdout
    readme = (ROOT / "README.md").read_text()
    assert f"```mermaid\n{result.stdout}```" in readme, "README's graph is stale: paste `python runner.py graph`"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (CI installs it)")
def test_graph_svg(tmp_path):
    svg = tmp_path / "pipeline.svg"
    result = run_cli("graph", "--svg", str(svg))
    assert result.returncode == 0, result.stderr
    text = svg.read_text()
    assert text.lstrip().startswith(("<?xml", "<svg")) and "vault.s_lesson" in text


@pytest.mark.parametrize("path", sorted((ROOT / "transforms").glob("*/*.sql")), ids=lambda p: p.name)
def test_every_transform_starts_with_a_comment_saying_what_it_loads(path: Path):
    first = path.read_text().splitlines()[0]
    assert first.startswith(f"-- {path.stem}: "), first
