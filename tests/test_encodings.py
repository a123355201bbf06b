"""History changes only when the data does, whatever the source's encoding, collation or version.

The sources here are on Debian's PostgreSQL 15 (tcp_pg_server), the warehouse on the embedded
PostgreSQL 18: a first load hashes the rows in the warehouse, later runs have the source hash them
when it can (a UTF8 source), so both versions must agree; a WIN1251 source cannot, and is hashed in
the warehouse on every run.
"""

import re
from pathlib import Path

import psycopg
import pytest
from conftest import SOURCE_PASSWORD, TCP_SUPERUSER_PASSWORD, Pipeline, stg_lesson_delta
from jinja2 import Environment, FileSystemLoader
from psycopg import sql

from pipeline import embedded, transforms
from pipeline.run import Endpoints

ROOT = Path(__file__).resolve().parent.parent
RECOMPUTE = ROOT / "migrations" / "warehouse" / "0020_hashdiffs_alike_everywhere.sql"
ENTITIES = {"course": "course", "stream": "stream", "module": "stream_module", "lesson": "stream_module_lesson"}
# Cyrillic text in every text attribute the mart shows, all of it in WIN1251's repertoire
CYRILLIC = {
    "course": ("title", "Анализ данных «с нуля»"),
    "stream": ("name", "Поток №1 — весна"),
    "stream_module": ("title", "Модуль: Python, ёлки"),
    "stream_module_lesson": ("title", "Урок «Переменные»"),
}
DESCRIPTION = "Описание урока: щётка, объём, Ъъ"
_numbers = iter(range(1, 1000))


def cyrillic_source(dsn_template: str, encoding: str, collation: str | None = None) -> tuple[str, str]:
    """A demo catalog in a database of the given encoding (C locale) on the TCP server, its text made
    Cyrillic; with `collation`, lesson titles use that (nondeterministic) ICU collation. Returns the
    DSN the pipeline reads with (reader's) and the owner's, for the test's edits."""
    name = f"enc_{encoding.lower()}_{next(_numbers)}"
    admin = dsn_template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING {} LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0").format(
                sql.Identifier(name), sql.Literal(encoding)
            )
        )
    owner = dsn_template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database=name)
    with psycopg.connect(owner) as conn:
        conn.execute(embedded.DEMO_CATALOG.read_text())
        if collation:
            conn.execute(f"CREATE COLLATION ci (provider = icu, locale = '{collation}', deterministic = false)")
            conn.execute("ALTER TABLE stream_module_lesson ALTER COLUMN title TYPE varchar(255) COLLATE ci")
        for table, (column, text) in CYRILLIC.items():
            conn.execute(
                sql.SQL("UPDATE {} SET {} = {} || ' ' || id").format(
                    sql.Identifier(table), sql.Identifier(column), sql.Literal(text)
                )
            )
        conn.execute("UPDATE stream_module_lesson SET description = %s", [DESCRIPTION])
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        assert conn.execute("SHOW server_encoding").fetchone()[0] == encoding
    return psycopg.conninfo.make_conninfo(owner, user="reader", password=SOURCE_PASSWORD), owner


@pytest.fixture
def make_pipeline(tcp_pg_server, pg_server, chdb_path):
    def make(encoding: str, collation: str | None = None, warehouse_on_pg15: bool = False) -> Pipeline:
        source, owner = cyrillic_source(tcp_pg_server, encoding, collation)
        number = next(_numbers)
        if warehouse_on_pg15:
            admin = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE warehouse_enc_{number}")
            warehouse = tcp_pg_server.format(
                user="postgres", password=TCP_SUPERUSER_PASSWORD, database=f"warehouse_enc_{number}"
            )
        else:
            warehouse = embedded.ensure_warehouse(pg_server, f"warehouse_enc_{number}")
        pipeline = Pipeline(Endpoints(source, warehouse, f"chdb://{chdb_path}?database=mart_enc_{number}"))
        pipeline.source_owner = owner
        return pipeline

    return make


def edit_source(pipeline: Pipeline, statement: str) -> None:
    with psycopg.connect(pipeline.source_owner, autocommit=True) as conn:
        conn.execute(statement)


def assert_reruns_write_nothing(pipeline: Pipeline) -> None:
    counts, mart_rows = pipeline.vault_counts(), pipeline.mart_data_count()
    for _ in range(2):
        pipeline.run()
        assert pipeline.vault_counts() == counts
        assert pipeline.mart_data_count() == mart_rows


def assert_cyrillic_in_the_mart(pipeline: Pipeline) -> None:
    rows = pipeline.view()
    assert {row["h_course_title"] for row in rows} == {f"{CYRILLIC['course'][1]} {n}" for n in (1, 2, 3)}
    [lesson] = [row for row in rows if row["lesson_id"] == 4]
    assert lesson["h_lesson_title"] == f"{CYRILLIC['stream_module_lesson'][1]} 4"
    assert lesson["s_lesson_description"] == DESCRIPTION
    assert lesson["h_module_title"].startswith(CYRILLIC["stream_module"][1])
    assert lesson["h_stream_name"].startswith(CYRILLIC["stream"][1])


