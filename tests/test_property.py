"""A property test: random sequences of source inserts, updates, deletes and moves over several runs.
After each run the mart equals the current state computed directly from the source, and a run with
nothing new writes nothing."""

import itertools

import psycopg
from conftest import Pipeline, demo_source
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import embedded
from pipeline.run import Endpoints

_examples = itertools.count(1)

titles = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)
lesson_ids = st.integers(1, 40)
module_ids = st.integers(1, 19)
stream_ids = st.integers(1, 7)
course_ids = st.integers(1, 4)

operations = st.one_of(
    st.tuples(st.just("UPDATE course SET title = %s WHERE id = %s"), titles, course_ids),
    st.tuples(st.just("UPDATE stream_module_lesson SET title = %s WHERE id = %s"), titles, lesson_ids),
    st.tuples(st.just("UPDATE stream_module_lesson SET stream_module_id = %s WHERE id = %s"), module_ids, lesson_ids),
    st.tuples(st.just("UPDATE stream_module SET stream_id = %s WHERE id = %s"), stream_ids, module_ids),
    st.tuples(st.just("UPDATE stream SET course_id = %s WHERE id = %s"), course_ids, stream_ids),
    st.tuples(st.just("DELETE FROM stream_module_lesson WHERE id = %s"), lesson_ids),
    st.tuples(
        st.just("INSERT INTO stream_module_lesson (title, stream_module_id) SELECT %s, %s"),
        titles,
        module_ids.filter(lambda module_id: module_id <= 18),
    ),
    st.tuples(st.just("DELETE FROM stream_module_lesson WHERE stream_module_id = %s"), module_ids),
    st.tuples(st.just("DELETE FROM stream_module WHERE id = %s"), module_ids),
    st.tuples(st.just("INSERT INTO course (title) SELECT %s"), titles),
    st.tuples(st.just("UPDATE stream SET course_id = NULL WHERE id = %s"), stream_ids),
    st.tuples(
        st.just("UPDATE stream_module_lesson SET stream_module_id = %s WHERE id = %s"), st.integers(17, 25), lesson_ids
    ),
    st.tuples(st.just("DELETE FROM course WHERE id = %s"), course_ids),
    st.tuples(st.just("DELETE FROM stream WHERE id = %s"), stream_ids),
    st.tuples(
        st.just("INSERT INTO course (id, title) SELECT %s, %s WHERE NOT EXISTS (SELECT FROM course WHERE id = %s)"),
        course_ids,
        titles,
    ).map(lambda op: (op[0], op[1], op[2], op[1])),
)

# The mart's meaning, computed from the source alone: every lesson under whatever module, stream and
# course it has; every module without lessons, stream without modules, course without streams.
SOURCE_STATE = """
SELECT c.id, s.id, m.id, l.id, c.title, s.name, m.title, l.title
FROM stream_module_lesson AS l
LEFT JOIN stream_module AS m ON m.id = l.stream_module_id
LEFT JOIN stream AS s ON s.id = m.stream_id
LEFT JOIN course AS c ON c.id = s.course_id
UNION ALL
SELECT c.id, s.id, m.id, NULL, c.title, s.name, m.title, NULL
FROM stream_module AS m
LEFT JOIN stream AS s ON s.id = m.stream_id
LEFT JOIN course AS c ON c.id = s.course_id
WHERE NOT EXISTS (SELECT FROM stream_module_lesson AS l WHERE l.stream_module_id = m.id)
UNION ALL
SELECT c.id, s.id, NULL, NULL, c.title, s.name, NULL, NULL
FROM stream AS s
LEFT JOIN course AS c ON c.id = s.course_id
WHERE NOT EXISTS (SELECT FROM stream_module AS m WHERE m.stream_id = s.id)
UNION ALL
SELECT c.id, NULL, NULL, NULL, c.title, NULL, NULL, NULL
FROM course AS c
WHERE NOT EXISTS (SELECT FROM stream AS s WHERE s.course_id = c.id)
ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST
"""
# Real sources are messy: no foreign keys, so parents can be NULL, dangling or deleted under children.
DROP_FOREIGN_KEYS = [
    "ALTER TABLE stream DROP CONSTRAINT fk_course",
    "ALTER TABLE stream_module DROP CONSTRAINT fk_stream",
    "ALTER TABLE stream_module_lesson DROP CONSTRAINT fk_stream_module",
]
AS_OF = """
SELECT course_id, stream_id, module_id, lesson_id, course_title, stream_name, module_title, lesson_title
FROM vault.catalog_as_of(%s)
ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST
"""
MART_COLUMNS = ["course_id", "stream_id", "module_id", "lesson_id", "h_course_title", "h_stream_name",
                "h_module_title", "h_lesson_title"]  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(operations, min_size=1, max_size=4), min_size=1, max_size=3))
