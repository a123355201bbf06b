"""The source changes under the pipeline: edits, moves, deletes, odd values. History stays, the mart
shows exactly the current state."""

from datetime import datetime

import psycopg
import psycopg.types.json
import pytest


def test_edits_add_satellite_and_link_rows_only_and_the_mart_shows_the_new_state(pipeline):
    pipeline.run()
    before = pipeline.vault_counts()

    pipeline.source("UPDATE course SET title = 'Data Analytics' WHERE id = 3")
    pipeline.source("UPDATE stream_module_lesson SET description = 'A longer read' WHERE id = 1")
    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 2 WHERE id = 2")  # Python -> Math
    pipeline.run()

    after = pipeline.vault_counts()
    changed = {table: after[table] - before[table] for table in after if after[table] != before[table]}
    assert changed == {
        "s_course": 1,  # renamed
        "s_lesson": 1,  # description
        "l_module_lesson": 1,  # the new relationship; the old one stays in history
        "s_module_lesson_eff": 2,  # old relationship ended, new one started
    }

    pipeline.assert_mart_matches_warehouse()
    view = pipeline.view()
    assert len(view) == 36
    titles = {row["h_course_title"] for row in view}
    assert titles == {"Data Analytics", "Data Engineering", "Data Science"}
    [lesson_1] = pipeline.view("lesson_id = 1")
    assert lesson_1["s_lesson_description"] == "A longer read"
    [moved] = pipeline.view("lesson_id = 2")
    assert (moved["module_id"], moved["h_module_title"]) == (2, "Math")
    assert len(pipeline.view("module_id = 1")) == 1
    assert len(pipeline.view("module_id = 2")) == 3


def test_a_small_delta_leaves_statistics_to_autovacuum_and_a_larger_one_is_analyzed(pipeline):
    estimate = "SELECT reltuples::integer FROM pg_class WHERE oid = %s::regclass"
    pipeline.run()
    assert pipeline.scalar(estimate, ["vault.s_lesson"]) == 36  # a first load is analyzed
    # by the columns statements filter and join on; a lesson's attributes get none (migration 0025)
    analyzed = (
        "SELECT array_agg(attname::text ORDER BY attname) FROM pg_stats"
        " WHERE format('%%s.%%s', schemaname, tablename) = %s"
    )
    assert pipeline.scalar(analyzed, ["vault.s_lesson"]) == [
        "hashdiff", "hk_lesson", "is_deleted", "load_ts", "record_source"
    ]  # fmt: skip
    assert "title" not in pipeline.scalar(analyzed, ["staging.stg_lesson"])

    pipeline.source("UPDATE stream_module_lesson SET description = 'edited' WHERE id = 1")
    pipeline.run()
    assert pipeline.scalar("SELECT count(*) FROM vault.s_lesson") == 37
    assert pipeline.scalar(estimate, ["vault.s_lesson"]) == 36  # one row on 36 (under 10%): not analyzed
    assert pipeline.scalar(estimate, ["staging.stg_lesson"]) == 1  # truncated every run: always analyzed

    pipeline.source("UPDATE stream_module_lesson SET description = 'edited again' WHERE id <= 4")
    pipeline.run()
    assert pipeline.scalar(estimate, ["vault.s_lesson"]) == 41  # four rows on 37: analyzed


def test_history_answers_what_a_row_looked_like_before(pipeline):
    pipeline.run()
    pipeline.source("UPDATE course SET title = 'Data Analytics' WHERE id = 3")
    pipeline.run()
    history = pipeline.warehouse(
        "SELECT s.title, s.is_deleted FROM vault.s_course s JOIN vault.h_course h USING (hk_course)"
        " WHERE h.course_id = 3 ORDER BY s.load_ts"
    )
    assert history == [("Data Analysis", False), ("Data Analytics", False)]


