"""Statements in slices: stg_lesson stages its lessons in parts at once, each in a transaction and on a
connection of its own (a first load by remainder of the id, a rerun by span of the current ids), and loses
or duplicates none of them, negative ids and ids beyond the span included, even when a part fails."""

from datetime import UTC, datetime

import psycopg
import pytest

from pipeline import PipelineError, transforms, warehouse

LESSON_COLUMNS = (
    "stream_module_id, title, description, teacher_id, start_at, end_at, homework_url, online_lesson_join_url,"
    " online_lesson_recording_url, deleted_at"
)


def alter_warehouse(pipeline, statement: str) -> None:
    with psycopg.connect(pipeline.endpoints.warehouse_dsn, autocommit=True) as conn:
        conn.execute(statement)


def staged_parts(pipeline) -> list[tuple[int, ...]]:
    """Each transaction that wrote staging.stg_lesson, as the remainders of its lessons' ids."""
    rows = pipeline.warehouse(
        "SELECT array_agg(DISTINCT abs(lesson_id % 2) ORDER BY abs(lesson_id % 2)) FROM staging.stg_lesson"
        " GROUP BY xmin::text ORDER BY 1"
    )
    return [tuple(parts) for (parts,) in rows]


def staged_transactions(pipeline) -> list[list[int]]:
    """The lesson ids each transaction that wrote staging.stg_lesson staged, lowest first."""
    rows = pipeline.warehouse(
        "SELECT array_agg(lesson_id ORDER BY lesson_id) FROM staging.stg_lesson GROUP BY xmin::text ORDER BY 1"
    )
    return [ids for (ids,) in rows]


def test_a_first_load_stages_each_half_of_the_ids_in_a_transaction_of_its_own(pipeline):
    # a lesson with a negative id: a remainder of -1 belongs to a part too
    pipeline.source(
        f"INSERT INTO stream_module_lesson (id, {LESSON_COLUMNS})"
        f" SELECT -7, {LESSON_COLUMNS} FROM stream_module_lesson WHERE id = 1"
    )
    pipeline.run()
    assert staged_parts(pipeline) == [(0,), (1,)]
    assert pipeline.scalar("SELECT count(*) FROM staging.stg_lesson") == 37
    assert pipeline.scalar("SELECT count(*) FROM vault.h_lesson WHERE lesson_id = -7") == 1
    # the runner analyzed the staged lessons once the parts had committed: later steps plan with their count
    assert pipeline.scalar("SELECT reltuples FROM pg_class WHERE oid = 'staging.stg_lesson'::regclass") == 37
    # a rerun's parts cut the current lesson ids' span (1 to 36) in two: ids below 18, and 18 and above
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id IN (3, 4, 30)")
    pipeline.run()
    assert staged_transactions(pipeline) == [[3, 4], [30]]


def test_a_rerun_stages_each_span_of_the_current_ids_in_a_part_and_every_lesson_beyond_them(pipeline):
    pipeline.run()
    pipeline.source(
        f"INSERT INTO stream_module_lesson (id, {LESSON_COLUMNS})"
        f" SELECT new.id, {LESSON_COLUMNS} FROM stream_module_lesson, (VALUES (-5), (1000)) AS new (id)"
        " WHERE stream_module_lesson.id = 1"
    )
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id IN (17, 18)")  # either side of the cut
    pipeline.source("DELETE FROM stream_module_lesson WHERE id IN (1, 36)")  # the span's own ends
    pipeline.run()
    assert staged_transactions(pipeline) == [[-5, 1, 17], [18, 36, 1000]]
    assert set(pipeline.warehouse("SELECT lesson_id FROM staging.stg_lesson WHERE vanished")) == {(1,), (36,)}
    pipeline.assert_mart_matches_warehouse()
    # the next run cuts the span anew (from -5 to 1000) and finds nothing left to stage
    pipeline.run()
    assert staged_transactions(pipeline) == []
    assert pipeline.warehouse("SELECT count(*), count(DISTINCT lesson_id) FROM vault.cur_lesson") == [(36, 36)]


