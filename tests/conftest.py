"""Real engines for the tests: embedded PostgreSQL servers and one chDB engine, started here.

Every test gets its own source, warehouse and mart databases on shared servers, so tests cannot
see each other's data. chDB binds one path per process, so tests share that path and differ by
mart database.
"""

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pipeline import embedded, mart, transforms
from pipeline.log import Log
from pipeline.run import Endpoints, run_once

ROOT = Path(__file__).resolve().parent.parent
_numbers = itertools.count(1)
MART_ONLY = {"dm_course_module_lesson_stream_uuid", "dm_course_module_lesson_stream_load_ts"}


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> str:
    """The main PostgreSQL server: sources and warehouses of every test."""
    return embedded.start_postgres(tmp_path_factory.mktemp("pg-main"))


@pytest.fixture(scope="session")
def other_pg_server(tmp_path_factory) -> str:
    """A second, separate PostgreSQL server, for a source that is not on the warehouse's server."""
    return embedded.start_postgres(tmp_path_factory.mktemp("pg-other"))


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("chdb")


def demo_source(server_dsn: str, name: str) -> str:
    """A fresh source database with the demo catalog, copied from a template made once per server."""
    embedded.ensure_demo_source(server_dsn, "demo_template")
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE demo_template")
    return embedded.database_dsn(server_dsn, name)


