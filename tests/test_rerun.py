"""Reruns: the lesson delta first tells an unchanged source apart by a sum on each side, and compares
row by row only when the sums differ. Every kind of change must still reach the delta."""

import psycopg
import pytest
from conftest import stg_lesson_delta

from pipeline import transforms

COPY_OF_LESSON_1 = (
    "INSERT INTO stream_module_lesson (title, description, start_at, end_at, homework_url, teacher_id,"
    " stream_module_id, online_lesson_join_url, online_lesson_recording_url)"
    " SELECT title, description, start_at, end_at, homework_url, teacher_id, stream_module_id,"
    " online_lesson_join_url, online_lesson_recording_url FROM stream_module_lesson WHERE id = 1"
)
# lessons 1 and 2 are in module 1, lesson 3 in module 2
SWAP = (
    "UPDATE stream_module_lesson AS l SET {column} = o.{column}"
    " FROM stream_module_lesson AS o WHERE (l.id, o.id) IN ((1, 3), (3, 1))"
)

CHANGES = {
    "an attribute": ("UPDATE stream_module_lesson SET title = 'Loops' WHERE id = 4", {(4, False)}),
    "its module only": ("UPDATE stream_module_lesson SET stream_module_id = 1 WHERE id = 3", {(3, False)}),
    "its module lost": ("UPDATE stream_module_lesson SET stream_module_id = NULL WHERE id = 3", {(3, False)}),
    "modules swapped": (SWAP.format(column="stream_module_id"), {(1, False), (3, False)}),
    "titles swapped": (SWAP.format(column="title"), {(1, False), (3, False)}),
    "a lesson deleted": ("DELETE FROM stream_module_lesson WHERE id = 36", {(36, True)}),
    "a lesson added, a copy of another": (COPY_OF_LESSON_1, {(37, False)}),
}


def staged(pipeline) -> set[tuple[int, bool]]:
    return set(pipeline.warehouse("SELECT lesson_id, vanished FROM staging.stg_lesson"))


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_kind_of_change_reaches_the_delta(pipeline, change):
    statement, expected = CHANGES[change]
    pipeline.run()
    pipeline.run()
    assert staged(pipeline) == set()

    pipeline.source(statement)
    pipeline.run()
    assert staged(pipeline) == expected
    pipeline.assert_mart_matches_warehouse()
    pipeline.run()
    assert staged(pipeline) == set()


@pytest.mark.parametrize(
    "drift",
    [
        "UPDATE vault.cur_lesson SET hashdiff = hashdiff + 1 WHERE lesson_id = 5 RETURNING 1",
        "DELETE FROM vault.cur_module_lesson WHERE lesson_id = 5 RETURNING 1",
        "DELETE FROM vault.cur_lesson WHERE lesson_id = 5 RETURNING 1",
    ],
)
def test_a_current_state_that_drifted_from_the_source_is_compared_again(pipeline, drift):
    """The warehouse's side of the sums is the vault's current state, not a copy of the source's."""
    pipeline.run()
    pipeline.warehouse(drift)
    pipeline.run()
    assert staged(pipeline) == {(5, False)}


def explain_delta(pipeline, *before: str, part: int = 0) -> str:
    """EXPLAIN ANALYZE of stg_lesson's delta statement (the one whose source computes the hashdiffs) in
    the given part of its slices, under the part's own settings, after the statements `before`, rolled back."""
    settings, delta = stg_lesson_delta(part)
    with psycopg.connect(pipeline.endpoints.warehouse_dsn) as conn:
        for setting in [*before, *settings]:
            conn.execute(setting)
        plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN (ANALYZE) {delta}"))
        conn.rollback()
    return plan


def comparison(plan: str) -> str:
    [line] = [line for line in plan.splitlines() if "Full Join" in line and "cur_" not in line][:1]
    return line


def test_an_unchanged_source_costs_the_sums_only(pipeline):
    pipeline.run()
    plan = explain_delta(pipeline)
    assert "Async Foreign Scan" in plan  # the source's sum runs while the warehouse sums its side
    assert "Merge Full Join" in comparison(plan)
    assert "never executed" in comparison(plan)

    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id = 4")
    assert "never executed" not in comparison(explain_delta(pipeline))


# what a first load of a million lessons leaves: no statistics yet, a million rows in each current table
FRESH_MILLION = [
    "DELETE FROM pg_statistic WHERE starelid IN ('vault.cur_lesson'::regclass, 'vault.cur_module_lesson'::regclass)",
    "UPDATE pg_class SET reltuples = 1e6, relpages = 1"
    " WHERE oid IN ('vault.cur_lesson'::regclass, 'vault.cur_module_lesson'::regclass)",
]


def test_the_delta_meets_its_fetched_attributes_by_a_merge_whatever_the_estimates(pipeline):
    """Expecting billions of delta rows, the planner would loop over the fetched lessons for each."""
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id = 4")
    plan = explain_delta(pipeline, *FRESH_MILLION)
    assert "rows=1000000 " in plan  # the estimates of a million current lessons did apply
    assert "Nested Loop" not in plan


def test_a_first_load_leaves_statistics_on_every_table_it_filled(pipeline):
    """The current state a satellite step keeps beside its history is analyzed with it, before the
    commit: the next run, and the checks right after this one, plan with row counts (without them the
    planner looped where it should hash), not with autovacuum's visit a minute later."""
    pipeline.run()
    never_analyzed = pipeline.warehouse(
        "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'vault' AND c.relkind = 'r' AND c.reltuples < 0 ORDER BY 1"
    )
    assert never_analyzed == []
    assert pipeline.scalar("SELECT reltuples FROM pg_class WHERE oid = 'vault.cur_lesson'::regclass") == 36


def test_the_comparison_reads_the_current_state_in_lesson_order(pipeline):
    """Both current tables come in lesson order from their indexes on lesson_id (migration 0029), at the
    estimates of a million lessons: the merge with the source's lessons, which come sorted, sorts neither."""
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET title = 'Loops' WHERE id = 4")
    for part in range(transforms.SLICES):  # each part reads its span of ids from the indexes
        plan = explain_delta(pipeline, *FRESH_MILLION, part=part)
        assert "rows=1000000 " in plan
        assert "Index Only Scan using cur_lesson_by_id on cur_lesson le" in plan
        assert "Index Only Scan using cur_module_lesson_by_id on cur_module_lesson ml" in plan
        assert "Sort Key: le.lesson_id" not in plan
        assert "Sort Key: ml.lesson_id" not in plan
    pipeline.run()
    assert staged(pipeline) == {(4, False)}
