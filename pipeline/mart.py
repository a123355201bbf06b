"""The mart (ClickHouse, as a server through clickhouse-driver or embedded as chDB): connections,
migrations applied once and recorded in ClickHouse itself, and the named collection through which
ClickHouse reads the warehouse."""

import re
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from pipeline import PipelineError
from pipeline.chdb_worker import ChdbProcess
from pipeline.config import ClickHouseURL, dsn_parts, identifier, scrub, secrets_of
from pipeline.warehouse import first_line

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "mart"


class Mart:
    """One ClickHouse database; `execute` returns rows, `insert` the number of rows written."""

    def __init__(self, url: ClickHouseURL):
        self.url = url
        self.database = url.database
        self.cluster = url.cluster
        self.on_cluster = f"ON CLUSTER {url.cluster}" if url.cluster else ""
        self.data_table = url.data_table
        self.warehouse_collection = collection_name(url.database)

    def execute(self, query: str) -> list[tuple]:
        try:
            return self._execute(query)
        except Exception as error:
            raise PipelineError("mart", first_line(error)) from None

    def insert(self, query: str) -> int:
        try:
            return self._insert(query)
        except Exception as error:
            raise PipelineError("mart", first_line(error)) from None

    def run_script(self, script: str) -> int:
        """Run a transform's statements in order; return the rows its last statement wrote."""
        rows = 0
        for statement in split_statements(script):
            rows = self.insert(statement)
        return rows

    def has_rows(self, table: str) -> bool:
        return bool(self.execute(f"SELECT count() FROM {self.database}.{table}")[0][0])


class ChdbMart(Mart):
    """chDB, in a worker process (pipeline/chdb_worker.py): one engine per path, shared by every
    ChdbMart of this process."""

    _open: dict[str, ChdbProcess] = {}

    def __init__(self, url: ClickHouseURL):
        super().__init__(url)
        worker = self._open.get(url.path)
        if worker is not None and not worker.alive:  # it died (killed, out of memory): start another
            del self._open[url.path]
        if url.path not in self._open:
            if self._open:
                raise PipelineError("mart", f"chDB is already open at {next(iter(self._open))} in this process")
            try:
                self._open[url.path] = ChdbProcess(url.path)
            except Exception as error:
                raise PipelineError("mart", first_line(error)) from None
        self.engine = self._open[url.path]

    def _execute(self, query: str) -> list[tuple]:
        return self.engine.call("rows", query)

    def _insert(self, query: str) -> int:
        return self.engine.call("written", query)


class ServerMart(Mart):
    def __init__(self, url: ClickHouseURL):
        super().__init__(url)
        from clickhouse_driver import Client

        self.client = Client(host=url.host, port=url.port, user=url.user, password=url.password, **dict(url.tls))
        self.execute("SELECT 1")

    def _execute(self, query: str) -> list[tuple]:
        return self.client.execute(query)

    def _insert(self, query: str) -> int:
        self.client.execute(query)
        return self.client.last_query.progress.written_rows


def collection_name(database: str) -> str:
    """The named collection through which the mart `database` reads the warehouse."""
    return f"{database}_warehouse"


def warehouse_table(database: str, schema: str, table: str) -> str:
    """A warehouse table or view as the mart reads it: the postgresql table function over the named
    collection, so the query text carries no address and no password."""
    schema, table = identifier(schema, "warehouse schema"), identifier(table, "warehouse table")
    return f"postgresql({collection_name(database)}, schema = '{schema}', table = '{table}')"


def connect(url: str) -> Mart:
    parsed = ClickHouseURL.parse(url)
    return ChdbMart(parsed) if parsed.kind == "chdb" else ServerMart(parsed)


def split_statements(script: str) -> list[str]:
    """Statements of a migration: separated by `;` at the end of a line, comment lines dropped."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in re.split(r";\s*$", "\n".join(lines), flags=re.M) if part.strip()]


def migrate(mart: Mart) -> list[str]:
    """Apply the mart migrations not yet recorded in <mart>.schema_migrations, in file-name order."""
    db = mart.database
    mart.execute(f"CREATE DATABASE IF NOT EXISTS {db} {mart.on_cluster}")
    mart.execute(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations (id String, applied_at DateTime DEFAULT now())"
        " ENGINE = MergeTree ORDER BY id"
    )
    applied = {row[0] for row in mart.execute(f"SELECT id FROM {db}.schema_migrations")}
    done = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.stem in applied:
            continue
        for statement in split_statements(render_migration(path, mart)):
            mart.execute(statement)
        mart.execute(f"INSERT INTO {db}.schema_migrations (id) VALUES ({quote(path.stem)})")
        done.append(path.stem)
    return done


def render_migration(path: Path, mart: Mart) -> str:
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(path.read_text()).render(
        mart=mart.database, cluster=mart.cluster, on_cluster=mart.on_cluster
    )


def quote(value) -> str:
    """A ClickHouse string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# What of the warehouse's DSN ClickHouse's postgresql named collection can carry, besides the address
# and login: the TLS mode, and certificates as their contents (<name>_pem: a collection made by SQL may
# not name files on the ClickHouse server), read here from the files the DSN names.
COLLECTION_FILES = {"sslrootcert": "sslrootcert_pem", "sslcert": "sslcert_pem", "sslkey": "sslkey_pem"}
COLLECTION_OPTIONS = {"host", "port", "dbname", "user", "password", "sslmode", *COLLECTION_FILES}


def collection_statements(mart: Mart, warehouse_dsn: str, mask: bool = False) -> list[str]:
    """(Re)create the named collection through which ClickHouse reads the warehouse."""
    params = dsn_parts(warehouse_dsn, "warehouse")
    unknown = sorted(params.keys() - COLLECTION_OPTIONS)
    if unknown:
        raise PipelineError(
            "mart",
            f"the warehouse DSN's option {unknown[0]} cannot be passed to ClickHouse's postgresql named collection"
            " (it takes sslmode, sslrootcert, sslcert, sslkey): set WAREHOUSE_DSN_FOR_MART without it",
        )
    settings = {
        "host": params.get("host", "localhost"),
        "port": int(params.get("port") or 5432),
        "database": params.get("dbname", params.get("user", "postgres")),
        "user": params.get("user", "postgres"),
        "password": "********" if mask and params.get("password") else params.get("password", ""),
    }
    if "sslmode" in params:
        settings["sslmode"] = params["sslmode"]
    for option, key in COLLECTION_FILES.items():
        if option in params:
            settings[key] = f"<the contents of {params[option]}>" if mask else file_text(params[option], option)
    name = mart.warehouse_collection
    body = ", ".join(f"{key} = {value if isinstance(value, int) else quote(value)}" for key, value in settings.items())
    on_cluster = f" {mart.on_cluster}" if mart.on_cluster else ""
    return [
        f"DROP NAMED COLLECTION IF EXISTS {name}{on_cluster}",
        f"CREATE NAMED COLLECTION {name}{on_cluster} AS {body}",
    ]


def file_text(path: str, option: str) -> str:
    try:
        return Path(path).expanduser().read_text()
    except OSError as error:
        raise PipelineError("mart", f"cannot read the warehouse DSN's {option} {path}: {error.strerror}") from None


def bind_warehouse(mart: Mart, warehouse_dsn: str) -> None:
    try:
        for statement in collection_statements(mart, warehouse_dsn):
            mart.execute(statement)
    except PipelineError as error:  # the server's reason, never the statement: it carries the password
        reason = scrub(error.reason, secrets_of(warehouse_dsn))
        raise PipelineError(
            "mart", f"cannot create the named collection {mart.warehouse_collection}: {reason}"
        ) from None
