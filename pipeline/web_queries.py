"""The operator's page reads the warehouse's run log here, and only here: each request opens its own
connection, read-only, with a statement timeout, so a page never holds a lock a run waits for and a
slow query gives up instead of piling up. Every query is bounded to the recent part of the log."""

from collections.abc import Callable

import psycopg
from psycopg.rows import dict_row

from pipeline.checks import paths as check_paths
from pipeline.config import dsn_parts
from pipeline.warehouse import first_line

STATEMENT_TIMEOUT_MS = 2000
CONNECT_TIMEOUT_S = 2
RECENT_RUNS = 1000  # "when a run last wrote a table" looks this far back
RECENT_CHECKS = 5000  # check results read for verdicts and history
CHECK_HISTORY = 30  # results per check shown


def connect(dsn: str) -> psycopg.Connection:
    """A read-only session for the page: nothing it runs can write or wait long."""
    options = " ".join(
        filter(
            None,
            [
                dsn_parts(dsn, "warehouse").get("options"),
                "-c default_transaction_read_only=on",
                f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                f"-c lock_timeout={STATEMENT_TIMEOUT_MS}",
                "-c TimeZone=UTC",
            ],
        )
    )
    return psycopg.connect(
        dsn,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_S,
        options=options,
        application_name="course-pipeline-page",
        row_factory=dict_row,
    )


class Unreadable(Exception):
    """The warehouse could not be read; str() is the reason, fit for the page."""


def read(dsn: str, gather: Callable):
    """gather(connection) on a fresh read-only connection; Unreadable with a one-line reason if not."""
    try:
        with connect(dsn) as conn:
            return gather(conn)
    except psycopg.errors.UndefinedTable:
        raise Unreadable("the run log does not exist yet: no run has started on this warehouse") from None
    except psycopg.OperationalError as error:
        raise Unreadable(f"warehouse unreachable: {first_line(error)}") from None
    except psycopg.Error as error:
        raise Unreadable(f"warehouse query failed: {first_line(error)}") from None


RUN_COLUMNS = """
    r.run_id, r.load_ts, r.finished_at, r.status, r.error, r.oddities,
    extract(epoch FROM r.finished_at - r.load_ts)::float8 AS duration_s,
    (SELECT sum(rows_written) FROM meta.run_step s
      WHERE s.run_id = r.run_id AND left(s.step, 8) <> 'staging.') AS rows_written"""


def recent_runs(conn, limit: int) -> list[dict]:
    """The last runs, newest first, with their duration and the rows written to the vault and mart."""
    return conn.execute(f"SELECT {RUN_COLUMNS} FROM meta.run r ORDER BY r.run_id DESC LIMIT %s", [limit]).fetchall()


def run(conn, run_id: int) -> dict | None:
    return conn.execute(f"SELECT {RUN_COLUMNS} FROM meta.run r WHERE r.run_id = %s", [run_id]).fetchone()


def steps_of(conn, run_ids: list[int]) -> list[dict]:
    """Every step of these runs, in the order they started."""
    return conn.execute(
        "SELECT run_id, step, database, started_at, duration_ms, rows_written, status, error,"
        " extract(epoch FROM started_at)::float8 AS started_s"
        " FROM meta.run_step WHERE run_id = ANY(%s) ORDER BY run_id, started_at, step",
        [run_ids],
    ).fetchall()


def checks_of_run(conn, run_id: int) -> list[dict]:
    return conn.execute(
        "SELECT checked_at, check_name, database, scope, passed, failures, examples, duration_ms"
        " FROM meta.check_result WHERE run_id = %s ORDER BY check_name, checked_at",
        [run_id],
    ).fetchall()


def recent_checks(conn) -> list[dict]:
    """The most recent check results, newest first, whatever the checks are called."""
    return conn.execute(
        "SELECT checked_at, run_id, check_name, database, scope, passed, failures, examples, duration_ms"
        " FROM meta.check_result ORDER BY checked_at DESC LIMIT %s",
        [RECENT_CHECKS],
    ).fetchall()


def last_success(conn):
    """When the last successful run started (None if none did)."""
    return conn.execute("SELECT max(load_ts) AS at FROM meta.run WHERE status = 'success'").fetchone()["at"]


def runs_by_status(conn) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) AS runs FROM meta.run GROUP BY status").fetchall()
    return {row["status"]: row["runs"] for row in rows}


def last_finished_run(conn) -> dict | None:
    """The last run that ran steps and ended (not running, not skipped)."""
    return conn.execute(
        f"SELECT {RUN_COLUMNS} FROM meta.run r WHERE r.status IN ('success', 'failed', 'interrupted')"
        " AND EXISTS (SELECT FROM meta.run_step s WHERE s.run_id = r.run_id) ORDER BY r.run_id DESC LIMIT 1"
    ).fetchone()


def warehouse_table_rows(conn) -> dict[str, int]:
    """Estimated rows of every staging and vault table (pg_class.reltuples: what ANALYZE and autovacuum
    last counted; no table is scanned). A table never analyzed has no estimate."""
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname AS name, c.reltuples::bigint AS estimate"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('staging', 'vault') AND c.relkind IN ('r', 'p')"
    ).fetchall()
    return {row["name"]: row["estimate"] for row in rows if row["estimate"] >= 0}


def last_writes(conn) -> dict[str, dict]:
    """Per step (= its table): the last run of the recent ones that wrote rows to it, and when."""
    rows = conn.execute(
        "SELECT DISTINCT ON (step) step, run_id, started_at + duration_ms * interval '1 ms' AS written_at,"
        " rows_written FROM meta.run_step"
        " WHERE run_id > (SELECT max(run_id) - %s FROM meta.run) AND status = 'success' AND rows_written > 0"
        " ORDER BY step, run_id DESC",
        [RECENT_RUNS],
    ).fetchall()
    return {row["step"]: row for row in rows}


def check_verdicts(results: list[dict]) -> list[dict]:
    """One entry per check name found in the results: its latest result and its recent history (oldest
    first). Whatever the checks are called: nothing here lists them."""
    checks: dict[str, dict] = {}
    for result in results:  # newest first
        entry = checks.setdefault(result["check_name"], {"name": result["check_name"], "latest": result, "history": []})
        if len(entry["history"]) < CHECK_HISTORY:
            entry["history"].insert(0, result)
    return sorted(without_retired(checks).values(), key=lambda entry: (entry["latest"]["passed"], entry["name"]))


def without_retired(verdicts: dict[str, dict]) -> dict[str, dict]:
    """Leave out the checks that are retired: no longer a file under checks/, and not recorded since the
    current checks last ran (hub_keys_unique, say), so an old failure of theirs does not count forever."""
    current = {path.stem for path in check_paths()}
    newest = max((v["latest"]["checked_at"] for name, v in verdicts.items() if name in current), default=None)
    return {
        name: verdict
        for name, verdict in verdicts.items()
        if name in current or newest is None or verdict["latest"]["checked_at"] > newest
    }
