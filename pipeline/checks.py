"""Data checks: each file under checks/<warehouse|mart>/ is a query, run inside that database, that
returns the offending rows (table, key); no rows, the check passes. Recorded in meta.check_result.

Two tiers, from the same files: after a run, each check is rendered `scoped` to the keys that run
touched (its delta in staging, the rows it wrote, the mart rows it reloaded), so it costs what the run
changed; on demand (`runner.py check`) and on the scheduler's cadence, whole tables (`full`)."""

import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline import PipelineError, transforms, warehouse
from pipeline.mart import Mart, warehouse_table
from pipeline.transforms import sql_timestamp

ROOT = Path(__file__).resolve().parent.parent / "checks"
EXAMPLES = 5
# The warehouse's checks share this many connections: after a first load its largest check alone takes
# about as long as all the mart's, and on one connection the rest would wait behind it.
WAREHOUSE_CONNECTIONS = 2


@dataclass
class CheckResult:
    name: str
    database: str
    failures: int
    examples: list[str]
    ms: int = 0

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def offending(self) -> str:
        return f"{self.failures} offending, e.g. {'; '.join(self.examples)}"


@dataclass(frozen=True)
class Scope:
    """What a check looks at: whole tables, or what one run touched (the run of load_ts `run_ts`). A run
    that loaded an empty mart (`mart_was_empty`) touched every mart row: its mart checks look at the whole
    mart, compared with rows assembled from the warehouse's current state, as that run loaded them."""

    run_ts: datetime | None = None
    mart_was_empty: bool = False
    # whole tables right after a run (the scheduler's cadence): the source's ids as that run read them
    source_as_read: bool = False

    @property
    def name(self) -> str:
        return "full" if self.run_ts is None else "run"

    @property
    def reads_recorded_source(self) -> bool:
        """Whether source_matches_vault compares with the source's ids as the last run recorded them."""
        return self.run_ts is not None or self.source_as_read


FULL = Scope()
FULL_AFTER_RUN = Scope(source_as_read=True)


def render(path: Path, the_mart: Mart, scope: Scope = FULL) -> str:
    def warehouse(schema: str, table: str) -> str:
        return warehouse_table(the_mart.database, schema, table)

    # the transforms' macros too: the check after a first load assembles the mart's rows as that load did
    env = Environment(
        loader=FileSystemLoader(str(transforms.ROOT)), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(path.read_text()).render(
        mart=the_mart.database,
        mart_data=f"{the_mart.database}.{the_mart.data_table}",  # on a cluster, the Distributed table
        warehouse=warehouse,
        scope=f"{the_mart.database}.stage_dm_scope",  # the run's staging.stg_dm_scope, as its mart step copied it
        scoped=scope.run_ts is not None,
        source_as_read=scope.reads_recorded_source,
        mart_was_empty=scope.mart_was_empty,
        run_ts=sql_timestamp(scope.run_ts, "warehouse"),
    )


def run_check(path: Path, meta, the_mart: Mart, scope: Scope = FULL) -> CheckResult:
    database = path.parent.name
    query = render(path, the_mart, scope)
    counted = f"SELECT count(*) OVER () AS failures, tbl, offending_key FROM ({query}) AS offending LIMIT {EXAMPLES}"
    started = time.monotonic()
    try:
        rows = meta.execute(counted).fetchall() if database == "warehouse" else the_mart.execute(counted)
    except PipelineError as error:
        raise PipelineError(error.database, f"check {path.stem} could not run: {error.reason}") from None
    except Exception as error:  # in the warehouse: its own failure, or the source's through postgres_fdw
        failed, reason = warehouse.blame(error)
        raise PipelineError(failed, f"check {path.stem} could not run: {reason}") from None
    failures = rows[0][0] if rows else 0
    ms = round((time.monotonic() - started) * 1000)
    return CheckResult(path.stem, database, failures, [f"{table} {key}" for _, table, key in rows], ms)


def paths(database: str = "*") -> list[Path]:
    """Every check's file, or those of one database ("mart", "warehouse")."""
    return sorted(ROOT.glob(f"{database}/*.sql"))


def run_checks(
    meta, warehouse_dsn: str, the_mart: Mart, run_id: int | None = None, scope: Scope = FULL
) -> list[CheckResult]:
    """Every check, recorded."""
    return Pass(warehouse_dsn, the_mart, scope).finish(meta, run_id)


class Pass:
    """One pass of every check in one scope. The two databases work at once: the mart's checks one after
    the other, and beside them the warehouse's, on WAREHOUSE_CONNECTIONS connections of their own that
    each take the next one. The warehouse's may start first (`start_warehouse`): a run starts them once it
    has written the vault, while its last steps load the mart, which they do not read."""

    def __init__(self, warehouse_dsn: str, the_mart: Mart, scope: Scope = FULL):
        self.warehouse_dsn, self.the_mart, self.scope = warehouse_dsn, the_mart, scope
        self.pool = ThreadPoolExecutor(max_workers=WAREHOUSE_CONNECTIONS)
        self.warehouse_sides: list[Future] = []

    def start_warehouse(self) -> None:
        if self.warehouse_sides:
            return
        pending = queue.SimpleQueue()
        for path in paths("warehouse"):
            pending.put(path)
        self.warehouse_sides = [
            self.pool.submit(run_warehouse_checks, pending, self.warehouse_dsn, self.the_mart, self.scope)
            for _ in range(WAREHOUSE_CONNECTIONS)
        ]

    def finish(self, meta, run_id: int | None = None) -> list[CheckResult]:
        """The mart's checks, here, beside the warehouse's (started now if not yet); all recorded."""
        with self.pool:
            self.start_warehouse()
            mart_results = [run_check(path, None, self.the_mart, self.scope) for path in paths("mart")]
            warehouse_results = [result for side in self.warehouse_sides for result in side.result()]
        results = mart_results + sorted(warehouse_results, key=lambda result: result.name)
        warehouse.record_checks(meta, run_id, results, self.scope.name)
        return results

    def abandon(self) -> None:
        """Wait for the checks started, and drop their results: the run they were to follow failed."""
        self.pool.shutdown(wait=True)


def run_warehouse_checks(pending: queue.SimpleQueue, warehouse_dsn: str, the_mart: Mart, scope: Scope) -> list:
    """Warehouse checks taken from `pending` until none is left, on a connection of this thread's own."""
    results = []
    with warehouse.connect(warehouse_dsn, autocommit=True) as own:
        # One backend each: the mart's checks read the warehouse meanwhile through one backend of their
        # own, which parallel workers starved of the cores (slower in all, and more CPU).
        own.execute("SET max_parallel_workers_per_gather = 0")
        while True:
            try:
                path = pending.get_nowait()
            except queue.Empty:
                return results
            results.append(run_check(path, own, the_mart, scope))
