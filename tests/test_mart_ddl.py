"""The mart's DDL for one server and for a ClickHouse cluster, and how ClickHouse reaches the warehouse."""

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import run_cli

from pipeline import mart
from pipeline.config import ClickHouseURL, Config
from pipeline.plan import plan_renderer


def rendered_ddl(url: str) -> list[str]:
    the_mart = mart.Mart(ClickHouseURL.parse(url))
    return [
        statement
        for path in sorted(mart.MIGRATIONS.glob("*.sql"))
        for statement in mart.split_statements(mart.render_migration(path, the_mart))
    ]


def test_single_server_ddl_uses_a_plain_replacing_merge_tree():
    ddl = rendered_ddl("clickhouse://u:p@ch:9000/mart")
    assert not any("ON CLUSTER" in statement or "Replicated" in statement for statement in ddl)
    assert not any("Distributed" in statement for statement in ddl)
    [data] = [s for s in ddl if re.search(r"dm_courses_modules_lessons_streams_data\s*\n\(", s)]
    assert "ENGINE = ReplacingMergeTree(version, is_deleted)" in data
    [view] = [s for s in ddl if s.startswith("CREATE VIEW")]
    assert "FROM mart.dm_courses_modules_lessons_streams_data FINAL" in view


def test_cluster_ddl_is_on_cluster_replicated_and_read_through_a_distributed_table():
    ddl = rendered_ddl("clickhouse://u:p@ch:9000/mart?cluster=analytics")
    assert all(" ON CLUSTER analytics" in statement for statement in ddl)
    [data] = [s for s in ddl if "dm_courses_modules_lessons_streams_data ON CLUSTER analytics\n(" in s]
    assert re.search(
        r"ENGINE = ReplicatedReplacingMergeTree\(\s*'/clickhouse/tables/\{shard\}/mart/"
        r"dm_courses_modules_lessons_streams_data', '\{replica\}', version, is_deleted\s*\)",
        data,
    )
    [distributed] = [s for s in ddl if "ENGINE = Distributed" in s]
    assert "Distributed(analytics, mart, dm_courses_modules_lessons_streams_data, cityHash64(row_key))" in distributed
    [view] = [s for s in ddl if s.startswith("CREATE VIEW")]
    assert "FROM mart.dm_courses_modules_lessons_streams_all FINAL" in view


def test_plan_on_a_cluster_loads_through_the_distributed_table(tmp_path):
    env = {"CLICKHOUSE_URL": "clickhouse://u:pw@ch:9000/mart?cluster=analytics", "DATA_DIR": str(tmp_path)}
    result = run_cli("plan", env=env)
    assert result.returncode == 0, result.stderr
    assert "INSERT INTO mart.dm_courses_modules_lessons_streams_all (row_key" in result.stdout


def rendered_mart_step(url: str) -> list[str]:
    """The mart step's statements for a run after the first (the diff against what the mart holds)."""
    config = Config(None, None, url, Path("/nonexistent"))
    renderer = plan_renderer(config, mart_loaded_until=datetime(2026, 1, 1, tzinfo=UTC))
    [transform] = [t for t in renderer.transforms.values() if t.engine == "mart"]
    return mart.split_statements(renderer.render(transform)[0])


def test_on_a_cluster_every_in_of_the_mart_step_is_global():
    """On a cluster the stage tables hold data on the connected node only: an IN (SELECT …) whose outer
    query reads the Distributed table would run on each shard against that shard's empty stage."""
    statements = rendered_mart_step("clickhouse://u:p@ch:9000/mart?cluster=analytics")
    [diff] = [s for s in statements if s.startswith("INSERT INTO mart.dm_courses_modules_lessons_streams_all")]
    assert "FROM mart.dm_courses_modules_lessons_streams_all FINAL" in diff
    subquery_ins = re.findall(r"(\w+\s+)(?:NOT\s+)?IN\s*\(\s*SELECT", diff)
    assert len(subquery_ins) == 6
    assert all(word.strip() == "GLOBAL" for word in subquery_ins), subquery_ins
    assert "distributed_foreground_insert = 1" in diff  # the rows are on their shards when the step ends
    # the stage tables are the connected node's own: emptied there only, never through the cluster
    truncates = [s for s in statements if s.startswith("TRUNCATE")]
    assert truncates == ["TRUNCATE TABLE mart.stage_dm_scope", "TRUNCATE TABLE mart.stage_dm_feed"]
    ddl = rendered_ddl("clickhouse://u:p@ch:9000/mart?cluster=analytics")
    [stage_scope, stage_feed] = [s for s in ddl if re.match(r"CREATE TABLE IF NOT EXISTS mart\.stage_", s)]
    assert "ENGINE = MergeTree" in stage_scope and "ENGINE = MergeTree" in stage_feed


def test_the_named_collection_uses_the_warehouse_address_clickhouse_sees(tmp_path):
    env = {
        "SOURCE_DSN": "postgresql://reader:pw1@source:5432/school",
        "WAREHOUSE_DSN": "postgresql://loader:pw2@localhost:15432/warehouse",
        "WAREHOUSE_DSN_FOR_MART": "postgresql://loader:pw2@warehouse.internal:5432/warehouse",
        "CLICKHOUSE_URL": "clickhouse://u:pw3@ch:9000/mart",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("plan", env=env)
    assert result.returncode == 0, result.stderr
    [create] = [line for line in result.stdout.splitlines() if line.startswith("CREATE NAMED COLLECTION")]
    assert "host = 'warehouse.internal', port = 5432, database = 'warehouse'" in create
    assert "localhost" not in create and "pw2" not in result.stdout


@pytest.mark.skipif(
    not (os.environ.get("CLICKHOUSE_TEST_URL") and os.environ.get("CLICKHOUSE_TEST_WAREHOUSE_DSN")),
    reason="needs a ClickHouse server: set CLICKHOUSE_TEST_URL (clickhouse://user:password@host:9000/db) and "
    "CLICKHOUSE_TEST_WAREHOUSE_DSN (an empty PostgreSQL database with postgres_fdw that this ClickHouse can reach)",
)
def test_the_pipeline_through_clickhouse_driver_on_a_real_server(pg_server):
    from conftest import Pipeline, demo_source

    from pipeline.report import report
    from pipeline.run import Endpoints

    source = demo_source(pg_server, "source_driver")
    warehouse_dsn = os.environ["CLICKHOUSE_TEST_WAREHOUSE_DSN"]
    pipeline = Pipeline(Endpoints(source, warehouse_dsn, os.environ["CLICKHOUSE_TEST_URL"]))
    pipeline.run()
    assert report(pipeline.mart) == [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]
    pipeline.source("DELETE FROM stream_module_lesson WHERE id = 36")
    pipeline.run()
    pipeline.assert_mart_matches_warehouse()
