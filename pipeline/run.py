"""One run of the pipeline: bind the databases, apply migrations, run every transform in order."""

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from pipeline import ChecksFailed, PipelineError, RunInterrupted, checks, embedded, guard, mart, transforms, warehouse
from pipeline.config import Config, dsn_parts, masked_repr, scrub, secrets_of
from pipeline.log import Log
from pipeline.steps import StepResult, WarehouseConnections, elapsed_ms, run_step
from pipeline.warehouse import first_line

# Independent steps run side by side, each in its own transaction on its own connection: as many as a
# slices() block's parts, so that either keeps the same number of warehouse backends busy.
PARALLEL_STEPS = transforms.SLICES


class StopRequest(threading.Event):
    """Set by a signal handler: no further step starts, and the run is recorded as interrupted."""

    reason = "a stop request"

    def request(self, reason: str) -> None:
        self.reason = reason
        self.set()


STOP = StopRequest()


@dataclass(frozen=True)
class Endpoints:
    """Where the three databases are, once the embedded default has filled the gaps in the config."""

    source_dsn: str
    warehouse_dsn: str
    clickhouse_url: str
    warehouse_dsn_for_mart: str | None = None
    warehouse_admin_dsn: str | None = None

    __repr__ = masked_repr

    @property
    def warehouse_admin(self) -> str:
        """Who applies migrations and binds the source: the schema's owner."""
        return self.warehouse_admin_dsn or self.warehouse_dsn

    @property
    def warehouse_for_mart(self) -> str:
        """The warehouse's address as the ClickHouse server reaches it."""
        return self.warehouse_dsn_for_mart or self.warehouse_dsn


def resolve(config: Config) -> Endpoints:
    """The configured databases; what is not configured comes from the embedded default in DATA_DIR."""
    server = None
    if not (config.source_dsn and config.warehouse_dsn):
        server = embedded.start_postgres(config.data_dir)
    return Endpoints(
        source_dsn=config.source_dsn or embedded.ensure_demo_source(server),
        warehouse_dsn=config.warehouse_dsn or embedded.ensure_warehouse(server),
        clickhouse_url=config.clickhouse_url or f"chdb://{config.data_dir / 'chdb'}",
        warehouse_dsn_for_mart=config.warehouse_dsn_for_mart,
        warehouse_admin_dsn=config.warehouse_admin_dsn,
    )


def run_once(
    endpoints: Endpoints,
    log: Log | None = None,
    when_busy: str = "wait",
    select: list[str] | None = None,
    check: bool = True,
    full_check_every: int | None = None,
    max_delete_share: float = guard.DEFAULT_MAX_DELETE_SHARE,
    allow_mass_delete: bool = False,
) -> list[StepResult] | None:
    """Run the whole pipeline once; raise PipelineError naming the database that failed.

    One run at a time per warehouse: when another run holds the lock, wait for it (when_busy="wait")
    or record a skipped run and return None (when_busy="skip"). After a complete run the data checks
    run on what it touched (check=False skips them) and are recorded with it; then, when the last
    whole-table checks are older than full_check_every seconds, those too. A run that would mark
    deleted more than `max_delete_share` of an entity's current keys, or all of them, fails before
    writing the vault (pipeline/guard.py), unless `allow_mass_delete`."""
    log = log or Log()
    meta = warehouse.connect(endpoints.warehouse_dsn, autocommit=True)
    try:
        if not warehouse.try_run_lock(meta):
            if when_busy == "skip":
                log.message("another run holds this warehouse's run lock: skipping this run")
                record_skipped(meta)
                return None
            log.message("another run holds this warehouse's run lock: waiting for it to finish")
            warehouse.wait_run_lock(meta)
        the_mart = mart.connect(endpoints.clickhouse_url)  # chDB's worker starts while the warehouse is prepared
        prepare(meta, endpoints, log)
        deletes = guard.Limit(max_delete_share, allow_mass_delete)
        with ThreadPoolExecutor(max_workers=1) as background:  # the mart is readied while the delta steps run
            mart_ready = background.submit(prepare_mart, meta, endpoints, the_mart, log)
            after_run = ChecksAfterRun(endpoints.warehouse_dsn, the_mart, mart_ready, log)
            checking = check and not select  # a part of the pipeline is not checked
            early = after_run.vault_written if checking else None
            try:
                run_id, load_ts, results = run_steps(meta, endpoints, the_mart, log, select, mart_ready, deletes, early)
            except BaseException:
                after_run.abandon()
                raise
        with ThreadPoolExecutor(max_workers=1) as background:  # the oddities are counted while the checks run
            counted = background.submit(count_oddities, meta, run_id, results, log)
            if checking:
                checked, scope = after_run.finish(meta, run_id, load_ts)
                report_checks(checked, log, scope)
                if full_check_every is not None and full_check_due(meta, full_check_every):
                    log.message(f"the whole-table checks are due (every {full_check_every} s)")
                    whole = checks.run_checks(meta, endpoints.warehouse_dsn, the_mart, run_id, checks.FULL_AFTER_RUN)
                    report_checks(whole, log, checks.FULL_AFTER_RUN)
            counted.result()
        return results
    except psycopg.Error as error:  # the run log's own statements: the warehouse failed, or the source
        database, reason = warehouse.blame(error)
        raise PipelineError(database, reason, transient=warehouse.is_transient(error)) from None
    finally:
        meta.close()


