"""The warehouse (PostgreSQL): connections, yoyo migrations, the postgres_fdw source binding, the run log."""

from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import pq, sql
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from pipeline import PipelineError
from pipeline.config import dsn_parts

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "warehouse"
SOURCE_SERVER = "source_db"
# Fixed session settings: hashdiffs are computed from the text form of timestamps, which must not
# depend on whoever configured the server.
SESSION_OPTIONS = (
    "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1"
    " -c work_mem=256MB"  # hash joins and sorts over the whole source and current state stay in memory
    # a small delta is matched key by key through the current state's indexes, which a warehouse keeps
    # cached: with the default 4 (a spinning disk's) PostgreSQL hashed a million current rows instead
    " -c random_page_cost=1.1"
    # compiling a statement costs more than it saves here: a first load's satellite steps compiled a
    # delta statement that then found nothing to do, and the checks' many expressions took longer to
    # compile than to run
    " -c jit=off"
)
ADDRESS_OPTIONS = ("host", "port", "dbname")
# Where SOURCE_DSN's libpq options go on the foreign server `source_db`: the login and its secrets on
# the user mapping (postgres_fdw accepts user, password and sslpassword there only), every other one
# on the server. sslcert and sslkey go on the server too: postgres_fdw (13+) takes them on a user
# mapping as well, but from a superuser only. Paths (sslrootcert, sslcert, sslkey, sslcrl, passfile)
# are read by the warehouse server, which is what connects to the source.
LOGIN_OPTIONS = ("user", "password", "sslpassword")
SECRET_OPTIONS = ("password", "sslpassword")
# libpq options postgres_fdw does not take, and why
NOT_FOR_POSTGRES_FDW = {
    "client_encoding": "postgres_fdw sets it to the warehouse's encoding",
    "fallback_application_name": "postgres_fdw sets it",
    "replication": "a replication connection cannot read tables",
}
RUN_LOCK = 0x0C0C_5EED  # pg_advisory_lock key: one run at a time per warehouse
# The binding's statements carry the source's password. A server logging statements (log_statement
# 'ddl' or 'all', log_min_duration_statement), the statement of an error (log_min_error_statement) or
# utility statements in pg_stat_statements would keep it: the binding's transaction turns those off,
# where this role may set them (a superuser, or a role granted SET on them: PostgreSQL 15+).
QUIET_SETTINGS = {
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_error_statement": "panic",
    "pg_stat_statements.track_utility": "off",
}


def connect(dsn: str, database: str = "warehouse", autocommit: bool = False) -> psycopg.Connection:
    """A connection with the pipeline's session settings; a failure is one line naming the database."""
    params = dsn_parts(dsn, database)
    options = " ".join(filter(None, [params.get("options"), SESSION_OPTIONS]))
    try:
        return psycopg.connect(dsn, autocommit=autocommit, options=options, application_name="course-pipeline")
    except psycopg.OperationalError as error:
        raise PipelineError(database, f"cannot connect: {first_line(error)}", transient=is_transient(error)) from None


TRANSIENT = (psycopg.OperationalError, psycopg.errors.TransactionRollback)

# A server that refused these credentials or does not have this database or role refuses them again on
# the next try: found in its own message (as servers word it by default, in English; a message worded
# otherwise is retried, as every refused connection was before).
REFUSED_FOR_GOOD = ("password authentication failed", "no pg_hba.conf entry", "does not exist")


def is_transient(error: BaseException) -> bool:
    """A connection lost or refused, a server shutting down or starting, a serialization failure or
    deadlock: the same work may well succeed if tried again. Not wrong credentials, nor a database or
    role that is not there (REFUSED_FOR_GOOD), directly or through postgres_fdw."""
    if any(reason in str(error) for reason in REFUSED_FOR_GOOD):
        return False
    return isinstance(error, TRANSIENT) or getattr(error, "transient", False)