def test_a_current_state_without_lesson_rows_is_cut_by_its_placements(pipeline):
    """The span comes from both current tables: with no current lesson row left, every lesson is compared
    again (and staged once) in the parts the current placements' ids give."""
    pipeline.run()
    pipeline.warehouse("DELETE FROM vault.cur_lesson RETURNING 1")
    pipeline.run()
    assert [len(ids) for ids in staged_transactions(pipeline)] == [17, 19]
    assert pipeline.warehouse("SELECT count(*), count(DISTINCT lesson_id) FROM vault.cur_lesson") == [(36, 36)]


def test_a_part_that_fails_fails_the_run_before_the_vault_and_the_next_run_loads_every_lesson_once(pipeline):
    # the warehouse refuses the odd lessons, which the second part stages
    list(warehouse.migrate(pipeline.endpoints.warehouse_dsn))
    alter_warehouse(pipeline, "ALTER TABLE staging.stg_lesson ADD CONSTRAINT even_only CHECK (lesson_id % 2 = 0)")
    with pytest.raises(PipelineError) as failure:
        pipeline.run()
    assert failure.value.database == "warehouse"
    assert 'step staging.stg_lesson failed: new row for relation "stg_lesson" violates check constraint' in str(
        failure.value
    )
    assert pipeline.scalar("SELECT count(*) FROM vault.h_lesson") == 0
    assert pipeline.scalar("SELECT status FROM meta.run ORDER BY run_id DESC LIMIT 1") == "failed"

    alter_warehouse(pipeline, "ALTER TABLE staging.stg_lesson DROP CONSTRAINT even_only")
    pipeline.run()
    assert pipeline.scalar("SELECT count(*) FROM staging.stg_lesson") == 36
    assert pipeline.warehouse("SELECT count(*), count(DISTINCT lesson_id) FROM vault.h_lesson") == [(36, 36)]
    assert pipeline.warehouse("SELECT count(*), count(DISTINCT lesson_id) FROM vault.cur_lesson") == [(36, 36)]
    assert pipeline.scalar("SELECT count(*) FROM vault.s_lesson") == 36
    pipeline.assert_mart_matches_warehouse()


def test_plan_shows_each_slice_after_the_steps_own_statements(pipeline):
    found = transforms.discover()
    renderer = transforms.Renderer(found, datetime.now(UTC))
    step = transforms.plan_steps(found, renderer)["stg_lesson"]
    assert len(step.slices) == transforms.SLICES == 2
    assert "abs(id % 2) = 0" in step.slices[0] and "abs(id % 2) = 1" in step.slices[1]
    # a rerun's parts: below the middle of the current ids' span, and from it up
    assert "SELECT -2147483648 AS low, lo + (hi - lo) * 1 / 2 AS high" in step.slices[0]
    assert "SELECT lo + (hi - lo) * 1 / 2 AS low, 2147483648 AS high" in step.slices[1]
    assert "INSERT" not in step.sql  # the step's own transaction empties the table and probes the source
    text = step.text
    first, second = text.index("-- slice 1 of 2"), text.index("-- slice 2 of 2")
    assert text.index("TRUNCATE") < first < text.index("GROUP BY id") < second


@pytest.mark.parametrize(
    ("layer", "body"),
    [
        ("staging", "{% call(s) slices() %}SELECT 1 WHERE {{ s('id') }};{% endcall %}" * 2),
        ("mart", "{% call(s) slices() %}SELECT 1 WHERE {{ s('id') }};{% endcall %}"),
        ("staging", "{% call(s) slices() %}SELECT 1 WHERE {{ s('id; DROP TABLE x') }};{% endcall %}"),
    ],
)
def test_slices_are_one_block_of_a_warehouse_step_on_a_plain_column(tmp_path, layer, body):
    for folder in ("staging", "vault", "mart"):
        (tmp_path / folder).mkdir()
    (tmp_path / layer / "t.sql").write_text(f"-- t: a test\n{body}\n")
    found = transforms.discover(tmp_path)
    renderer = transforms.Renderer(found, datetime.now(UTC), root=tmp_path)
    with pytest.raises(PipelineError) as failure:
        renderer.render(found["t"])
    assert failure.value.database in ("transforms", "config")