class ChecksAfterRun:
    """The checks that follow a run, in its scope. The warehouse's start once the run has written the vault
    (`vault_written`), beside the steps that stage and load the mart, which they do not read; unless the run
    loads an empty mart: a first load's mart step and its checks each keep both cores busy, and side by side
    they only share them, and the mart step took about twice as long. The mart's checks follow the run
    (`finish`)."""

    def __init__(self, warehouse_dsn: str, the_mart: mart.Mart, mart_ready: Future, log: Log):
        self.warehouse_dsn, self.the_mart, self.mart_ready, self.log = warehouse_dsn, the_mart, mart_ready, log
        self.started: checks.Pass | None = None

    def scope(self, load_ts: datetime) -> checks.Scope:
        return checks.Scope(run_ts=load_ts, mart_was_empty=self.mart_ready.result() is None)

    def vault_written(self, load_ts: datetime) -> None:
        scope = self.scope(load_ts)
        if not scope.mart_was_empty:
            self.log.message("the vault is written: its checks start, beside the mart's load")
            self.started = checks.Pass(self.warehouse_dsn, self.the_mart, scope)
            self.started.start_warehouse()

    def finish(self, meta: psycopg.Connection, run_id: int, load_ts: datetime) -> tuple[list, checks.Scope]:
        """Every check's result, recorded, and their scope."""
        the_pass = self.started or checks.Pass(self.warehouse_dsn, self.the_mart, self.scope(load_ts))
        return the_pass.finish(meta, run_id), the_pass.scope

    def abandon(self) -> None:
        """The run failed: wait for the checks started, and record none."""
        if self.started:
            self.started.abandon()


def full_check_due(meta: psycopg.Connection, every_s: int) -> bool:
    last = warehouse.last_full_check(meta)
    return last is None or (datetime.now(UTC) - last[0]).total_seconds() >= every_s


def report_checks(results: list, log: Log, scope: checks.Scope) -> None:
    """Log every check; raise if one failed, naming it and a few offending keys."""
    for result in results:
        verdict = "ok" if result.passed else f"FAILED: {result.offending}"
        log.message(
            f"check {result.name} ({result.database}, {scope.name} scope, {result.ms} ms): {verdict}",
            check=result.name,
            passed=result.passed,
            scope=scope.name,
            ms=result.ms,
        )
    failed = [result for result in results if not result.passed]
    if failed:
        first = failed[0]
        raise ChecksFailed(first.database, f"check {first.name} failed: {first.offending}")


def record_skipped(meta: psycopg.Connection) -> None:
    # the run log may not exist yet, while the other run applies the very first migrations
    with contextlib.suppress(psycopg.errors.UndefinedTable):
        warehouse.record_skipped_run(meta, "another run held the run lock")


def prepare(meta: psycopg.Connection, endpoints: Endpoints, log: Log) -> None:
    """Migrations and the source binding, as the schema's owner (WAREHOUSE_ADMIN_DSN when the runner's
    own role may not change the schema: then the source's user mapping is made for that role)."""
    for migration in warehouse.migrate(endpoints.warehouse_admin):
        log.message(f"warehouse migration applied: {migration}")
    runner = dsn_parts(endpoints.warehouse_dsn, "warehouse").get("user") if endpoints.warehouse_admin_dsn else None
    warehouse.abandon_stale_runs(meta)
    try:
        if endpoints.warehouse_admin_dsn:
            with warehouse.connect(endpoints.warehouse_admin_dsn, autocommit=True) as admin:
                warehouse.bind_source(admin, endpoints.source_dsn, runner=runner)
        else:
            warehouse.bind_source(meta, endpoints.source_dsn)
    except psycopg.Error as error:
        message = f"cannot bind the source server: {scrub(first_line(error), secrets_of(endpoints.source_dsn))}"
        raise PipelineError("warehouse", message, transient=warehouse.is_transient(error)) from None


def prepare_mart(meta: psycopg.Connection, endpoints: Endpoints, the_mart: mart.Mart, log: Log) -> datetime | None:
    """Mart migrations and the warehouse's named collection; returns the load_ts of the last run that
    reached the mart (None: the mart is empty, and is loaded whole)."""
    for migration in mart.migrate(the_mart):
        log.message(f"mart migration applied: {migration}")
    mart.bind_warehouse(the_mart, endpoints.warehouse_for_mart)
    return warehouse.last_complete_run(meta) if the_mart.has_rows(the_mart.data_table) else None


