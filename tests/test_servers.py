"""The databases as a user configures them: a source on another server, failures, the command line."""

import re

import psycopg
import pytest
from conftest import (
    SOURCE_PASSWORD,
    TCP_SUPERUSER_PASSWORD,
    Pipeline,
    demo_source,
    run_cli,
    tcp_demo_source,
)
from psycopg import sql

from pipeline import PipelineError, embedded
from pipeline.report import report
from pipeline.run import Endpoints
from pipeline.warehouse import connect as runner_session


def test_a_source_on_another_server_loads_through_postgres_fdw(pg_server, other_pg_server, chdb_path):
    source = demo_source(other_pg_server, "remote_source")
    warehouse = embedded.ensure_warehouse(pg_server, "warehouse_remote")
    assert source.split("?")[1] != warehouse.split("?")[1]  # two servers, two socket directories
    pipeline = Pipeline(Endpoints(source, warehouse, f"chdb://{chdb_path}?database=mart_remote"))
    pipeline.run()
    assert report(pipeline.mart) == [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]

    pipeline.source("UPDATE stream_module_lesson SET title = 'Vectors' WHERE id = 4")
    pipeline.run()
    [row] = pipeline.view("lesson_id = 4")
    assert row["h_lesson_title"] == "Vectors"
    # the warehouse only reads: nothing of ours was created in the source
    with psycopg.connect(source) as conn:
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('vault', 'staging', 'meta')")
        assert schemas.fetchall() == []


def test_a_failing_step_rolls_back_and_the_next_run_converges(pipeline):
    pipeline.run()
    pipeline.source("UPDATE stream_module_lesson SET title = 'Vectors' WHERE id = 4")
    pipeline.source("ALTER TABLE stream_module_lesson RENAME COLUMN homework_url TO homework_link")
    before = pipeline.vault_counts()

    with pytest.raises(PipelineError) as failure:
        pipeline.run()
    assert failure.value.database == "source"  # the source no longer has the column
    assert "staging.stg_lesson" in str(failure.value) and "homework_url" in str(failure.value)
    assert pipeline.vault_counts() == before
    [(status, error)] = pipeline.warehouse("SELECT status, error FROM meta.run ORDER BY run_id DESC LIMIT 1")
    assert status == "failed" and "homework_url" in error
    last_step = "SELECT status FROM meta.run_step WHERE step = 'staging.stg_lesson' ORDER BY run_id DESC LIMIT 1"
    assert pipeline.scalar(last_step) == "failed"

    pipeline.source("ALTER TABLE stream_module_lesson RENAME COLUMN homework_link TO homework_url")
    pipeline.run()
    [row] = pipeline.view("lesson_id = 4")
    assert row["h_lesson_title"] == "Vectors"
    assert pipeline.vault_counts()["s_lesson"] == before["s_lesson"] + 1


def test_a_mart_that_fell_behind_catches_up_on_the_next_run(pipeline):
    pipeline.run()
    db = pipeline.mart.database
    pipeline.source("DELETE FROM stream_module_lesson WHERE id = 36")
    pipeline.source("UPDATE stream_module_lesson SET title = 'Vectors' WHERE id = 4")
    pipeline.mart.execute(f"RENAME TABLE {db}.dm_courses_modules_lessons_streams_data TO {db}.parked")
    with pytest.raises(PipelineError) as failure:
        pipeline.run()
    assert failure.value.database == "mart"

    pipeline.mart.execute(f"RENAME TABLE {db}.parked TO {db}.dm_courses_modules_lessons_streams_data")
    pipeline.run()
    assert pipeline.view("lesson_id = 36") == []
    assert pipeline.view("lesson_id = 4")[0]["h_lesson_title"] == "Vectors"
    assert len(pipeline.view()) == 35


