"""When a database fails: one line on stderr naming the database that failed (source, warehouse or
mart) with the server's own reason, exit 1, nothing written, no traceback, no password. And no
password in the repr of anything that holds one."""

from pathlib import Path

import psycopg
import pytest
from conftest import TCP_SUPERUSER_PASSWORD, demo_source, run_cli, tcp_demo_source
from test_servers import ensure_role

from pipeline import PipelineError, embedded, mart, warehouse
from pipeline.config import ClickHouseURL, Config, scrub, secrets_of
from pipeline.run import Endpoints, run_once

PASSWORD = "pw-Never-Shown"


def assert_one_line_error(result, database: str, reason: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {database}: "), lines[0]
    assert reason in lines[0], lines[0]
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def with_password(dsn: str, **params) -> str:
    return psycopg.conninfo.make_conninfo(dsn, **params)


def vault_rows(warehouse_dsn: str) -> int:
    with psycopg.connect(warehouse_dsn) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM vault.h_course) + (SELECT count(*) FROM vault.h_lesson)"
            " + (SELECT count(*) FROM vault.s_lesson) + (SELECT count(*) FROM vault.cur_lesson)"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def empty_warehouse(pg_server) -> str:
    """A migrated warehouse that no run has loaded: every failing run below must leave it empty."""
    dsn = embedded.ensure_warehouse(pg_server, "wh_errors")
    warehouse.migrate(dsn)
    return dsn


@pytest.fixture(scope="module")
def tcp_sources(tcp_pg_server) -> dict:
    """On the password-protected server: a demo source, and one whose reader may not read course."""
    readable = tcp_demo_source(tcp_pg_server, "school_errors")
    locked = tcp_demo_source(tcp_pg_server, "school_locked")
    owner = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="school_locked")
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("REVOKE SELECT ON course FROM reader")
    return {"readable": readable, "locked": locked}


def broken_source(pg_server: str, case: str, tcp_sources: dict) -> str:
    if case == "wrong password":
        return with_password(tcp_sources["readable"], password=PASSWORD)
    if case == "unknown host":
        return f"postgresql://reader:{PASSWORD}@no-such-host.invalid:5432/school"
    if case == "refused port":
        return f"postgresql://reader:{PASSWORD}@127.0.0.1:1/school"
    if case == "permission denied":
        return tcp_sources["locked"]
    unix = demo_source(pg_server, "src_err_" + case.replace(" ", "_"))
    with psycopg.connect(unix, autocommit=True) as conn:
        if case == "missing table":
            conn.execute("ALTER TABLE stream_module_lesson RENAME TO lesson")
        if case == "missing column":
            conn.execute("ALTER TABLE stream RENAME COLUMN name TO stream_name")
    if case == "missing database":
        return with_password(unix, dbname="no_such_catalog")
    return unix


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong password", 'password authentication failed for user "reader"'),
        ("unknown host", 'could not translate host name "no-such-host.invalid"'),
        ("refused port", "Connection refused"),
        ("missing database", 'database "no_such_catalog" does not exist'),
        ("missing table", 'relation "public.stream_module_lesson" does not exist'),
        ("missing column", 'column "name" does not exist'),
        ("permission denied", "permission denied for table course"),
    ],
)
def test_a_failing_source_is_named_with_its_reason(pg_server, tcp_sources, empty_warehouse, tmp_path, case, reason):
    env = {
        "SOURCE_DSN": broken_source(pg_server, case, tcp_sources),
        "WAREHOUSE_DSN": empty_warehouse,
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    result = run_cli("once", env=env)
    assert_one_line_error(result, "source", reason)
    assert "step staging.stg_" in result.stderr
    assert vault_rows(empty_warehouse) == 0


def broken_warehouse(pg_server: str, tcp_pg_server: str, case: str) -> dict:
    """WAREHOUSE_DSN (and WAREHOUSE_ADMIN_DSN where the case needs it) of a warehouse that fails."""
    if case == "wrong password":
        return {"WAREHOUSE_DSN": tcp_pg_server.format(user="postgres", password=PASSWORD, database="postgres")}
    if case == "unknown host":
        return {"WAREHOUSE_DSN": f"postgresql://loader:{PASSWORD}@no-such-host.invalid:5432/warehouse"}
    if case == "refused port":
        return {"WAREHOUSE_DSN": f"postgresql://loader:{PASSWORD}@127.0.0.1:1/warehouse"}
    if case == "missing database":
        return {"WAREHOUSE_DSN": embedded.database_dsn(pg_server, "no_such_warehouse")}
    dsn = embedded.ensure_warehouse(pg_server, "wh_err_" + case.replace(" ", "_"))
    warehouse.migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if case == "missing table":
            conn.execute("DROP TABLE vault.s_course CASCADE")
        if case == "missing column":
            conn.execute("ALTER TABLE vault.s_course DROP COLUMN icon_url CASCADE")
        if case == "permission denied":  # a login that is not in pipeline_runner
            ensure_role(conn, "outsider_login", "LOGIN")
            return {"WAREHOUSE_DSN": with_password(dsn, user="outsider_login"), "WAREHOUSE_ADMIN_DSN": dsn}
    return {"WAREHOUSE_DSN": dsn}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong password", 'password authentication failed for user "postgres"'),
        ("unknown host", "failed to resolve host 'no-such-host.invalid'"),
        ("refused port", "Connection refused"),
        ("missing database", 'database "no_such_warehouse" does not exist'),
        ("missing table", 'relation "vault.s_course" does not exist'),
        ("missing column", 'column "icon_url" of relation "s_course" does not exist'),
        ("permission denied", "permission denied for"),
    ],
)
def test_a_failing_warehouse_is_named_with_its_reason(pg_server, tcp_pg_server, tmp_path, case, reason):
    env = {
        "SOURCE_DSN": demo_source(pg_server, "src_wh_err_" + case.replace(" ", "_")),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
        **broken_warehouse(pg_server, tcp_pg_server, case),
    }
    result = run_cli("once", env=env)
    assert_one_line_error(result, "warehouse", reason)


