"""Connections as configured: a PostgreSQL that accepts TLS connections only (Debian's PostgreSQL 15,
with a self-signed certificate made here) as the source, and as the warehouse that migrations,
postgres_fdw and ClickHouse's named collection all reach through TLS."""

import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from conftest import SOURCE_PASSWORD, TCP_SUPERUSER_PASSWORD, Pipeline, run_cli, start_pg15, stop_pg15
from psycopg import sql

from pipeline import PipelineError, embedded, warehouse
from pipeline.config import ClickHouseURL
from pipeline.report import report
from pipeline.run import Endpoints

DEMO_REPORT = [("Data Analysis", 6, 18), ("Data Engineering", 6, 12), ("Data Science", 6, 6)]


@pytest.fixture(scope="module")
def tls_server():
    """PostgreSQL 15 on localhost whose pg_hba.conf allows `hostssl` only, with a certificate for
    localhost signed by itself. Yields (DSN template with {user} {password} {database} {options},
    the certificate's path: readable by every user, as the warehouse servers read it too)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is not installed")

    def certificate_and_hostssl_only(base: Path, as_postgres: list[str]) -> str:
        cert, key = base / "server.crt", base / "server.key"
        subprocess.run(
            [*as_postgres, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)
        cert.chmod(0o644)
        hba = "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        subprocess.run([*as_postgres, "sh", "-c", f"printf '{hba}' > {base / 'data' / 'pg_hba.conf'}"], check=True)
        return f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    base, port, as_postgres = start_pg15("pg15-tls-", "localhost", certificate_and_hostssl_only)
    cert = base / "server.crt"
    template = "postgresql://{user}:{password}@localhost:" + str(port) + "/{database}?{options}"
    verified = f"sslmode=verify-full&sslrootcert={cert}"
    admin = template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres", options=verified)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE reader LOGIN PASSWORD {}").format(sql.Literal(SOURCE_PASSWORD)))
    try:
        yield template, cert
    finally:
        stop_pg15(base, as_postgres)


def tls_demo_source(tls_server, database: str, options: str) -> str:
    """The demo catalog in `database` on the TLS server; the DSN of its reader with `options`."""
    template, cert = tls_server
    verified = f"sslmode=verify-full&sslrootcert={cert}"
    admin = template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres", options=verified)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    owner = template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database=database, options=verified)
    with psycopg.connect(owner) as conn:
        conn.execute(embedded.DEMO_CATALOG.read_text())
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    password = quote(SOURCE_PASSWORD, safe="")
    return template.format(user="reader", password=password, database=database, options=options)


def server_options(pipeline: Pipeline) -> dict:
    rows = pipeline.warehouse(
        "SELECT option_name, option_value FROM pg_options_to_table("
        "(SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'source_db'))"
    )
    return dict(rows)


def test_a_source_that_requires_tls_loads_with_a_verified_certificate(tls_server, tcp_pg_server, chdb_path):
    """The warehouse on another PostgreSQL 15 server (the embedded server is built without TLS, see the
    README): its postgres_fdw connects to the source with the DSN's sslmode and CA certificate."""
    _, cert = tls_server
    source = tls_demo_source(tls_server, "tls_source", f"sslmode=verify-full&sslrootcert={cert}&connect_timeout=10")
    admin = tcp_pg_server.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE warehouse_of_a_tls_source")
    warehouse_dsn = tcp_pg_server.format(
        user="postgres", password=TCP_SUPERUSER_PASSWORD, database="warehouse_of_a_tls_source"
    )
    pipeline = Pipeline(Endpoints(source, warehouse_dsn, f"chdb://{chdb_path}?database=mart_tls_source"))
    pipeline.run()
    assert report(pipeline.mart) == DEMO_REPORT
    options = server_options(pipeline)
    assert options["sslmode"] == "verify-full" and options["sslrootcert"] == str(cert)
    assert options["connect_timeout"] == "10" and options["fetch_size"] == "10000"

    # an option no longer in the DSN is dropped from the server; postgres_fdw's own stay
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        warehouse.bind_source(conn, source.replace("&connect_timeout=10", ""))
    options = server_options(pipeline)
    assert "connect_timeout" not in options and options["sslmode"] == "verify-full"
    assert options["fetch_size"] == "10000"