def first_line(error: Exception) -> str:
    """One line for a person: the error's first line, and where PostgreSQL says which column of
    which (foreign) table it was reading, that too."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    context = getattr(getattr(error, "diag", None), "context", None) or ""
    where = context.splitlines()[0] if context.startswith("column ") else ""
    return f"{line} (in {where})" if where else line


def blame(error: Exception) -> tuple[str, str]:
    """Which database an error met in a warehouse statement comes from, and its reason in one line.
    postgres_fdw reports the source's failures through the warehouse: a connection it could not make
    (libpq's reason in the detail), a password the source did not ask for, a remote statement the
    source refused (a missing table or column, permission denied: the context names the remote SQL),
    a source value that does not fit its foreign column. Those are the source's; the rest the
    warehouse's."""
    diag = getattr(error, "diag", None)
    if diag is None:
        return "warehouse", first_line(error)
    context = diag.context or ""
    if diag.sqlstate == "08001" and diag.message_detail:  # could not connect to server "source_db"
        return "source", "cannot connect: " + " ".join(diag.message_detail.splitlines()[0].split())
    if diag.sqlstate == "2F003" or "remote SQL command" in context or "of foreign table" in context:
        return "source", first_line(error)
    return "warehouse", first_line(error)


def yoyo_uri(dsn: str) -> str:
    """The DSN in yoyo's URI form, postgresql+psycopg:///dbname?every=option: yoyo passes the query's
    parameters to psycopg.connect as they are, so migrations connect with every option of the DSN
    (sslmode, sslrootcert, options, …), socket directories included."""
    params = dsn_parts(dsn, "warehouse")
    dbname = quote(params.pop("dbname", ""), safe="")
    query = urlencode(params, quote_via=quote)
    return f"postgresql+psycopg:///{dbname}" + (f"?{query}" if query else "")


def migrate(dsn: str) -> list[str]:
    """Apply pending warehouse migrations (yoyo); return the ids applied."""
    from yoyo import get_backend, read_migrations

    try:
        backend = get_backend(yoyo_uri(dsn))
        migrations = read_migrations(str(MIGRATIONS))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    except PipelineError:
        raise
    except Exception as error:
        message = f"migration failed: {first_line(error)}"
        raise PipelineError("warehouse", message, transient=is_transient(error)) from None
    return [migration.id for migration in pending]


def binding_statements(
    source_dsn: str, existing: set[str], mask: bool = False, runner: str | None = None
) -> list[sql.Composed]:
    """Statements that point the foreign server at SOURCE_DSN: every libpq option of it on the server,
    the login on the user mapping of `runner` (default: the current user). `existing` names the server
    options already set (ADD fails on those, SET on others); libpq options set before and gone from the
    DSN now are dropped, postgres_fdw's own (fetch_size) are left alone."""
    params = source_options(source_dsn)
    if mask:
        params.update({key: "********" for key in SECRET_OPTIONS if key in params})
    server = sql.Identifier(SOURCE_SERVER)
    connection = {key: value for key, value in params.items() if key not in LOGIN_OPTIONS}
    on_server = [
        option(verb="SET" if key in existing else "ADD", key=key, value=value) for key, value in connection.items()
    ]
    on_server += [option(verb="DROP", key=key) for key in sorted(existing & libpq_options() - connection.keys())]
    login = [option(key=key, value=params[key]) for key in LOGIN_OPTIONS if key in params]
    who = sql.Identifier(runner) if runner else sql.SQL("CURRENT_USER")  # the role whose queries read the source
    statements = [sql.SQL("DROP USER MAPPING IF EXISTS FOR {} SERVER {}").format(who, server)]
    if on_server:
        statements.insert(0, sql.SQL("ALTER SERVER {} OPTIONS ({})").format(server, sql.SQL(", ").join(on_server)))
    mapping = sql.SQL("CREATE USER MAPPING FOR {} SERVER {}").format(who, server)
    if login:
        mapping = sql.SQL("{} OPTIONS ({})").format(mapping, sql.SQL(", ").join(login))
    return statements + [mapping]


def source_options(source_dsn: str) -> dict:
    """SOURCE_DSN's libpq options; one that postgres_fdw cannot take is a configuration error."""
    params = dsn_parts(source_dsn, "source")
    for key in params:
        if key in NOT_FOR_POSTGRES_FDW:
            raise cannot_pass(key, NOT_FOR_POSTGRES_FDW[key])
    return params


def cannot_pass(key: str, why: str) -> PipelineError:
    return PipelineError("source", f"SOURCE_DSN option {key} cannot be passed to postgres_fdw ({why})")


def libpq_options() -> set[str]:
    """Every connection option this libpq knows."""
    return {option.keyword.decode() for option in pq.Conninfo.get_defaults()}


def option(key: str, value: str | None = None, verb: str = "") -> sql.Composed:
    """One item of an OPTIONS (…) list: [ADD|SET|DROP] name ['value']."""
    parts = [sql.SQL(verb), sql.Identifier(key)] if verb else [sql.Identifier(key)]
    if value is not None:
        parts.append(sql.Literal(value))
    return sql.SQL(" ").join(parts)


def bind_source(conn: psycopg.Connection, source_dsn: str, runner: str | None = None) -> None:
    """Point the foreign server at SOURCE_DSN, in one transaction. The source is only ever read."""
    with conn.transaction():
        quiet_logging(conn)
        existing = conn.execute(
            "SELECT option_name FROM pg_options_to_table("
            "(SELECT srvoptions FROM pg_foreign_server WHERE srvname = %s))",
            [SOURCE_SERVER],
        ).fetchall()
        for statement in binding_statements(source_dsn, {name for (name,) in existing}, runner=runner):
            try:
                conn.execute(statement)
            except psycopg.errors.FdwInvalidOptionName as error:  # one this server's postgres_fdw lacks
                name = error.diag.message_primary.split('"')[1] if '"' in str(error) else str(error)
                raise cannot_pass(name, "this warehouse's postgres_fdw does not know it") from None


def quiet_logging(conn: psycopg.Connection) -> list[str]:
    """Turn off, for the current transaction, each of QUIET_SETTINGS this role may set (one not set on
    this server, such as pg_stat_statements' when it is not loaded, is skipped); return their names."""
    if conn.info.server_version >= 150000:
        may_set = "has_parameter_privilege(name, 'SET')"
    else:
        may_set = "current_setting('is_superuser') = 'on'"
    names = [
        name
        for (name,) in conn.execute(
            f"SELECT name FROM pg_settings WHERE name = ANY(%s) AND {may_set}", [list(QUIET_SETTINGS)]
        )
    ]
    for name in names:
        conn.execute("SELECT set_config(%s, %s, true)", [name, QUIET_SETTINGS[name]])
    return names


def try_run_lock(conn: psycopg.Connection) -> bool:
    """Take the per-warehouse run lock for this session if it is free; held until the session ends."""
    return conn.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK]).fetchone()[0]