def test_a_deleted_lesson_leaves_the_mart_and_comes_back_when_reinserted(pipeline):
    pipeline.run()
    pipeline.source("DELETE FROM stream_module_lesson WHERE id = 5")
    pipeline.run()

    assert pipeline.view("lesson_id = 5") == []
    assert len(pipeline.view()) == 35
    history = pipeline.warehouse(
        "SELECT s.is_deleted, s.title FROM vault.s_lesson s JOIN vault.h_lesson h USING (hk_lesson)"
        " WHERE h.lesson_id = 5 ORDER BY s.load_ts"
    )
    assert history == [(False, "PyTorch"), (True, "PyTorch")]
    assert pipeline.scalar("SELECT count(*) FROM vault.h_lesson") == 36

    pipeline.source(
        "INSERT INTO stream_module_lesson (id, title, description, teacher_id, stream_module_id)"
        " VALUES (5, 'PyTorch', 'back again', 2, 3)"
    )
    pipeline.run()
    [row] = pipeline.view("lesson_id = 5")
    assert (row["h_lesson_title"], row["s_lesson_description"], row["h_module_title"]) == (
        "PyTorch",
        "back again",
        "Machine Learning",
    )
    assert len(pipeline.view()) == 36
    assert pipeline.scalar("SELECT count(*) FROM vault.h_lesson") == 36
    pipeline.assert_mart_matches_warehouse()


def test_a_deleted_stream_takes_its_modules_and_lessons_out_of_the_mart(pipeline):
    pipeline.run()
    pipeline.source("DELETE FROM stream_module_lesson WHERE stream_module_id IN (1, 2, 3)")
    pipeline.source("DELETE FROM stream_module WHERE stream_id = 1")
    pipeline.source("DELETE FROM stream WHERE id = 1")
    pipeline.run()
    # Data Science had only that stream: it stays, once, with no stream
    [course] = pipeline.view("course_id = 1")
    assert course["stream_id"] is None and course["h_stream_name"] is None
    assert len(pipeline.view()) == 31
    pipeline.assert_mart_matches_warehouse()


def test_a_module_moved_to_another_stream_shows_under_it_and_leaves_nothing_behind(pipeline):
    pipeline.run()
    pipeline.source("UPDATE stream_module SET stream_id = 2 WHERE id = 3")  # Machine Learning: DS -> DE_Stream_2
    pipeline.run()
    rows = pipeline.view("module_id = 3")
    assert {(row["course_id"], row["stream_id"], row["h_course_title"]) for row in rows} == {(2, 2, "Data Engineering")}
    assert len(rows) == 2
    assert len(pipeline.view("stream_id = 1")) == 4
    assert pipeline.scalar("SELECT count(*) FROM vault.h_module") == 18
    pipeline.assert_mart_matches_warehouse()


def test_a_module_whose_lessons_all_moved_away_shows_once_without_lessons(pipeline):
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 2 WHERE stream_module_id = 1")
    pipeline.run()
    [row] = pipeline.view("module_id = 1")
    assert (row["h_module_title"], row["lesson_id"], row["h_lesson_title"]) == ("Python", None, None)
    assert len(pipeline.view("module_id = 2")) == 4
    pipeline.assert_mart_matches_warehouse()

    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 1 WHERE id IN (1, 2)")
    pipeline.run()
    assert [row["lesson_id"] for row in pipeline.view("module_id = 1")] == [1, 2]
    pipeline.assert_mart_matches_warehouse()


def test_a_renamed_course_reaches_every_row_under_it(pipeline):
    pipeline.run()
    pipeline.source("UPDATE course SET title = 'DE' WHERE id = 2")
    pipeline.source("UPDATE stream SET name = 'DE_Stream_2b' WHERE id = 2")
    pipeline.run()
    assert {row["h_course_title"] for row in pipeline.view("course_id = 2")} == {"DE"}
    assert len(pipeline.view("course_id = 2")) == 12
    assert {row["h_stream_name"] for row in pipeline.view("stream_id = 2")} == {"DE_Stream_2b"}
    pipeline.assert_mart_matches_warehouse()


def test_a_soft_delete_is_an_attribute_the_mart_shows(pipeline):
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET deleted_at = '2024-01-02 03:04:05' WHERE id = 7")
    pipeline.run()
    [row] = pipeline.view("lesson_id = 7")
    assert str(row["s_lesson_deleted_at"]) == "2024-01-02 03:04:05"


ODD_TITLES = [
    "O'Reilly's \"Python\"",
    "back\\slash \\n not a newline",
    "Переменные и типы",
    "Emoji 🐍🚀 lesson",
    "'); DROP TABLE vault.h_course; --",
    "",
    None,
]