@pytest.mark.parametrize(
    ("case", "url", "reason"),
    [
        ("refused_port", f"clickhouse://loader:{PASSWORD}@127.0.0.1:1/mart", "Connection refused (127.0.0.1:1)"),
        ("unknown_host", f"clickhouse://loader:{PASSWORD}@no-such-host.invalid:9000/mart", "no-such-host.invalid:9000"),
    ],
)
def test_an_unreachable_clickhouse_server_is_one_line_without_the_drivers_log(
    pg_server, empty_warehouse, case, url, reason
):
    env = {
        "SOURCE_DSN": demo_source(pg_server, f"src_mart_{case}"),
        "WAREHOUSE_DSN": empty_warehouse,
        "CLICKHOUSE_URL": url,
    }
    result = run_cli("once", env=env)
    assert_one_line_error(result, "mart", reason)
    assert vault_rows(empty_warehouse) == 0
    debug = run_cli("once", "--debug", env=env)  # the driver's log and the traceback, for whoever asks
    assert "Failed to connect" in debug.stderr and "Traceback" in debug.stderr


def test_a_mart_that_cannot_reach_the_warehouse_says_so(pg_server, tmp_path):
    warehouse_dsn = embedded.ensure_warehouse(pg_server, "wh_err_for_mart")
    env = {
        "SOURCE_DSN": demo_source(pg_server, "src_err_for_mart"),
        "WAREHOUSE_DSN": warehouse_dsn,
        "WAREHOUSE_DSN_FOR_MART": f"postgresql://loader:{PASSWORD}@127.0.0.1:1/warehouse",
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    result = run_cli("once", env=env)
    assert_one_line_error(result, "mart", "Connection refused")


def test_no_password_in_any_repr():
    env = {
        "SOURCE_DSN": f"host=oltp.internal dbname=school user=reader password={PASSWORD}",
        "WAREHOUSE_DSN": f"postgresql://loader:{PASSWORD}@dwh.internal:5432/warehouse",
        "WAREHOUSE_ADMIN_DSN": f"postgresql://owner@dwh.internal/warehouse?password={PASSWORD}",
        "WAREHOUSE_DSN_FOR_MART": f"postgresql://loader:{PASSWORD}@10.0.0.5/warehouse",
        "CLICKHOUSE_URL": f"clickhouse://loader:{PASSWORD}@clickhouse.internal:9000/mart",
    }
    config = Config.from_env(env)
    endpoints = Endpoints(
        config.source_dsn,
        config.warehouse_dsn,
        config.clickhouse_url,
        config.warehouse_dsn_for_mart,
        config.warehouse_admin_dsn,
    )
    url = ClickHouseURL.parse(config.clickhouse_url)
    for shown in (repr(config), str(config), repr(endpoints), repr(url), f"{[config, endpoints, url]}"):
        assert PASSWORD not in shown
        assert "clickhouse.internal" in shown  # masked, not dropped
    assert "clickhouse://loader:********@clickhouse.internal:9000/mart" in repr(config)
    assert "password=********" in repr(endpoints)
    assert repr(Config.from_env({"SOURCE_DSN": f"not a dsn {PASSWORD}"})).count(PASSWORD) == 0


def server_log(admin_dsn: str) -> Path:
    """The TCP server's log file: `log` beside its data directory (see conftest.tcp_pg_server)."""
    with psycopg.connect(admin_dsn) as conn:
        return Path(conn.execute("SHOW data_directory").fetchone()[0]).parent / "log"


def test_the_source_binding_keeps_its_password_out_of_the_server_log(tcp_pg_server):
    """A warehouse that logs every statement: the binding, run by a superuser or by a role granted SET
    on the log settings, turns logging off for its transaction; run by a role that may not, the
    password is logged, which is why the README asks the DBA to set log_statement for that role."""
    admin = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE wh_quiet")
        conn.execute("ALTER DATABASE wh_quiet SET log_statement = 'all'")
        ensure_role(conn, "binder", f"LOGIN PASSWORD '{TCP_SUPERUSER_PASSWORD}'")
    owner = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="wh_quiet")
    binder = tcp_pg_server.format(user="binder", password=TCP_SUPERUSER_PASSWORD, database="wh_quiet")
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgres_fdw")
        conn.execute("CREATE SERVER source_db FOREIGN DATA WRAPPER postgres_fdw")
        conn.execute("ALTER SERVER source_db OWNER TO binder")  # the binding's statements need the owner
        conn.execute("GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO binder")
    log = server_log(admin)

    def bind(dsn: str, password: str) -> str:
        with psycopg.connect(dsn, autocommit=True) as conn:
            warehouse.bind_source(conn, f"host=oltp.internal dbname=school user=reader password={password}")
            conn.execute("SELECT 'binding done'")
        return log.read_text(errors="replace")

    logged = bind(owner, "superuser-Pw-1")
    assert "superuser-Pw-1" not in logged
    assert "binding done" in logged and "CREATE USER MAPPING" not in logged  # logging is on, the binding quiet

    logged = bind(binder, "unprivileged-Pw-2")
    assert 'CREATE USER MAPPING FOR CURRENT_USER SERVER "source_db" OPTIONS' in logged
    assert "unprivileged-Pw-2" in logged  # a role that may not quiet the log: the DBA's setting is needed

    with psycopg.connect(admin, autocommit=True) as conn:  # what the README asks of a DBA
        conn.execute("ALTER ROLE binder SET log_statement = 'none'")
    assert "dba-Pw-3" not in bind(binder, "dba-Pw-3")

    with psycopg.connect(admin, autocommit=True) as conn:  # or: let the role quiet its own binding
        conn.execute("ALTER ROLE binder RESET log_statement")
        conn.execute("GRANT SET ON PARAMETER log_statement, log_min_error_statement TO binder")
    assert "granted-Pw-4" not in bind(binder, "granted-Pw-4")