def wait_run_lock(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK])


def start_run(conn: psycopg.Connection) -> tuple[int, object]:
    """Record a new run; its load timestamp stamps every row the run writes."""
    return conn.execute(
        "INSERT INTO meta.run (load_ts, status) VALUES (clock_timestamp(), 'running') RETURNING run_id, load_ts"
    ).fetchone()


def last_complete_run(conn: psycopg.Connection, before_run: int | None = None):
    """The load_ts of the last run that completed, its mart step included (None if none did): the
    mart holds everything the vault held then. A run limited by --select to other steps does not count.
    With before_run, as it was when that run started (what it rendered its mart SQL against)."""
    return (
        conn.cursor(row_factory=tuple_row)  # whatever rows the connection makes (the page's are dicts)
        .execute(
            "SELECT max(r.load_ts) FROM meta.run r WHERE r.status = 'success' AND r.run_id < %s AND EXISTS ("
            " SELECT FROM meta.run_step s WHERE s.run_id = r.run_id AND s.database = 'mart'"
            " AND s.status = 'success')",
            [before_run if before_run is not None else 2**62],
        )
        .fetchone()[0]
    )


def abandon_stale_runs(conn: psycopg.Connection) -> None:
    """Runs still marked running while we hold the run lock lost their runner (killed, or cut off
    from the warehouse): record them as failed."""
    conn.execute(
        "UPDATE meta.run SET status = 'failed', finished_at = clock_timestamp(),"
        " error = coalesce(error, 'the runner stopped before recording the end of the run')"
        " WHERE status = 'running'"
    )