class Pipeline:
    """One test's source, warehouse and mart, and ways to look into each."""

    def __init__(self, endpoints: Endpoints):
        self.endpoints = endpoints
        self.mart = mart.connect(endpoints.clickhouse_url)
        self.log: list[str] = []

    def run(self, allow_mass_delete: bool = False):
        log = Log(out=self.log.append, interactive=False)
        return run_once(self.endpoints, log=log, allow_mass_delete=allow_mass_delete)

    def source(self, statement: str, params=None) -> None:
        with psycopg.connect(self.endpoints.source_dsn, autocommit=True) as conn:
            conn.execute(statement, params)

    def warehouse(self, query: str, params=None) -> list[tuple]:
        with psycopg.connect(self.endpoints.warehouse_dsn) as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params=None):
        return self.warehouse(query, params)[0][0]

    def mart_rows(self, query: str) -> list[tuple]:
        """A ClickHouse query; {mart} stands for this test's mart database."""
        return self.mart.execute(query.format(mart=self.mart.database))

    def vault_counts(self) -> dict[str, int]:
        tables = self.warehouse(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'vault' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        return {name: self.scalar(f"SELECT count(*) FROM vault.{name}") for (name,) in tables}

    def mart_data_count(self) -> int:
        return self.mart_rows("SELECT count() FROM {mart}.dm_courses_modules_lessons_streams_data")[0][0]

    def assert_mart_matches_warehouse(self) -> None:
        """The mart's consumer view holds exactly the rows of the warehouse's current-state view."""
        mart_rows = self.view()
        columns = [name for name in mart_rows[0] if name not in MART_ONLY] if mart_rows else []
        warehouse_rows = self.warehouse(
            f"SELECT {', '.join(columns) or '*'} FROM vault.v_dm_courses_modules_lessons_streams"
            " ORDER BY course_id, stream_id NULLS FIRST, module_id NULLS FIRST, lesson_id NULLS FIRST"
        )
        assert [tuple(row[name] for name in columns) for row in mart_rows] == warehouse_rows

    def view(self, where: str = "1") -> list[dict]:
        """Rows of the consumer view, as dicts, ordered by their ids."""
        db = self.mart.database
        names = self.mart.execute(
            f"SELECT name FROM system.columns WHERE database = '{db}'"
            " AND table = 'dm_courses_modules_lessons_streams' ORDER BY position"
        )
        rows = self.mart.execute(
            f"SELECT * FROM {db}.dm_courses_modules_lessons_streams WHERE {where}"
            " ORDER BY course_id, stream_id NULLS FIRST, module_id NULLS FIRST, lesson_id NULLS FIRST"
        )
        return [dict(zip([name for (name,) in names], row, strict=True)) for row in rows]


def stg_lesson_delta(part: int = 0) -> tuple[list[str], str]:
    """stg_lesson's delta statement whose source computes the hashdiffs, in the given part of its slices,
    with the part's own SET LOCAL settings, as a run renders them now."""
    found = transforms.discover()
    *_, sliced = transforms.Renderer(found, datetime.now(UTC)).render(found["stg_lesson"])
    statements = [statement.strip() for statement in sliced[part].split(";\n")]
    settings = [statement for statement in statements if "SET LOCAL" in statement]
    [delta] = [statement for statement in statements if "GROUP BY id" in statement]
    return settings, delta


@pytest.fixture
def pipeline(pg_server, chdb_path) -> Pipeline:
    number = next(_numbers)
    source = demo_source(pg_server, f"source_{number}")
    warehouse = embedded.ensure_warehouse(pg_server, f"warehouse_{number}")
    return Pipeline(Endpoints(source, warehouse, f"chdb://{chdb_path}?database=mart_{number}"))


def run_cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """runner.py in a subprocess, as a user runs it."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DSN", "WAREHOUSE_DSN", "CLICKHOUSE_URL")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


PG15 = Path("/usr/lib/postgresql/15/bin")
TCP_SUPERUSER_PASSWORD = "su-Pa55word"
# A password with every character that tends to break quoting, to prove it only travels as data
SOURCE_PASSWORD = "r3ader'\"\\ pw;--"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_pg15(prefix: str, listen: str, prepare=None) -> tuple[Path, int, list[str]]:
    """Debian's PostgreSQL 15 (the machine's own binaries) in a fresh temporary directory, as the
    `postgres` user (PostgreSQL refuses root), its superuser's password TCP_SUPERUSER_PASSWORD, host
    logins by password. `prepare(base, as_postgres)` runs between initdb and the start (a pg_hba.conf,
    certificates) and returns more server options. Returns (directory, port, the command prefix that
    runs as `postgres`); stop_pg15 stops it."""
    if not (PG15 / "postgres").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed (apt-get install postgresql-15)")
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        os.chown(base, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
    pwfile = base / "pw"
    subprocess.run([*as_postgres, "sh", "-c", f"echo '{TCP_SUPERUSER_PASSWORD}' > {pwfile}"], check=True)
    subprocess.run(
        [*as_postgres, str(PG15 / "initdb"), "-D", str(base / "data"), "-U", "postgres", "--pwfile", str(pwfile),
         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    extra = prepare(base, as_postgres) if prepare else ""
    port = free_port()
    options = f"-p {port} -k {base} -c listen_addresses={listen} {extra}".strip()
    subprocess.run(
        [*as_postgres, str(PG15 / "pg_ctl"), "-D", str(base / "data"), "-o", options, "-l", str(base / "log"),
         "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    return base, port, as_postgres


def stop_pg15(base: Path, as_postgres: list[str]) -> None:
    subprocess.run(
        [*as_postgres, str(PG15 / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "stop"], capture_output=True
    )
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def tcp_pg_server():
    """A separate PostgreSQL 15 server on 127.0.0.1 with password authentication: a source as
    production has one. Yields a DSN template with {user}, {password} and {database}."""
    base, port, as_postgres = start_pg15("pg15-", "127.0.0.1")
    dsn = "postgresql://{user}:{password}@127.0.0.1:" + str(port) + "/{database}"
    admin = dsn.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE reader LOGIN PASSWORD {}").format(sql.Literal(SOURCE_PASSWORD)))
    try:
        yield dsn
    finally:
        stop_pg15(base, as_postgres)


def tcp_demo_source(dsn_template: str, database: str) -> str:
    """A demo catalog on the TCP server, owned by the superuser and readable by `reader`; returns the
    DSN the pipeline uses: reader's, with its awkward password."""
    admin = dsn_template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    owner = dsn_template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database=database)
    with psycopg.connect(owner) as conn:
        conn.execute(embedded.DEMO_CATALOG.read_text())
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    return psycopg.conninfo.make_conninfo(owner, user="reader", password=SOURCE_PASSWORD)