def test_the_mart_follows_any_sequence_of_source_changes(pg_server, chdb_path, batches):
    pipeline = messy_pipeline(pg_server, chdb_path)
    pipeline.run()
    hubs_before = 0
    states = []  # (the run's load_ts, the source's state then)
    for batch in batches:
        for statement, *params in batch:
            try:
                pipeline.source(statement, params)
            except psycopg.errors.IntegrityError:
                pass  # the source's own foreign keys refuse it: not a change
        pipeline.run(allow_mass_delete=True)  # on this tiny catalog, two of three courses is a mass delete

        expected = source_rows(pipeline)
        mart = [tuple(row[name] for name in MART_COLUMNS) for row in pipeline.view()]
        assert mart == expected
        states.append((pipeline.scalar("SELECT max(load_ts) FROM meta.run"), source_rows(pipeline)))
        pipeline.assert_mart_matches_warehouse()
        hubs = pipeline.scalar("SELECT count(*) FROM vault.h_lesson")
        assert hubs >= hubs_before  # hubs only grow
        hubs_before = hubs

    before = pipeline.vault_counts(), pipeline.mart_data_count()
    pipeline.run()
    assert (pipeline.vault_counts(), pipeline.mart_data_count()) == before

    # the vault's history replays every state it loaded
    for load_ts, state in states:
        assert pipeline.warehouse(AS_OF, [load_ts]) == state


def messy_pipeline(pg_server, chdb_path) -> Pipeline:
    """A pipeline of its own over the demo catalog without its foreign keys."""
    number = next(_examples)
    pipeline = Pipeline(
        Endpoints(
            demo_source(pg_server, f"prop_source_{number}"),
            embedded.ensure_warehouse(pg_server, f"prop_warehouse_{number}"),
            f"chdb://{chdb_path}?database=prop_mart_{number}",
        )
    )
    for statement in DROP_FOREIGN_KEYS:
        pipeline.source(statement)
    return pipeline


def source_rows(pipeline) -> list[tuple]:
    with psycopg.connect(pipeline.endpoints.source_dsn) as conn:
        return conn.execute(SOURCE_STATE).fetchall()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(operations, min_size=1, max_size=10))
def test_a_first_load_of_any_source_gives_the_warehouse_view_and_passes_its_checks(pg_server, chdb_path, changes):
    """The mart's first load assembles its rows in ClickHouse from the current state, as the view does
    in the warehouse: on a messy source (orphans, dangling and missing parents), the two agree, and the
    checks that follow a first load (fingerprints, the assembled mart) pass."""
    pipeline = messy_pipeline(pg_server, chdb_path)
    for statement, *params in changes:
        try:
            pipeline.source(statement, params)
        except psycopg.errors.IntegrityError:
            pass  # a key the source already has: not a change
    pipeline.run()  # runs the checks after the first load: it raises if one fails
    assert [tuple(row[name] for name in MART_COLUMNS) for row in pipeline.view()] == source_rows(pipeline)
    pipeline.assert_mart_matches_warehouse()
    assert not any("FAILED" in line for line in pipeline.log)
