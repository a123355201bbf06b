"""One step of a run: a transaction in the warehouse (then its slices, each on a connection of its own)
or one INSERT … SELECT inside ClickHouse, recorded in the run log; the tables it filled analyzed."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from pipeline import PipelineError, transforms, warehouse
from pipeline.warehouse import first_line

# A step that wrote this share of its table's estimated rows analyzes the table (see worth_analyzing).
ANALYZE_SHARE = 0.1


@dataclass
class StepResult:
    step: str
    database: str
    rows: int
    ms: int


class WarehouseConnections:
    """One warehouse connection per worker thread, for its steps' transactions."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.local = threading.local()
        self.opened: list[psycopg.Connection] = []
        self.lock = threading.Lock()

    def get(self) -> psycopg.Connection:
        if not hasattr(self.local, "connection"):
            self.local.connection = warehouse.connect(self.dsn)
            with self.lock:
                self.opened.append(self.local.connection)
        return self.local.connection

    def close(self) -> None:
        for connection in self.opened:
            connection.close()


def run_step(meta, run_id: int, step: transforms.Step, connections: WarehouseConnections, the_mart) -> StepResult:
    """One step: a transaction in the warehouse (then its slices, if it has any), or one INSERT … SELECT
    inside ClickHouse."""
    transform = step.transform
    target = transform.target(the_mart.database)
    warehouse.start_step(meta, run_id, target, transform.engine)
    started = time.monotonic()
    try:
        if transform.engine == "warehouse":
            work = connections.get()
            rows = execute_in_warehouse(work, step.sql) + execute_slices(work, connections, step.slices)
        else:
            rows = the_mart.run_script(step.sql)
    except BaseException as error:
        database, reason = explain(error)
        message = f"step {target} failed: {reason}"
        warehouse.finish_step(meta, run_id, target, "failed", None, elapsed_ms(started), message)
        if database is None:
            raise
        raise PipelineError(database, message, transient=warehouse.is_transient(error)) from None
    ms = elapsed_ms(started)
    warehouse.finish_step(meta, run_id, target, "success", rows, ms)
    return StepResult(target, transform.engine, rows, ms)


def explain(error: BaseException) -> tuple[str | None, str]:
    """The database an error comes from (None: no database's, a bug or an interrupt) and its reason."""
    if isinstance(error, psycopg.Error):
        return warehouse.blame(error)
    if isinstance(error, PipelineError):
        return error.database, error.reason
    return None, first_line(error)


def execute_in_warehouse(work: psycopg.Connection, sql: str) -> int:
    """Run a transform's statements in one transaction; return the rows they inserted. Every table
    they changed enough to mislead the planner (the step's own, and the current state a satellite
    step keeps beside its history) is analyzed before the commit."""
    with work.transaction():
        rows, changes = execute_statements(work, sql)
        analyze(work, changes)
    return rows


def execute_slices(work: psycopg.Connection, connections: WarehouseConnections, slices: tuple[str, ...]) -> int:
    """A step's slices (after its transaction has committed): all at once, each in a transaction of its own
    on a connection of its own; then, on the step's connection, the tables they changed enough are analyzed
    (see worth_analyzing) and their inserted rows returned. A failed slice fails the step once the others
    have ended; what the others committed stays, which only a staging table, rebuilt every run, may allow."""
    if not slices:
        return 0

    def execute_slice(connection: psycopg.Connection, sql: str) -> tuple[int, list[tuple[str, int, float]]]:
        with connection.transaction():
            return execute_statements(connection, sql)

    with ThreadPoolExecutor(max_workers=max(len(slices) - 1, 1)) as pool:  # the first on the step's connection
        others = [pool.submit(lambda sql: execute_slice(connections.get(), sql), sql) for sql in slices[1:]]
        results = [execute_slice(work, slices[0])] + [future.result() for future in others]
    changed: dict[str, tuple[int, float]] = {}
    for _, changes in results:
        for table, count, estimate in changes:
            changed[table] = (changed.get(table, (0, estimate))[0] + count, estimate)
    with work.transaction():
        analyze(work, [(table, count, estimate) for table, (count, estimate) in changed.items()])
    return sum(rows for rows, _ in results)


def execute_statements(work: psycopg.Connection, sql: str) -> tuple[int, list[tuple[str, int, float]]]:
    """Run statements inside the current transaction; return the rows they inserted, and each table the
    transaction changed with its count of changed rows and its row estimate."""
    rows = 0
    cursor = work.execute(sql)
    while True:
        rows += max(cursor.rowcount, 0) if (cursor.statusmessage or "").startswith("INSERT") else 0
        if not cursor.nextset():
            break
    return rows, work.execute(CHANGED_IN_THIS_TRANSACTION).fetchall()


def analyze(work: psycopg.Connection, changes: list[tuple[str, int, float]]) -> None:
    for changed, count, estimate in changes:
        if worth_analyzing(count, estimate):
            work.execute(f"ANALYZE {changed}")


# the tables this transaction wrote, how many rows (PostgreSQL's statistics of the transaction), and
# the planner's row estimate of each
CHANGED_IN_THIS_TRANSACTION = (
    "SELECT s.relid::regclass::text, s.n_tup_ins + s.n_tup_upd + s.n_tup_del, c.reltuples"
    " FROM pg_stat_xact_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid"
    " WHERE s.schemaname IN ('staging', 'vault') AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0"
)


def worth_analyzing(rows: int, estimate: float) -> bool:
    """A table with no row estimate (new, or truncated by this step: every staging table, and a first
    load's vault tables) or one that grew by ANALYZE_SHARE or more. A smaller delta leaves the
    statistics to autovacuum, whose own threshold is the same 10%: analyzing a big satellite for a small
    delta would read it every run, and its first ANALYZE after a first load would also set the hint bits
    of every page, each logged whole."""
    return estimate < 0 or rows >= ANALYZE_SHARE * estimate


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