def test_cli_once_then_report_on_the_embedded_default(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    first = run_cli("once", env=env)
    assert first.returncode == 0, first.stderr
    assert re.search(r"vault\.h_lesson\s+36 rows\s+\d+ ms", first.stdout)
    assert re.search(r"run \d+: success, 282 rows written to the vault and mart in \d+ ms", first.stdout)

    second = run_cli("once", env=env)
    assert second.returncode == 0, second.stderr
    assert re.search(r"vault\.h_lesson\s+0 rows", second.stdout)
    assert re.search(r"mart\.dm_courses_modules_lessons_streams_data\s+0 rows", second.stdout)

    shown = run_cli("report", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = [line.split() for line in shown.stdout.splitlines()[1:]]
    assert lines == [
        ["Data", "Analysis", "6", "18"],
        ["Data", "Engineering", "6", "12"],
        ["Data", "Science", "6", "6"],
    ]


def test_cli_unreachable_server_is_one_line_naming_the_database(tmp_path):
    env = {
        "SOURCE_DSN": "postgresql://loader:s3cret-pw@127.0.0.1:1/catalog",
        "WAREHOUSE_DSN": "postgresql://loader:s3cret-pw@127.0.0.1:1/warehouse",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("once", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: warehouse: cannot connect")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_cli_plan_masks_passwords_and_executes_nothing(tmp_path):
    env = {
        "SOURCE_DSN": "host=db.example port=5433 dbname=catalog user=reader password=s3cret-pw",
        "WAREHOUSE_DSN": "postgresql://loader:an0ther-pw@127.0.0.1:1/warehouse",
        "CLICKHOUSE_URL": "clickhouse://default:ch-pw@127.0.0.1:1/mart",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("plan", env=env)
    assert result.returncode == 0, result.stderr
    for secret in ("s3cret-pw", "an0ther-pw", "ch-pw"):
        assert secret not in result.stdout + result.stderr
    assert "\"password\" '********'" in result.stdout
    assert "password = '********'" in result.stdout
    steps = re.findall(r"^-- step (\S+)", result.stdout, flags=re.M)
    assert len(steps) == 20
    assert steps.index("staging.stg_lesson") < steps.index("vault.h_lesson") < steps.index("vault.s_lesson")
    assert steps[-1] == "mart.dm_courses_modules_lessons_streams_data"
    assert list(tmp_path.iterdir()) == []  # no server was started, no database created


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x", "mart: CLICKHOUSE_URL must start with clickhouse:// or chdb://"),
        ("chdb://relative/path", "mart: CLICKHOUSE_URL for chDB must be chdb:///absolute/path"),
        ("chdb:///tmp/x?database=mart;DROP", "config: the mart database must be a plain identifier"),
    ],
)
def test_cli_bad_clickhouse_url_is_a_clear_error(tmp_path, url, message):
    result = run_cli("plan", env={"CLICKHOUSE_URL": url, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_source_on_a_tcp_server_with_a_password_loads_and_changes(tcp_pg_server, pg_server, chdb_path):
    source = tcp_demo_source(tcp_pg_server, "school_tcp")
    warehouse = embedded.ensure_warehouse(pg_server, "warehouse_tcp")
    pipeline = Pipeline(Endpoints(source, warehouse, f"chdb://{chdb_path}?database=mart_tcp"))
    pipeline.run()
    assert report(pipeline.mart) == [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]

    owner = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="school_tcp")
    with psycopg.connect(owner, autocommit=True) as conn:  # the school edits its catalog
        conn.execute("UPDATE course SET title = 'Data Analytics' WHERE id = 3")
        conn.execute("UPDATE stream_module_lesson SET stream_module_id = 2 WHERE id = 2")
        conn.execute("DELETE FROM stream_module_lesson WHERE id = 36")
    pipeline.run()
    assert {row["h_course_title"] for row in pipeline.view("course_id = 3")} == {"Data Analytics"}
    assert pipeline.view("lesson_id = 2")[0]["module_id"] == 2
    assert pipeline.view("lesson_id = 36") == []
    pipeline.assert_mart_matches_warehouse()


def test_the_runners_sessions_compile_no_statement_on_a_server_that_would(tcp_pg_server):
    # Debian's PostgreSQL 15 has LLVM and JIT on by default: a first load's satellite steps spent 0.35 s
    # each compiling a statement that then had nothing to do
    admin = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin) as plain, runner_session(admin) as runner:
        assert plain.execute("SELECT pg_jit_available(), current_setting('jit')").fetchone() == (True, "on")
        assert runner.execute("SELECT current_setting('jit')").fetchone() == ("off",)


def test_secrets_stay_out_of_output_plan_and_run_log(tcp_pg_server, pg_server, tmp_path):
    source = tcp_demo_source(tcp_pg_server, "school_secrets")
    env = {
        "SOURCE_DSN": source,
        "WAREHOUSE_DSN": embedded.ensure_warehouse(pg_server, "warehouse_secrets"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    secret = SOURCE_PASSWORD
    good = run_cli("once", env=env)
    assert good.returncode == 0, good.stderr
    plan = run_cli("plan", env=env)
    bad = run_cli("once", env={**env, "SOURCE_DSN": source.replace("dbname=school_secrets", "dbname=nowhere")})
    assert bad.returncode == 1
    for result in (good, plan, bad):
        assert secret not in result.stdout + result.stderr
    assert "********" in plan.stdout
    with psycopg.connect(env["WAREHOUSE_DSN"]) as conn:
        logged = conn.execute("SELECT string_agg(coalesce(error, ''), ' ') FROM meta.run").fetchone()[0]
    assert secret not in (logged or "")


def test_a_new_source_column_is_ignored_on_purpose(pipeline):
    pipeline.run()
    pipeline.source("ALTER TABLE stream_module_lesson ADD COLUMN difficulty integer DEFAULT 3")
    before = pipeline.vault_counts()
    pipeline.run()  # the foreign tables name their columns: a new one is not read until a migration adds it
    assert pipeline.vault_counts() == before


def test_a_changed_column_type_fails_the_run_naming_table_and_column(pipeline):
    pipeline.run()
    pipeline.source("ALTER TABLE stream_module_lesson ALTER COLUMN teacher_id TYPE text USING 'teacher ' || teacher_id")
    before = pipeline.vault_counts()
    with pytest.raises(PipelineError) as failure:
        pipeline.run()
    message = str(failure.value)
    assert "staging.stg_lesson" in message
    assert 'column "teacher_id" of foreign table "stream_module_lesson"' in message
    assert pipeline.vault_counts() == before


def test_least_privilege_runner_and_analyst_roles(tcp_pg_server, pg_server, chdb_path):
    """Migrations and the binding run as the owner; the steps as a login in pipeline_runner, which
    cannot change the schema; an analyst login reads and cannot write."""
    admin = embedded.ensure_warehouse(pg_server, "warehouse_roles")
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for role, group in (("runner_login", "pipeline_runner"), ("analyst_login", "pipeline_analyst")):
            ensure_role(conn, group, "NOLOGIN")
            ensure_role(conn, role, f"LOGIN IN ROLE {group}")
    as_runner = psycopg.conninfo.make_conninfo(admin, user="runner_login")
    as_analyst = psycopg.conninfo.make_conninfo(admin, user="analyst_login")
    source = tcp_demo_source(tcp_pg_server, "school_roles")
    endpoints = Endpoints(source, as_runner, f"chdb://{chdb_path}?database=mart_roles", warehouse_admin_dsn=admin)
    pipeline = Pipeline(endpoints)
    pipeline.run()
    assert report(pipeline.mart) == [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]
    pipeline.run()
    with psycopg.connect(admin) as conn:  # the runner analyzed what it filled (MAINTAIN, PostgreSQL 17+)
        analyzed = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN"
            " ('stg_lesson', 'h_lesson', 's_lesson')"
        ).fetchall()
    assert sorted(analyzed) == [("h_lesson",), ("s_lesson",), ("stg_lesson",)]

    with psycopg.connect(as_runner, autocommit=True) as runner:
        for ddl in (
            "ALTER TABLE vault.h_course ADD COLUMN sneaky integer",
            "CREATE TABLE vault.sneaky (id integer)",
            "DROP TABLE vault.s_lesson",
            "TRUNCATE vault.s_lesson",
            "ALTER SERVER source_db OPTIONS (SET dbname 'elsewhere')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runner.execute(ddl)
    with psycopg.connect(as_analyst, autocommit=True) as analyst:
        assert analyst.execute("SELECT count(*) FROM vault.v_dm_courses_modules_lessons_streams").fetchone() == (36,)
        assert analyst.execute("SELECT count(*) FROM vault.catalog_as_of(now())").fetchone() == (36,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("DELETE FROM vault.h_course")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("SELECT * FROM source.course")


def test_migrations_run_as_a_dedicated_login_that_is_no_superuser(tcp_pg_server, pg_server, chdb_path):
    """The three roles of the README: a migration login that owns the warehouse database and is no
    superuser (a superuser only installs postgres_fdw for it, once), the runner in pipeline_runner,
    and nothing else."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for role, options in (("migrator_login", "LOGIN CREATEROLE"), ("runner_login2", "LOGIN")):
            ensure_role(conn, role, options)
        conn.execute("CREATE DATABASE wh_migrator OWNER migrator_login")
    admin = embedded.database_dsn(pg_server, "wh_migrator")
    with psycopg.connect(admin, autocommit=True) as conn:  # as the server's superuser, once
        conn.execute("CREATE EXTENSION postgres_fdw")
        conn.execute("GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO migrator_login")
    as_migrator = psycopg.conninfo.make_conninfo(admin, user="migrator_login")
    as_runner = psycopg.conninfo.make_conninfo(admin, user="runner_login2")
    source = tcp_demo_source(tcp_pg_server, "school_migrator")
    endpoints = Endpoints(
        source, as_runner, f"chdb://{chdb_path}?database=mart_migrator", warehouse_admin_dsn=as_migrator
    )
    with psycopg.connect(pg_server, autocommit=True) as conn:
        ensure_role(conn, "pipeline_runner", "NOLOGIN")
        conn.execute("GRANT pipeline_runner TO runner_login2")
    pipeline = Pipeline(endpoints)
    pipeline.run()
    assert report(pipeline.mart) == [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]
    with psycopg.connect(as_migrator) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('staging', 'vault', 'meta')"
        ).fetchall()
    assert owners == [("migrator_login",)]


def ensure_role(conn: psycopg.Connection, name: str, options: str) -> None:
    """CREATE ROLE name options, unless the shared server has the role already (roles are server-wide:
    another test, or an earlier session's migrations, may have made it)."""
    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE ROLE {} " + options).format(sql.Identifier(name)))