def test_a_binding_error_never_echoes_the_password(pipeline):
    """ClickHouse quotes a statement that does not parse from where it failed: the binding masks the
    password in any error it reports, as written and as quoted."""
    password = "r3ader'\"\\ pw;--"
    dsn = psycopg.conninfo.make_conninfo("host=dwh dbname=warehouse user=loader", password=password)
    with pytest.raises(PipelineError) as failure:
        pipeline.mart.execute(f"CREATE NAMED COLLECTION bad AS host 'dwh', password = {mart.quote(password)}")
    echoed = failure.value.reason
    assert mart.quote(password) in echoed  # the server's own message carries the statement
    assert mart.quote(password)[1:-1] not in scrub(echoed, secrets_of(dsn))
    assert "********" in scrub(echoed, secrets_of(dsn))


def test_a_data_check_that_cannot_read_the_source_names_it(pg_server, tmp_path):
    env = {
        "SOURCE_DSN": demo_source(pg_server, "src_err_check"),
        "WAREHOUSE_DSN": embedded.ensure_warehouse(pg_server, "wh_err_check"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
    }
    assert run_cli("once", "--no-check", env=env).returncode == 0
    with psycopg.connect(env["SOURCE_DSN"], autocommit=True) as conn:
        conn.execute("ALTER TABLE course RENAME TO courses")
    result = run_cli("check", env=env)
    assert_one_line_error(result, "source", "check source_matches_vault could not run:")
    assert 'relation "public.course" does not exist' in result.stderr


def test_refused_credentials_are_not_retried_but_a_refused_connection_is(
    pg_server, tcp_pg_server, tcp_sources, empty_warehouse, chdb_path
):
    """A wrong password fails the same way every time, so the scheduler reports it at once instead of
    retrying it four times; a server that refuses connections may be back in a moment."""
    with pytest.raises(PipelineError) as login:
        warehouse.connect(tcp_pg_server.format(user="postgres", password=PASSWORD, database="postgres"))
    with pytest.raises(PipelineError) as port:
        warehouse.connect(f"postgresql://loader:{PASSWORD}@127.0.0.1:1/warehouse")
    source = broken_source(pg_server, "wrong password", tcp_sources)
    # the tests' chDB engine: a process opens one chDB path only
    endpoints = Endpoints(source, empty_warehouse, f"chdb://{chdb_path}?database=mart_refused")
    with pytest.raises(PipelineError) as source_login:  # the source's refusal comes through postgres_fdw
        run_once(endpoints, check=False)
    assert "password authentication failed" in login.value.reason
    assert (source_login.value.database, "password authentication failed" in source_login.value.reason) == (
        "source",
        True,
    )
    assert (login.value.transient, port.value.transient, source_login.value.transient) == (False, True, False)