def run_steps(
    meta: psycopg.Connection,
    endpoints: Endpoints,
    the_mart: mart.Mart,
    log,
    select,
    mart_ready: Future,
    deletes: guard.Limit,
    vault_written: Callable[[datetime], None] | None = None,
) -> tuple[int, datetime, list[StepResult]]:
    """Every step of one run, recorded as run `run_id`; returns it with its load_ts and the steps' results.
    `mart_ready` gives the load_ts of the last run that reached the mart (None: the mart is empty): the
    delta steps, which need nothing of the mart, run before it is asked for (chDB's worker starts meanwhile).
    `vault_written(load_ts)` is called, when a whole run is asked for, once every vault step has succeeded
    (while the mart's rows are staged and loaded)."""
    run_id, load_ts = warehouse.start_run(meta)
    renderer = transforms.Renderer(
        transforms.discover(), load_ts, the_mart.database, mart_data_table=the_mart.data_table
    )
    results = []
    connections = WarehouseConnections(endpoints.warehouse_dsn)

    def run_one(step: transforms.Step) -> StepResult:
        log.step_started(step.name)
        try:
            return run_step(meta, run_id, step, connections, the_mart)
        finally:
            log.step_ended(step.name)

    vault_pending = set()

    def done(result: StepResult) -> None:
        log.step(run_id, result.step, result.rows, result.ms)
        results.append(result)
        if result.step in vault_pending:
            vault_pending.discard(result.step)
            if not vault_pending and vault_written:
                vault_written(load_ts)

    started = time.monotonic()
    try:
        # what the mart holds is not known yet: good for the delta steps only
        steps = transforms.select(transforms.plan_steps(renderer.transforms, renderer), select)
        log.message(f"run {run_id}: {len(steps)} steps, load_ts {load_ts.isoformat()}", run_id=run_id)
        # the delta first; the guard reads it before any step writes the vault or the mart
        delta = guard.delta_steps(steps)
        run_in_parallel(transforms.only(steps, delta), run_one, done, workers=PARALLEL_STEPS)
        guard.check(meta, delta, deletes, log)
        renderer.mart_loaded_until = mart_ready.result()
        steps = transforms.select(transforms.plan_steps(renderer.transforms, renderer), select)
        vault_pending.update(
            step.transform.target(the_mart.database) for step in steps.values() if step.transform.layer == "vault"
        )
        run_in_parallel(transforms.only(steps, steps.keys() - delta), run_one, done, workers=PARALLEL_STEPS)
    except BaseException as error:
        status = "interrupted" if isinstance(error, RunInterrupted | KeyboardInterrupt) else "failed"
        record_end(meta, run_id, status, str(error) or type(error).__name__)
        raise
    finally:
        connections.close()
    record_end(meta, run_id, "success")
    total_rows = sum(result.rows for result in results if not result.step.startswith("staging."))
    log.message(
        f"run {run_id}: success, {total_rows} rows written to the vault and mart in {elapsed_ms(started)} ms",
        run_id=run_id,
        status="success",
        rows=total_rows,
        ms=elapsed_ms(started),
    )
    return run_id, load_ts, results


def count_oddities(meta: psycopg.Connection, run_id: int, results: list[StepResult], log) -> None:
    """Record the oddities of the source that the run's current state shows, and say which occur."""
    vault_rows = sum(result.rows for result in results if result.step.startswith("vault."))
    oddities = warehouse.oddities(meta, run_id, changed=vault_rows > 0)
    if oddities:
        log.message("oddities in the source: " + ", ".join(f"{count} {what}" for what, count in oddities))


def record_end(meta: psycopg.Connection, run_id: int, status: str, error: str | None = None) -> None:
    """Record how the run ended, if the warehouse can still be reached; if not, the next run that
    takes the lock records it as failed."""
    with contextlib.suppress(psycopg.Error):
        warehouse.finish_run(meta, run_id, status, error)


def run_in_parallel(steps: dict[str, transforms.Step], run_one, done, workers: int) -> None:
    """Run each step once its dependencies are done, up to `workers` at a time. After a failure no
    step starts; the running ones finish (each is its own transaction), then the error is raised."""
    graph = transforms.sorter(steps)
    failure = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {}
        while failure is None and graph.is_active():
            if STOP.is_set():
                failure = RunInterrupted(STOP.reason)
                break
            for step in sorted((steps[name] for name in graph.get_ready()), key=transforms.step_key):
                running[pool.submit(run_one, step)] = step.name
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                try:
                    done(future.result())
                    graph.done(name)
                except BaseException as error:
                    failure = failure or error
        wait(running)
    if failure is not None:
        raise failure


def check_now(endpoints: Endpoints, log: Log) -> None:
    """The whole-table data checks on demand, recorded without a run. They take the run lock (waiting
    for a run in progress), so a run never meets them half-way: they re-create the named collection
    its mart step reads through, and would see a half-loaded mart."""
    with warehouse.connect(endpoints.warehouse_dsn, autocommit=True) as meta:
        if not warehouse.try_run_lock(meta):
            log.message("a run holds this warehouse's run lock: waiting for it to finish")
            warehouse.wait_run_lock(meta)
        the_mart = mart.connect(endpoints.clickhouse_url)
        mart.bind_warehouse(the_mart, endpoints.warehouse_for_mart)
        report_checks(checks.run_checks(meta, endpoints.warehouse_dsn, the_mart), log, checks.FULL)