def record_skipped_run(conn: psycopg.Connection, reason: str) -> None:
    conn.execute(
        "INSERT INTO meta.run (load_ts, finished_at, status, error)"
        " VALUES (clock_timestamp(), clock_timestamp(), 'skipped', %s)",
        [reason],
    )


def recent_runs(conn: psycopg.Connection, limit: int) -> list[tuple]:
    """The last runs, newest first: id, start, end, status, rows written to the vault and mart, error."""
    return conn.execute(
        "SELECT r.run_id, r.load_ts, r.finished_at, r.status,"
        " (SELECT sum(rows_written) FROM meta.run_step s WHERE s.run_id = r.run_id AND s.step NOT LIKE 'staging.%%'),"
        " r.error"
        " FROM meta.run r ORDER BY r.run_id DESC LIMIT %s",
        [limit],
    ).fetchall()


def finish_run(conn: psycopg.Connection, run_id: int, status: str, error: str | None = None) -> None:
    conn.execute(
        "UPDATE meta.run SET status = %s, error = %s, finished_at = clock_timestamp() WHERE run_id = %s",
        [status, error, run_id],
    )


def start_step(conn: psycopg.Connection, run_id: int, step: str, database: str) -> None:
    conn.execute(
        "INSERT INTO meta.run_step (run_id, step, database, started_at, status)"
        " VALUES (%s, %s, %s, clock_timestamp(), 'running')",
        [run_id, step, database],
    )


def finish_step(conn, run_id: int, step: str, status: str, rows: int | None, ms: int, error: str | None = None):
    conn.execute(
        "UPDATE meta.run_step SET status = %s, rows_written = %s, duration_ms = %s, error = %s"
        " WHERE run_id = %s AND step = %s",
        [status, rows, ms, error, run_id, step],
    )


def record_checks(conn: psycopg.Connection, run_id: int | None, results: list, scope: str) -> None:
    """One row per check, all with the same checked_at: the results of one pass of the checks."""
    checked_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    for result in results:
        record_check(conn, checked_at, run_id, result, scope)


def record_check(conn: psycopg.Connection, checked_at, run_id: int | None, result, scope: str) -> None:
    conn.execute(
        "INSERT INTO meta.check_result"
        " (checked_at, run_id, check_name, database, passed, failures, examples, scope, duration_ms)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            checked_at,
            run_id,
            result.name,
            result.database,
            result.passed,
            result.failures,
            "; ".join(result.examples) or None,
            scope,
            result.ms,
        ],
    )


def last_full_check(conn: psycopg.Connection) -> tuple | None:
    """When the whole-table checks last ran, and the names of those that failed then (None: never)."""
    return conn.execute(
        "SELECT checked_at, array_agg(check_name ORDER BY check_name) FILTER (WHERE NOT passed)"
        " FROM meta.check_result WHERE scope = 'full' AND checked_at = ("
        " SELECT max(checked_at) FROM meta.check_result WHERE scope = 'full')"
        " GROUP BY checked_at"
    ).fetchone()


def oddities(conn: psycopg.Connection, run_id: int, changed: bool) -> list[tuple[str, int]]:
    """Orphans and missing titles in the current state (vault.v_oddities), those that occur, recorded
    with the run. A run that changed no vault row left the current state as it was: it carries over
    the last recorded counts instead of counting again."""
    last = None
    if not changed:
        last = conn.execute(
            "SELECT oddities FROM meta.run WHERE oddities IS NOT NULL AND run_id < %s ORDER BY run_id DESC LIMIT 1",
            [run_id],
        ).fetchone()
    if last:
        counts = [(oddity, count) for oddity, count in last[0]]
    else:
        counts = conn.execute("SELECT oddity, count FROM vault.v_oddities WHERE count > 0").fetchall()
    conn.execute("UPDATE meta.run SET oddities = %s WHERE run_id = %s", [Jsonb(counts), run_id])
    return counts