def test_odd_titles_reach_the_mart_unchanged(pipeline):
    pipeline.run()
    for lesson_id, title in enumerate(ODD_TITLES, start=1):
        pipeline.source("UPDATE stream_module_lesson SET title = %s WHERE id = %s", [title, lesson_id])
    pipeline.source("UPDATE course SET title = %s WHERE id = 2", ["Инженерия данных 'DE'"])
    pipeline.source("UPDATE stream SET name = NULL WHERE id = 2")
    pipeline.run()

    for lesson_id, title in enumerate(ODD_TITLES, start=1):
        [row] = pipeline.view(f"lesson_id = {lesson_id}")
        assert row["h_lesson_title"] == title, lesson_id
    assert {row["h_course_title"] for row in pipeline.view("course_id = 2")} == {"Инженерия данных 'DE'"}
    assert {row["h_stream_name"] for row in pipeline.view("stream_id = 2")} == {None}
    assert pipeline.scalar("SELECT count(*) FROM vault.h_course") == 3
    pipeline.assert_mart_matches_warehouse()


def test_null_and_empty_string_are_different_content(pipeline):
    pipeline.source("UPDATE stream_module_lesson SET homework_url = NULL WHERE id = 1")
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET homework_url = '' WHERE id = 1")
    pipeline.run()
    [row] = pipeline.view("lesson_id = 1")
    assert row["s_lesson_homework_url"] == ""
    assert pipeline.scalar("SELECT count(*) FROM vault.s_lesson") == 37


def test_a_course_without_streams_appears_once_with_empty_columns(pipeline):
    pipeline.source(
        "INSERT INTO course (id, title, icon_url, is_auto_course_enroll, is_demo_enroll)"
        " VALUES (4, 'Data Visualisation', NULL, FALSE, FALSE)"
    )
    pipeline.run()
    [row] = pipeline.view("course_id = 4")
    assert row["h_course_title"] == "Data Visualisation"
    empty = [name for name in row if name.startswith(("h_stream", "s_stream", "h_module", "l_module", "s_module"))]
    empty += [name for name in row if name.startswith(("h_lesson", "s_lesson"))]
    empty += ["stream_id", "module_id", "lesson_id"]
    assert {name: row[name] for name in empty} == dict.fromkeys(empty)

    # once it gets a stream, that row replaces the empty one
    pipeline.source("INSERT INTO stream (id, course_id, name) VALUES (7, 4, 'DV_Stream_1')")
    pipeline.run()
    [row] = pipeline.view("course_id = 4")
    assert (row["stream_id"], row["h_stream_name"], row["module_id"]) == (7, "DV_Stream_1", None)


@pytest.mark.parametrize("change", ["UPDATE course SET icon_url = icon_url", "UPDATE stream SET id = id"])
def test_an_update_that_changes_nothing_writes_nothing(pipeline, change):
    pipeline.run()
    before = pipeline.vault_counts(), pipeline.mart_data_count()
    pipeline.source(change)
    pipeline.run()
    assert (pipeline.vault_counts(), pipeline.mart_data_count()) == before


def test_messy_values_load_unchanged(pipeline):
    long_text = "x" * 100_000
    pipeline.source(
        "UPDATE stream_module_lesson SET description = %s, start_at = '1900-01-01 00:00:00.000001',"
        " end_at = '2299-12-31 23:59:59.999999' WHERE id = 1",
        [long_text],
    )
    pipeline.source("UPDATE stream_module_lesson SET title = %s WHERE id = 2", ["tab\there\nnewline\r\x01\x7f"])
    pipeline.run()
    [first] = pipeline.view("lesson_id = 1")
    assert first["s_lesson_description"] == long_text
    assert str(first["s_lesson_start_at"]) == "1900-01-01 00:00:00.000001"
    assert str(first["s_lesson_end_at"]) == "2299-12-31 23:59:59.999999"
    [second] = pipeline.view("lesson_id = 2")
    assert second["h_lesson_title"] == "tab\there\nnewline\r\x01\x7f"
    pipeline.assert_mart_matches_warehouse()