@pytest.mark.parametrize("encoding", ["WIN1251", "UTF8"])
def test_reruns_over_a_cyrillic_source_write_nothing_and_the_text_arrives_unchanged(make_pipeline, encoding):
    pipeline = make_pipeline(encoding)
    pipeline.run()
    assert pipeline.vault_counts()["s_lesson"] == 36
    assert_reruns_write_nothing(pipeline)
    assert_cyrillic_in_the_mart(pipeline)
    pipeline.assert_mart_matches_warehouse()

    # and a real change is still seen, once
    edit_source(pipeline, "UPDATE stream_module_lesson SET title = 'Урок «Циклы»' WHERE id = 4")
    pipeline.run()
    assert pipeline.vault_counts()["s_lesson"] == 37
    assert pipeline.view("lesson_id = 4")[0]["h_lesson_title"] == "Урок «Циклы»"
    assert_reruns_write_nothing(pipeline)


def test_a_nondeterministic_collation_in_the_source_neither_hides_changes_nor_invents_them(make_pipeline):
    """A case-insensitive collation hashes 'A' as 'a' in the source: its rows are hashed here instead."""
    pipeline = make_pipeline("UTF8", collation="und-u-ks-level2")
    pipeline.run()
    assert_reruns_write_nothing(pipeline)
    edit_source(pipeline, "UPDATE stream_module_lesson SET title = upper(title) WHERE id = 4")
    pipeline.run()
    assert pipeline.vault_counts()["s_lesson"] == 37
    assert pipeline.view("lesson_id = 4")[0]["h_lesson_title"] == f"{CYRILLIC['stream_module_lesson'][1]} 4".upper()


@pytest.mark.parametrize("warehouse_on_pg15", [False, True], ids=["warehouse PG18", "warehouse PG15"])
def test_a_utf8_source_computes_the_hashdiffs_itself(make_pipeline, warehouse_on_pg15):
    """The delta step's aggregate, hash expression included, is sent to the source (EXPLAIN VERBOSE):
    the source-encoding test beside it does not keep postgres_fdw 15 or 18 from pushing it down."""
    pipeline = make_pipeline("UTF8", warehouse_on_pg15=warehouse_on_pg15)
    pipeline.run()
    _, statement = stg_lesson_delta()
    plan = "\n".join(row[0] for row in pipeline.warehouse(f"EXPLAIN (VERBOSE) {statement}"))
    remote = re.findall(r"Remote SQL: (.*)", plan)
    [aggregate] = [line for line in remote if "GROUP BY" in line]
    [total] = [line for line in remote if "sum(hashint8extended(" in line]  # the unchanged-source test's sum
    for sent in (aggregate, total):
        for column in ("title", "description", "homework_url", "online_lesson_join_url", "online_lesson_recording_url"):
            assert f"hashtextextended({column}, " in sent
        assert "timestamp_hash_extended(start_at, " in sent and "hashint4extended(teacher_id, " in sent
    assert "min(stream_module_id)" in aggregate
    assert "sum(hashint4extended(stream_module_id, " in total
    assert "Async Foreign Scan" in plan  # the source sums while the warehouse does (postgres_fdw 14+)


def test_hashdiffs_stored_by_a_win1251_source_are_recomputed_by_migration_0020(make_pipeline):
    """A warehouse from before: the source hashed its own WIN1251 bytes for the rows later runs wrote.
    After the recompute, the first run writes nothing and the checks pass."""
    pipeline = make_pipeline("WIN1251")
    pipeline.run()
    for entity, table in ENTITIES.items():  # what the old delta step stored: the source's own hashes
        pipeline.warehouse(
            f"WITH src AS (SELECT id, min({hashdiff_expression(entity)}) AS h FROM source.{table} GROUP BY id)"
            f" UPDATE vault.cur_{entity} AS cur SET hashdiff = src.h FROM src WHERE cur.{entity}_id = src.id"
            " RETURNING 1"
        )
        pipeline.warehouse(
            f"UPDATE vault.s_{entity} AS s SET hashdiff = cur.hashdiff FROM vault.cur_{entity} AS cur"
            f" WHERE s.hk_{entity} = cur.hk_{entity} RETURNING 1"
        )
    counts = pipeline.vault_counts()

    recomputed = 0
    with psycopg.connect(pipeline.endpoints.warehouse_dsn) as conn:
        for statement in RECOMPUTE.read_text().split(";\n"):
            if statement.lstrip().startswith("UPDATE"):
                recomputed += conn.execute(statement).rowcount
    assert recomputed == 2 * (3 + 6 + 18 + 36)  # every row held Cyrillic text, history and current state

    pipeline.run()  # the checks run with it, and raise if one fails
    assert pipeline.vault_counts() == counts
    assert_cyrillic_in_the_mart(pipeline)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_migration_0020_recomputes_with_the_hashdiff_macro(entity):
    migration = " ".join(RECOMPUTE.read_text().split())
    expression = " ".join(hashdiff_expression(entity).split())
    for table in (f"vault.s_{entity}", f"vault.cur_{entity}"):
        assert f"SELECT ctid, {expression} AS hashdiff FROM {table} )" in migration


def attributes(entity: str) -> dict:
    text = (transforms.ROOT / "staging" / f"stg_{entity}.sql").read_text()
    names = re.search(r"\{% set attributes = (\{.*?\}) %\}", text, re.S).group(1)
    return dict(re.findall(r"'(\w+)': '(\w+)'", names))


def hashdiff_expression(entity: str) -> str:
    env = Environment(loader=FileSystemLoader(str(transforms.ROOT)), trim_blocks=True, lstrip_blocks=True)
    return str(env.get_template("macros.sql").module.hashdiff(attributes(entity)))