def test_a_source_dsn_without_tls_fails_in_one_line_with_the_servers_reason(tls_server, pg_server, tmp_path):
    source = tls_demo_source(tls_server, "tls_refused", "sslmode=disable")
    warehouse_dsn = embedded.ensure_warehouse(pg_server, "warehouse_tls_refused")
    env = {
        "SOURCE_DSN": source,
        "WAREHOUSE_DSN": warehouse_dsn,
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("once", env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: source: ") and "no encryption" in line  # the server's own reason
    assert SOURCE_PASSWORD not in result.stdout + result.stderr


def test_migrations_postgres_fdw_and_clickhouse_reach_a_warehouse_that_requires_tls(tls_server, chdb_path):
    """The warehouse on the TLS server: yoyo's migrations, the runner, ClickHouse's named collection
    (sslmode and the CA certificate's contents) and postgres_fdw to a source there all use TLS."""
    template, cert = tls_server
    verified = f"sslmode=verify-full&sslrootcert={cert}"
    admin = template.format(user="postgres", password=TCP_SUPERUSER_PASSWORD, database="postgres", options=verified)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE tls_warehouse")
    warehouse_dsn = template.format(
        user="postgres", password=TCP_SUPERUSER_PASSWORD, database="tls_warehouse", options=verified
    )
    # migrations with TLS switched off fail: yoyo connects with the DSN's options, not libpq's defaults
    with pytest.raises(PipelineError) as refused:
        warehouse.migrate(warehouse_dsn.replace("sslmode=verify-full", "sslmode=disable"))
    assert "no encryption" in str(refused.value)

    source = tls_demo_source(tls_server, "tls_source_of_tls_warehouse", verified)
    pipeline = Pipeline(Endpoints(source, warehouse_dsn, f"chdb://{chdb_path}?database=mart_tls_warehouse"))
    pipeline.run()
    assert report(pipeline.mart) == DEMO_REPORT
    [(ssl_sessions,)] = pipeline.warehouse("SELECT count(*) FROM pg_stat_ssl WHERE ssl")
    assert ssl_sessions >= 1


def test_a_source_dsn_option_postgres_fdw_cannot_take_is_a_one_line_config_error(tmp_path):
    env = {
        "SOURCE_DSN": "postgresql://reader:s3cret-pw@db.example:5432/school?client_encoding=LATIN1",
        "WAREHOUSE_DSN": "postgresql://loader:pw@127.0.0.1:1/warehouse",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("plan", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: source: SOURCE_DSN option client_encoding cannot be passed to postgres_fdw"
        " (postgres_fdw sets it to the warehouse's encoding)"
    )


def test_plan_shows_every_source_option_and_masks_both_secrets(tmp_path):
    env = {
        "SOURCE_DSN": "host=db.example dbname=school user=reader password=s3cret-pw sslmode=verify-full"
        " sslrootcert=/etc/ssl/ca.pem sslcert=/etc/ssl/me.crt sslkey=/etc/ssl/me.key sslpassword=k3y-pw"
        " target_session_attrs=read-only",
        "WAREHOUSE_DSN": "postgresql://loader:pw@127.0.0.1:1/warehouse?sslmode=require&sslrootcert=/etc/ssl/ca.pem",
        "CLICKHOUSE_URL": "clickhouse://u:ch-pw@ch:9440/mart?secure=1",
        "DATA_DIR": str(tmp_path),
    }
    result = run_cli("plan", env=env)
    assert result.returncode == 0, result.stderr
    for secret in ("s3cret-pw", "k3y-pw", "ch-pw"):
        assert secret not in result.stdout + result.stderr
    [server] = [line for line in result.stdout.splitlines() if line.startswith("ALTER SERVER")]
    for option in ("sslmode 'verify-full'", "sslrootcert '/etc/ssl/ca.pem'", "sslcert '/etc/ssl/me.crt'",
                   "sslkey '/etc/ssl/me.key'", "target_session_attrs 'read-only'"):  # fmt: skip
        name, value = option.split(" ")
        assert f'ADD "{name}" {value}' in server
    [mapping] = [line for line in result.stdout.splitlines() if line.startswith("CREATE USER MAPPING")]
    assert "\"sslpassword\" '********'" in mapping and "\"password\" '********'" in mapping
    [collection] = [line for line in result.stdout.splitlines() if line.startswith("CREATE NAMED COLLECTION")]
    assert "sslmode = 'require', sslrootcert_pem = '<the contents of /etc/ssl/ca.pem>'" in collection


def test_clickhouse_url_tls_options_reach_clickhouse_driver():
    from clickhouse_driver import Client

    url = ClickHouseURL.parse("clickhouse://u:p@ch.example/mart?secure=1&verify=0&ca_certs=/etc/ssl/ca.pem")
    assert url.port == 9440  # clickhouse-driver's and ClickHouse's TLS port
    assert "?secure=1" in url.masked() and "p@" not in url.masked()
    connection = Client(host=url.host, port=url.port, **dict(url.tls)).connection
    assert connection.secure_socket and not connection.verify_cert
    assert connection.ssl_options["ca_certs"] == "/etc/ssl/ca.pem"
    assert ClickHouseURL.parse("clickhouse://u:p@ch.example/mart").port == 9000
    assert ClickHouseURL.parse("clickhouse://u:p@ch.example:9000/mart?secure=0").tls == (("secure", False),)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("clickhouse://u:p@ch/mart?sslmode=require", "mart: CLICKHOUSE_URL option sslmode is not known"),
        ("clickhouse://u:p@ch/mart?secure=yes", "mart: CLICKHOUSE_URL option secure must be 0 or 1, got 'yes'"),
        ("chdb:///tmp/x?secure=1", "mart: CLICKHOUSE_URL option secure is not known (known: database, cluster)"),
    ],
)
def test_a_clickhouse_url_option_that_cannot_be_used_is_an_error(url, message):
    with pytest.raises(PipelineError) as error:
        ClickHouseURL.parse(url)
    assert str(error.value).startswith(message)