def test_timestamps_far_in_the_past_or_future_reach_the_mart_unchanged(pipeline):
    pipeline.source(
        "UPDATE stream_module_lesson SET start_at = '0044-03-15 12:30:00.5', end_at = '3000-06-01 00:00:00'"
        " WHERE id = 1"
    )
    pipeline.source("UPDATE stream_module_lesson SET start_at = '1800-01-01 00:00:00' WHERE id = 2")
    pipeline.run()
    [first] = pipeline.view("lesson_id = 1")
    assert first["s_lesson_start_at"] == datetime(44, 3, 15, 12, 30, 0, 500000)
    assert first["s_lesson_end_at"] == datetime(3000, 6, 1)
    [second] = pipeline.view("lesson_id = 2")
    assert second["s_lesson_start_at"] == datetime(1800, 1, 1)
    pipeline.assert_mart_matches_warehouse()


def test_orphans_stay_visible_under_an_unknown_parent_and_are_counted(pipeline):
    pipeline.source("ALTER TABLE stream DROP CONSTRAINT fk_course")
    pipeline.source("ALTER TABLE stream_module_lesson DROP CONSTRAINT fk_stream_module")
    pipeline.run()
    pipeline.source("UPDATE stream SET course_id = NULL WHERE id = 1")  # DS_Stream_1 loses its course
    pipeline.source("UPDATE stream_module_lesson SET stream_module_id = 999 WHERE id = 36")  # no such module
    pipeline.source("UPDATE stream_module_lesson SET title = NULL WHERE id = 35")
    pipeline.run()

    stream_rows = pipeline.view("stream_id = 1")
    assert len(stream_rows) == 6
    assert {(row["course_id"], row["h_course_title"], row["h_stream_name"]) for row in stream_rows} == {
        (None, None, "DS_Stream_1")
    }
    [course] = pipeline.view("course_id = 1")  # Data Science, now without streams
    assert (course["stream_id"], course["h_course_title"]) == (None, "Data Science")
    [lesson] = pipeline.view("lesson_id = 36")
    assert (lesson["module_id"], lesson["stream_id"], lesson["h_lesson_title"]) == (None, None, "Analytics")
    assert len(pipeline.view()) == 37
    pipeline.assert_mart_matches_warehouse()
    assert any(
        "oddities in the source: 1 streams without a course, 1 lessons without a module, 1 lessons without a title"
        in line
        for line in pipeline.log
    )

    assert pipeline.warehouse("SELECT oddities FROM meta.run ORDER BY run_id DESC LIMIT 1") == [
        ([["streams without a course", 1], ["lessons without a module", 1], ["lessons without a title", 1]],)
    ]
    # a run that changes nothing carries the last counts over instead of counting again: mark them to see it
    with psycopg.connect(pipeline.endpoints.warehouse_dsn) as conn:
        marked = psycopg.types.json.Jsonb([["marked oddities", 7]])
        conn.execute("UPDATE meta.run SET oddities = %s WHERE run_id = (SELECT max(run_id) FROM meta.run)", [marked])
    pipeline.log.clear()
    pipeline.run()
    assert any("oddities in the source: 7 marked oddities" in line for line in pipeline.log)

    pipeline.source("UPDATE stream SET course_id = 1 WHERE id = 1")  # adopted again
    pipeline.run()
    assert pipeline.warehouse("SELECT oddities FROM meta.run ORDER BY run_id DESC LIMIT 1") == [
        ([["lessons without a module", 1], ["lessons without a title", 1]],)
    ]
    assert {row["h_course_title"] for row in pipeline.view("stream_id = 1")} == {"Data Science"}
    assert pipeline.view("course_id IS NULL AND lesson_id != 36") == []
    pipeline.assert_mart_matches_warehouse()


def test_an_emptied_mart_is_reloaded_whole_from_the_warehouse(pipeline):
    """With the data table empty the mart step reads the warehouse's whole view, whatever the run log
    says was loaded before; the next runs go back to the feed of changed keys."""
    pipeline.run()
    pipeline.mart.execute(f"TRUNCATE TABLE {pipeline.mart.database}.dm_courses_modules_lessons_streams_data")
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops, revisited' WHERE id = 2")
    results = {r.step: r.rows for r in pipeline.run()}
    assert results["staging.stg_dm_feed"] == 0  # nothing staged: the view is read whole
    assert pipeline.mart_data_count() == pipeline.scalar(
        "SELECT count(*) FROM vault.v_dm_courses_modules_lessons_streams"
    )
    pipeline.assert_mart_matches_warehouse()
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id = 2")
    results = {r.step: r.rows for r in pipeline.run()}
    assert results["staging.stg_dm_feed"] > 0
    pipeline.assert_mart_matches_warehouse()
