"""Benchmark the pipeline as users run it, on two warehouses side by side: wall time, the data checks'
share of it, CPU and peak memory.

    python bench/benchmark.py [--sizes 10000,100000,1000000] [--data-dir /tmp/bench] [--steps]
                              [--warehouses embedded,stock] [--no-check] [--baseline] [--builds DIR,DIR]

What is run is the default command, `python runner.py once`: the run and the data checks after it
(their share is timed apart, from the runner's log). Two warehouses, each with its own generated
source, fresh warehouse database and fresh chDB mart:

- embedded: the zero-configuration default, the pip-installed PostgreSQL 18 in DATA_DIR/postgres with
  the settings pipeline/embedded.py gives it; the source is a database on that same server.
- stock: Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin), initialized afresh in DATA_DIR/pg15 and
  started with its default configuration, as a team's existing server would be: nothing is tuned
  (the runner's own per-session settings apply, as they do on any server). The source is a database
  on that same server, as on a user's existing server. It runs as the `postgres` user (PostgreSQL
  refuses root) and listens on a unix socket in DATA_DIR/pg15 only.

Three scenarios per size: first load, a rerun with nothing changed, a rerun after 1% of the lessons
changed (0.5% edited, 0.25% inserted, 0.25% deleted). Each scenario runs on one warehouse and then the
other, so on a shared machine both see the same moments. Before each run the benchmark waits until
autovacuum has done what the runs before it left (the vacuum and analysis of freshly written tables,
as it would long before a user's next run) on both servers: otherwise one server's autovacuum worked
through a first load's million rows on the cores the other's run was measured on. Every run is a
subprocess, measured from outside: wall time, the runner's and its chDB worker's peak RSS, the
server's peak RSS, CPU seconds (the runner with its chDB worker; the server's processes), and how long
an autovacuum worker of its own server ran beside it; and, just before it, how long a fixed loop of
Python took (speed_probe: the shared machine's speed then). After the first load, the stock server
also runs the reference of its target (bench/references.py automatedv: a warehouse-only Data Vault
load in the shape of AutomateDV's SQL, run by dbt), and the same SQL without dbt (automatedv-sql),
measured the same way. Prints markdown tables; asserts
nothing. --no-check runs `once --no-check` instead (the figures of earlier READMEs); --baseline adds
the original system's pandas approach (bench/references.py baseline), on the embedded server (slow at
1M).

--builds compares checkouts of the project (say, one made by `git worktree add /tmp/before <commit>`):
each warehouse server then runs every build, each in a warehouse database and chDB mart of its own, on
the server's one source, and every table has a column for each (warehouse, build), labelled with the
build's commit. The builds run one after the other in each scenario, in the order given for the first
size, reversed for the second, and so on: a size given twice (--sizes 1000000,1000000) measures both
orders in one run, as a comparison on a shared machine needs (the first of a pair can find the disk or
autovacuum in another state than the second).
"""

import argparse
import atexit
import contextlib
import itertools
import multiprocessing
import os
import platform
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from pipeline import embedded  # noqa: E402

SCENARIOS = ["first load", "no change", "1% change"]
PG15 = Path("/usr/lib/postgresql/15/bin")
REFERENCES = ROOT / "bench" / "references.py"
STOCK_PORT = 5432  # a unix socket in the benchmark's own directory: no clash with another server
STEP_LINE = re.compile(r"(\S+)\s+(\d+) rows\s+(\d+) ms\s*$")  # "<step> <rows> rows <ms> ms" ends a line
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")  # how a text log line starts
RUN_END_LINE = re.compile(r"run \d+: success")
CHECK_LINE = re.compile(r"check (\S+) \((warehouse|mart)[^)]*\): ")  # "check <name> (<database>[, …]): …"
MB = 1024 * 1024
# The machine's speed at a moment: a fixed loop on one core, timed just before each run. A shared machine's
# speed moves from hour to hour and from day to day (the same build's first load at 1M took twice as long
# on one day as on another), and the figure tells such hours apart. It times one core only, not the memory
# and the disk a load also uses: it compares the hours of one machine, not two machines.
PROBE_ITERATIONS = 5_000_000

# Targets at 1M lessons (issue 13), default command: (warehouse, scenario) -> at most this many seconds
TARGETS = {
    ("stock", "first load"): 15.1,  # the dbt + AutomateDV warehouse-only load of the same data (the reference)
    ("stock", "no change"): 3.0,
    ("stock", "1% change"): 5.0,
    ("embedded", "first load"): 14.0,
    ("embedded", "no change"): 3.0,
}


@dataclass(frozen=True)
class Build:
    """A checkout of the project whose runner is measured."""

    label: str  # its commit, or its directory's name outside git
    root: Path


@dataclass(frozen=True)
class Column:
    """One (warehouse, build) the tables show: a warehouse's own when a single build runs."""

    key: str
    label: str
    warehouse: str  # the warehouse's key, for the targets


@dataclass
class Warehouse:
    """A PostgreSQL server that hosts a benchmark's source and warehouse databases."""

    key: str  # "embedded" or "stock"
    label: str
    server_dsn: str  # its `postgres` database
    postmaster: psutil.Process


@dataclass
class Measured:
    wall_s: float
    own_mb: float  # the runner process alone: peak of its sampled RSS
    engine_mb: float  # the runner's children (its chDB worker): peak of their summed RSS
    server_mb: float  # the PostgreSQL server's processes: peak of their summed RSS
    cpu_s: float  # the runner (wait4) and its chDB worker (sampled every 50 ms): user + system
    server_cpu_s: float  # the server's processes, backends included: user + system
    exit_code: int
    autovacuum_s: float  # how long an autovacuum worker of the server was seen during the run (every 0.5 s)
    stdout: str
    stderr: str
    probe_s: float | None = None  # speed_probe() just before the run
    pair_s: float | None = None  # pair_probe() just before the run
    checkpoints: int | None = None  # checkpoints the server began during the run (its WAL filled, or timed)
    checks_s: float | None = None  # the data checks after the run, from the log's timestamps
    check_ms: dict[str, int] = field(default_factory=dict)  # each check's own time, where meta records it

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass
class Result:
    lessons: int
    scenario: str
    runs: dict[str, Measured]  # by warehouse key
    baseline: Measured | None = None  # the original's pandas approach, on the embedded server
    reference: Measured | None = None  # the first-load target's reference (AutomateDV's shape under dbt), stock server
    reference_sql: Measured | None = None  # the same SQL without dbt, on the stock server


# --- measuring a subprocess -----------------------------------------------------------------------


def speed_probe() -> float:
    """Seconds a fixed loop of Python takes on one core now (the machine's speed; lower is faster)."""
    started = time.perf_counter()
    total = 0
    for number in range(PROBE_ITERATIONS):
        total += number * number
    return time.perf_counter() - started


def pair_probe() -> float:
    """Seconds each of two copies of speed_probe takes when both run at once (mean): about speed_probe's own
    time where the machine's two cores are two cores' worth, up to twice it where they share one."""
    with multiprocessing.get_context("fork").Pool(2) as pool:
        return statistics.mean(pool.starmap(speed_probe, [()] * 2))


def children(parent: psutil.Process) -> list[psutil.Process]:
    """A process's children now (listing them scans /proc: about 1 ms)."""
    try:
        return parent.children()
    except psutil.NoSuchProcess:
        return []


def rss(processes: list[psutil.Process]) -> int:
    """Summed RSS of processes now (a postmaster's backends, the runner's chDB worker)."""
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of each process so far, by pid."""
    seconds = {}
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


def server_cpu(postmaster: psutil.Process) -> dict:
    """CPU seconds of a server so far: the postmaster's own and its reaped children's (backends that
    ended), and each live child's by pid. The difference of two of these (cpu_between) is what the
    server spent in between, whichever backends came and went."""
    times = postmaster.cpu_times()
    live = {}
    for child in children(postmaster):
        with contextlib.suppress(psutil.NoSuchProcess):
            cpu = child.cpu_times()
            live[child.pid] = cpu.user + cpu.system
    return {"ended": times.user + times.system + times.children_user + times.children_system, "live": live}


def cpu_between(before: dict, after: dict) -> float:
    # a child live before and ended since is in after's "ended" with all its time: less what it had before
    return after["ended"] - before["ended"] + sum(after["live"].values()) - sum(before["live"].values())


def measure(command: list[str], env: dict, postmaster: psutil.Process, cwd: Path = ROOT) -> Measured:
    """Run command; its wall time, CPU and peak RSS (sampled every 50 ms: the process alone and its
    children apart), and the server's peak RSS and CPU. The process trees are listed again only every
    0.5 s: listing them every sample took about 6% of a core from what is measured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        server_peak = rss([postmaster, *children(postmaster)])
        own_peak = engine_peak = 0
        autovacuum_ticks = 0  # process-tree listings that found an autovacuum worker
        engine_cpu: dict[int, float] = {}  # the runner's children by pid: CPU seconds last seen
        done = threading.Event()
        child = None

        def sample() -> None:
            nonlocal server_peak, own_peak, engine_peak, autovacuum_ticks
            try:
                runner = psutil.Process(child.pid)
            except psutil.NoSuchProcess:  # gone already
                return
            for tick in itertools.count():
                if done.wait(0.05):
                    return
                if tick % 10 == 0:
                    server, engine = [postmaster, *children(postmaster)], children(runner)
                    autovacuum_ticks += any(is_autovacuum_worker(process) for process in server)
                server_peak = max(server_peak, rss(server))
                own_peak = max(own_peak, rss([runner]))
                engine_peak = max(engine_peak, rss(engine))
                engine_cpu.update(cpu_seconds(engine))

        cpu_before = server_cpu(postmaster)
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        time.sleep(0.2)  # the runner's backends end once it has gone
        cpu_after = server_cpu(postmaster)
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            own_mb=own_peak / MB,
            engine_mb=engine_peak / MB,
            server_mb=server_peak / MB,
            cpu_s=usage.ru_utime + usage.ru_stime + sum(engine_cpu.values()),
            server_cpu_s=cpu_between(cpu_before, cpu_after),
            exit_code=child.returncode,
            autovacuum_s=autovacuum_ticks * 0.5,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def is_autovacuum_worker(process: psutil.Process) -> bool:
    """A server process that vacuums or analyzes (its title: "postgres: autovacuum worker <database>")."""
    try:
        return "autovacuum worker" in " ".join(process.cmdline())
    except psutil.Error:
        return False


def checks_seconds(log: str) -> float | None:
    """How long the data checks after a run took, from the runner's log: from the line that ends the
    run to the last check line (None when no check ran)."""
    run_end = last_check = None
    for line in log.splitlines():
        stamp = TIMESTAMP.match(line)
        if not stamp:
            continue
        if RUN_END_LINE.search(line):
            run_end = datetime.fromisoformat(stamp[1])
        elif CHECK_LINE.search(line):
            last_check = datetime.fromisoformat(stamp[1])
    if run_end is None or last_check is None:
        return None
    return (last_check - run_end).total_seconds()


def check_durations(warehouse_dsn: str) -> dict[str, int]:
    """Each data check's time after the last run, where the warehouse records it (meta.check_result's
    duration_ms, migration 0019): {"check name (database)": ms}."""
    with psycopg.connect(warehouse_dsn) as conn:
        try:
            rows = conn.execute(
                "SELECT check_name, database, duration_ms FROM meta.check_result"
                " WHERE run_id = (SELECT max(run_id) FROM meta.run) AND duration_ms IS NOT NULL"
                " ORDER BY check_name"
            ).fetchall()
        except psycopg.errors.UndefinedColumn:  # a warehouse from before migration 0019
            return {}
    return {f"{name} ({database})": ms for name, database, ms in rows}


# --- the servers and databases --------------------------------------------------------------------


def start_embedded(data_dir: Path) -> Warehouse:
    """The embedded default's server, with its own settings; it stops when this process exits."""
    server_dsn = embedded.start_postgres(data_dir)
    pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    return Warehouse("embedded", "embedded PostgreSQL 18", server_dsn, psutil.Process(pid))


def start_stock(data_dir: Path) -> Warehouse:
    """Debian's PostgreSQL 15, initialized afresh with its default configuration and started on a unix
    socket in data_dir/pg15, as the `postgres` user; stopped when this process exits."""
    if not (PG15 / "postgres").exists():
        sys.exit("error: bench: PostgreSQL 15 is not installed (apt-get install postgresql-15), or leave it out"
                 " with --warehouses embedded")  # fmt: skip
    base = data_dir / "pg15"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if base.exists():
        stop_stock(base, as_postgres)
        shutil.rmtree(base)
    base.mkdir(parents=True)
    if as_postgres:
        account = pwd.getpwnam("postgres")
        os.chown(base, account.pw_uid, account.pw_gid)
    pgdata = base / "data"
    subprocess.run(
        [*as_postgres, str(PG15 / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth-local=trust", "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {STOCK_PORT} -k {base} -c listen_addresses=''"  # where to listen: no setting is tuned
    subprocess.run(
        [*as_postgres, str(PG15 / "pg_ctl"), "-D", str(pgdata), "-o", options, "-l", str(base / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    atexit.register(stop_stock, base, as_postgres)
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    server_dsn = f"postgresql://postgres@/postgres?host={base}&port={STOCK_PORT}"
    return Warehouse("stock", "stock PostgreSQL 15", server_dsn, psutil.Process(pid))


def stop_stock(base: Path, as_postgres: list[str]) -> None:
    if (base / "data" / "postmaster.pid").exists():
        subprocess.run(
            [*as_postgres, str(PG15 / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )  # fmt: skip


def fresh_database(server_dsn: str, name: str) -> str:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    embedded.ensure_database(server_dsn, name)
    return embedded.database_dsn(server_dsn, name)


def change_one_percent(source_dsn: str) -> tuple[int, int, int]:
    """Update 0.5% of lessons' descriptions, insert 0.25% new lessons, delete 0.25%; set-based."""
    with psycopg.connect(source_dsn) as conn:
        count, top = conn.execute("SELECT count(*), max(id) FROM stream_module_lesson").fetchone()
        updated = conn.execute(
            "UPDATE stream_module_lesson SET description = description || ' (edited)' WHERE id % 200 = 0"
        ).rowcount
        deleted = conn.execute("DELETE FROM stream_module_lesson WHERE id % 400 = 1").rowcount
        inserted = conn.execute(
            """
            INSERT INTO stream_module_lesson (id, title, description, start_at, end_at, homework_url, teacher_id,
                                              stream_module_id, online_lesson_join_url, online_lesson_recording_url)
            SELECT %(top)s + g, 'New lesson ' || g, 'new', '2024-01-01', '2024-01-02',
                   'https://www.example.edu/hw/new/' || g, g %% 50 + 1, module.id,
                   'https://www.example.edu/join/new/' || g, 'https://www.example.edu/rec/new/' || g
            FROM generate_series(1, %(new)s) AS g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS modules FROM stream_module)
                AS module ON module.n = g %% module.modules + 1
            """,
            {"top": top, "new": max(count // 400, 1)},
        ).rowcount
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        conn.execute("ANALYZE stream_module_lesson")
    return updated, inserted, deleted


def checkpoint(server_dsn: str) -> None:
    """Flush dirty buffers so a run does not pay for the writes of what came before it."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def checkpoints_so_far(server_dsn: str) -> int:
    """The checkpoints the server has begun, timed or requested (ours, and those a full WAL asked for)."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        if conn.info.server_version >= 170000:
            return conn.execute("SELECT num_timed + num_requested FROM pg_stat_checkpointer").fetchone()[0]
        return conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()[0]


# big tables (8 MB or more) past autovacuum's thresholds for a vacuum or an analysis, by its global
# settings (a table with autovacuum off is left out); reltuples below 0 (never counted) counts as 0,
# as autovacuum counts it
AUTOVACUUM_DUE = """
SELECT count(*)
FROM pg_stat_user_tables AS s
JOIN pg_class AS c ON c.oid = s.relid
WHERE pg_relation_size(c.oid) >= 8 * 1024 * 1024
  AND NOT coalesce(c.reloptions @> ARRAY['autovacuum_enabled=false'], false)
  AND (s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
                      + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)
       OR (current_setting('autovacuum_vacuum_insert_threshold')::float8 >= 0
           AND s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8
               + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0))
       OR s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
                                + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0))
"""
AUTOVACUUM_WORKING = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
SETTLE_TIMEOUT_S = 180  # autovacuum visits each database once a minute (autovacuum_naptime)


def settle(setups: list["Setup"]) -> None:
    """Wait until autovacuum has no work left from earlier runs in any benchmark database and no worker
    busy, on every server, as it would by a user's next run; give up after SETTLE_TIMEOUT_S."""
    started = time.monotonic()
    while True:
        busy = []
        for setup in setups:
            with psycopg.connect(setup.warehouse.server_dsn, autocommit=True) as conn:
                working = conn.execute(AUTOVACUUM_WORKING).fetchone()[0]
            due = 0
            for dsn in (setup.warehouse_dsn, setup.source_dsn):
                with psycopg.connect(dsn, autocommit=True) as conn:
                    due += conn.execute(AUTOVACUUM_DUE).fetchone()[0]
            if working or due:
                busy.append(f"{setup.warehouse.key}: {working} autovacuum workers, {due} tables due")
        waited = time.monotonic() - started
        if not busy:
            if waited >= 1:
                print(f"autovacuum done after {waited:.0f} s", flush=True)
            return
        if waited >= SETTLE_TIMEOUT_S:
            print(f"autovacuum not done after {waited:.0f} s ({'; '.join(busy)}): measuring anyway", flush=True)
            return
        time.sleep(1)


# --- one size ---------------------------------------------------------------------------------------


@dataclass
class Setup:
    """One build's databases on one warehouse server for one size, and the environment its runner gets."""

    warehouse: Warehouse
    build: Build
    column: Column
    lessons: int  # in its source: the size asked for, rounded to whole generated courses
    source_dsn: str
    warehouse_dsn: str
    env: dict


def columns_of(warehouses: list[Warehouse], builds: list[Build]) -> list[Column]:
    if len(builds) == 1:
        return [Column(w.key, w.label, w.key) for w in warehouses]
    return [Column(f"{w.key}-{b.label}", f"{w.label} @ {b.label}", w.key) for w in warehouses for b in builds]


def set_up(warehouse: Warehouse, builds: list[Build], size: int, data_dir: Path) -> list[Setup]:
    """The server's generated source, and for each build a fresh warehouse database and chDB mart."""
    source = fresh_database(warehouse.server_dsn, "bench_source")
    started = time.monotonic()
    lessons = generate(source, size)
    print(f"{warehouse.label}: source generated, {lessons} lessons in {time.monotonic() - started:.1f} s", flush=True)
    setups = []
    for number, (build, column) in enumerate(zip(builds, columns_of([warehouse], builds), strict=True)):
        warehouse_dsn = fresh_database(warehouse.server_dsn, "bench_warehouse" + (f"_{number + 1}" if number else ""))
        chdb = data_dir / f"chdb-{column.key}-{size}"
        shutil.rmtree(chdb, ignore_errors=True)
        env = {
            **os.environ,
            "SOURCE_DSN": source,
            "WAREHOUSE_DSN": warehouse_dsn,
            "CLICKHOUSE_URL": f"chdb://{chdb}",
            "DATA_DIR": str(data_dir / f"runner-{column.key}"),
        }
        setups.append(Setup(warehouse, build, column, lessons, source, warehouse_dsn, env))
    return setups


def reference_command(kind: str, server_dsn: str, database: str, source_dsn: str) -> list[str]:
    """A load of bench/references.py into a fresh database of the given server, as a command to measure."""
    target = fresh_database(server_dsn, database)
    return [sys.executable, str(REFERENCES), kind, source_dsn, target]


def measure_on(setup: Setup, command: list[str], setups: list[Setup]) -> Measured:
    """A command run against one warehouse's server, measured as every run is: once autovacuum is done on
    both servers and this one has checkpointed, with the machine's speed probed just before."""
    settle(setups)
    checkpoint(setup.warehouse.server_dsn)
    probe_s, pair_s = speed_probe(), pair_probe()
    checkpoints = checkpoints_so_far(setup.warehouse.server_dsn)
    run = measure(command, setup.env, setup.warehouse.postmaster, cwd=setup.build.root)
    run.probe_s, run.pair_s = probe_s, pair_s
    run.checkpoints = checkpoints_so_far(setup.warehouse.server_dsn) - checkpoints
    return run


def bench_size(size: int, warehouses: list[Warehouse], builds: list[Build], data_dir: Path, args) -> list[Result]:
    order = f", builds in the order {', '.join(build.label for build in builds)}" if len(builds) > 1 else ""
    print(f"\n## {size} lessons{order}", flush=True)
    setups = [setup for warehouse in warehouses for setup in set_up(warehouse, builds, size, data_dir)]
    by_key = {}  # each warehouse's first setup: its source, and the server the references use
    for setup in setups:
        by_key.setdefault(setup.warehouse.key, setup)
    runner = [sys.executable, "runner.py", "once", *(["--no-check"] if args.no_check else [])]
    baseline = None
    if args.baseline:
        embedded_setup = by_key["embedded"]
        baseline = reference_command(
            "baseline", embedded_setup.warehouse.server_dsn, "bench_baseline", embedded_setup.source_dsn
        )
    results = []
    for scenario in SCENARIOS:
        result = Result(setups[0].lessons, scenario, {})
        for setup in by_key.values():
            if scenario == "1% change":
                updated, inserted, deleted = change_one_percent(setup.source_dsn)
                print(f"{setup.warehouse.label}: source changed, {updated} updated, {inserted} inserted, "
                      f"{deleted} deleted", flush=True)  # fmt: skip
        for setup in setups:
            run = measure_on(setup, runner, setups)
            run.checks_s = checks_seconds(run.stdout)
            if run.ok and not args.no_check:
                run.check_ms = check_durations(setup.warehouse_dsn)
            report_run(f"{scenario}: {setup.column.label}", run)
            result.runs[setup.column.key] = run
        stock = by_key.get("stock")
        if stock and scenario == "first load":
            for kind, name, label in [("automatedv", "reference", "reference, stock"),
                                      ("automatedv-sql", "reference_sql", "its SQL alone, stock")]:  # fmt: skip
                command = reference_command(kind, stock.warehouse.server_dsn, f"bench_{name}", stock.source_dsn)
                setattr(result, name, measure_on(stock, command, setups))
                report_run(f"{scenario}: {label}", getattr(result, name), show_output=True)
        if baseline:
            result.baseline = measure_on(by_key["embedded"], baseline, setups)
            report_run(f"{scenario}: baseline", result.baseline, show_output=True)
        results.append(result)
    return results


def report_run(label: str, run: Measured, show_output: bool = False) -> None:
    line = f"{label:<40} {run.wall_s:7.2f} s"
    if run.checks_s is not None:
        line += f" (checks {run.checks_s:5.2f} s)"
    line += f"  CPU {run.cpu_s:5.1f} s, server {run.server_cpu_s:5.1f} s"
    line += f"  peak {run.own_mb:4.0f} MB, chDB {run.engine_mb:4.0f} MB, server {run.server_mb:5.0f} MB"
    if run.autovacuum_s:
        line += f"  autovacuum seen {run.autovacuum_s:.1f} s"
    if run.checkpoints:
        line += f"  checkpoints {run.checkpoints}"
    if run.probe_s is not None:
        line += f"  probe {run.probe_s:.2f} s, two at once {run.pair_s:.2f} s"
    if not run.ok:
        tail = (run.stderr.strip() or run.stdout.strip()).splitlines()[-3:]
        line += f"  FAILED (exit {run.exit_code}): " + " | ".join(tail)
    elif show_output:
        line += f"  ({run.stdout.strip()})"
    print(line, flush=True)


# --- the report -------------------------------------------------------------------------------------


def figure(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def wall(run: Measured | None) -> str:
    if run is None:
        return "—"
    return figure(run.wall_s, 2) if run.ok else "failed"


def print_times(results: list[Result], columns: list[Column], no_check: bool) -> None:
    what = ["`once --no-check` s (no checks run)"] if no_check else ["`once` s", "of which checks s"]
    header = "| lessons | scenario | " + " | ".join(f"{c.label}: {column}" for c in columns for column in what)
    rule = "|---:|---|" + "---:|" * (len(columns) * (1 if no_check else 2))
    references = [
        (name, label)
        for name, label in [
            ("reference", "reference: AutomateDV's shape under dbt, stock, warehouse only s"),
            ("reference_sql", "its SQL alone, without dbt s"),
            ("baseline", "baseline (pandas, embedded server) s"),
        ]
        if any(getattr(r, name) for r in results)
    ]
    for _, label in references:
        header += f" | {label}"
        rule += "---:|"
    print(f"\n{header} |\n{rule}")
    for r in results:
        cells = []
        for c in columns:
            run = r.runs[c.key]
            cells.append(wall(run))
            if not no_check:
                cells.append(figure(run.checks_s, 2))
        cells += [wall(getattr(r, name)) for name, _ in references]
        print(f"| {r.lessons} | {r.scenario} | " + " | ".join(cells) + " |")
    if not no_check:
        print(
            "\n`once` is the default command: the run and the data checks after it. The checks' share is "
            "timed from the runner's log, from the line that ends the run to the last check line."
        )
    if any(r.reference for r in results):
        print(
            "\nThe reference: the first-load target's yardstick, a warehouse-only Data Vault first load in the "
            "shape of AutomateDV's SQL (bench/automatedv_shape.sql: no mart, no index, no check), run by dbt "
            "(`dbt run --threads 2`, its start included), into a fresh database of the stock server, in the "
            "same sitting; beside it the same SQL without dbt, labelled."
        )


def print_resources(results: list[Result], columns: list[Column]) -> None:
    print(
        "\n| lessons | scenario | warehouse | runner peak MB | chDB worker peak MB | server peak MB¹ "
        "| runner+chDB CPU s | server CPU s |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        for c in columns:
            run = r.runs[c.key]
            cells = [figure(run.own_mb, 0), figure(run.engine_mb, 0), figure(run.server_mb, 0)]
            cells += [figure(run.cpu_s), figure(run.server_cpu_s)]
            print(f"| {r.lessons} | {r.scenario} | {c.label} | " + " | ".join(cells) + " |")
    print(
        "\n¹ Summed RSS of the postmaster and its children, sampled every 50 ms while the run lasts. RSS "
        "counts the shared buffers each backend has touched, once per process, so the sum overstates the "
        "server's real memory; it is the server's (source and warehouse), not the runner's. The runner's "
        "and the chDB worker's peaks are sampled every 50 ms too: the runner process alone, and the chDB "
        "engine, which runs in a worker process of the runner. CPU: user + system seconds, the runner "
        "(from wait4) with its worker (sampled: the last 50 ms can be missed), and the server's processes "
        "(the source's backends included)."
    )


def print_steps(results: list[Result], columns: list[Column]) -> None:
    """Per-step ms for each scenario of one size, every column side by side, as the runner printed
    them; then the checks (each check's own time where the warehouse records it) and the wall time."""
    rows: dict[str, dict[str, int]] = {}
    ms: dict[tuple[str, str, str], int] = {}
    for r in results:
        for c in columns:
            run = r.runs[c.key]
            for line in run.stdout.splitlines():
                match = STEP_LINE.search(line)
                if match:
                    rows.setdefault(match[1], {})[r.scenario] = int(match[2])
                    ms[(match[1], c.key, r.scenario)] = int(match[3])
            for check, check_ms in run.check_ms.items():
                ms[(f"check {check}", c.key, r.scenario)] = check_ms
    print(f"\n### Steps at {results[0].lessons} lessons, ms\n")
    cells_of = [(c, s) for c in columns for s in SCENARIOS]
    print("| step | rows " + " / ".join(SCENARIOS) + " | " + " | ".join(f"{c.key}: {s}" for c, s in cells_of) + " |")
    print("|---|---:|" + "---:|" * len(cells_of))
    for step, counts in rows.items():
        cells = [str(ms.get((step, c.key, s), "")) for c, s in cells_of]
        print(f"| {step} | {' / '.join(str(counts.get(s, '')) for s in SCENARIOS)} | " + " | ".join(cells) + " |")
    by_scenario = {r.scenario: r for r in results}
    checks = sorted({step for step, _, _ in ms if step.startswith("check ")})
    for check in checks:
        print(f"| {check} | | " + " | ".join(str(ms.get((check, c.key, s), "")) for c, s in cells_of) + " |")

    def total(label: str, value) -> None:
        print(f"| {label} | | " + " | ".join(value(by_scenario[s].runs[c.key]) for c, s in cells_of) + " |")

    total("the checks after the run", lambda run: figure(run.checks_s and run.checks_s * 1000, 0))
    total("wall time of `once`", lambda run: figure(run.wall_s * 1000, 0))
    for r in results:
        for c in columns:
            if not r.runs[c.key].ok:
                message = (r.runs[c.key].stderr.strip() or r.runs[c.key].stdout.strip() or "no message").splitlines()
                print(f"\n{c.label}, {r.scenario} failed: {message[-1]}")


def print_machine(warehouses: list[Warehouse], results: list[Result]) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    servers = []
    for w in warehouses:
        with psycopg.connect(w.server_dsn) as conn:
            settings = dict(
                conn.execute(
                    "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
                    " ('server_version', 'shared_buffers', 'max_wal_size', 'wal_level')"
                ).fetchall()
            )
        servers.append(
            f"{w.label}: {settings['server_version']}, shared_buffers {settings['shared_buffers']}, "
            f"max_wal_size {settings['max_wal_size']}, wal_level {settings['wal_level']}"
        )
    runs = [run for r in results for run in r.runs.values() if run.probe_s is not None]
    speed = ""
    if runs:
        alone, pair = [run.probe_s for run in runs], [run.pair_s for run in runs]
        speed = (
            f" Speed: a fixed loop (speed_probe) took {min(alone):.2f}-{max(alone):.2f} s before the runs, and"
            f" {min(pair):.2f}-{max(pair):.2f} s each with two at once, one per core (pair_probe)."
        )
    print(
        f"\nMachine: {os.cpu_count()} CPUs ({cpu}), {psutil.virtual_memory().total / 1024**3:.1f} GiB memory; "
        f"Python {platform.python_version()}. " + "; ".join(servers) + "." + speed
    )


def print_targets(results: list[Result], columns: list[Column], no_check: bool) -> None:
    at_1m = [r for r in results if r.lessons == 1_000_000]
    if not at_1m:
        return
    print(
        "\nTargets at 1M lessons (issue 13), the default command:" + (" (not measured: --no-check)" if no_check else "")
    )
    for (key, scenario), limit in TARGETS.items():
        for column, r in itertools.product(columns, at_1m):
            run = r.runs.get(column.key)
            if column.warehouse != key or r.scenario != scenario or run is None or no_check:
                continue
            verdict = "met" if run.ok and run.wall_s <= limit else "missed"
            beside = ""
            if r.reference:
                beside = f" (its reference in this sitting: {wall(r.reference)} s under dbt"
                beside += f", {wall(r.reference_sql)} s its SQL alone)" if r.reference_sql else ")"
            print(f"- {column.key}, {scenario} <= {limit} s: {wall(run)} s, {verdict}{beside}")


# --- command line -----------------------------------------------------------------------------------


def builds_of(directories: list[str], parser: argparse.ArgumentParser) -> list[Build]:
    """The checkouts to run, each labelled with its commit (+ when its files differ from it)."""
    builds = []
    for directory in directories:
        root = Path(directory).resolve()
        if not (root / "runner.py").is_file():
            parser.error(f"--builds: {directory} is not a checkout of this project (no runner.py)")
        git = ["git", "-C", str(root)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        changed = subprocess.run([*git, "status", "--porcelain", "-uno"], capture_output=True, text=True)
        label = commit.stdout.strip() + ("+" if changed.stdout.strip() else "") if commit.returncode == 0 else root.name
        taken = sum(build.label.split("#")[0] == label for build in builds)
        builds.append(Build(label + (f"#{taken + 1}" if taken else ""), root))
    return builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="lesson counts, comma-separated")
    parser.add_argument("--data-dir", default="/tmp/bench", help="the servers, chDB marts and runner data")
    parser.add_argument("--warehouses", default="embedded,stock", help="embedded, stock or both (comma-separated)")
    parser.add_argument("--steps", action="store_true", help="per-step figures for every size, not just the largest")
    parser.add_argument("--no-check", action="store_true", help="run `once --no-check`, as earlier READMEs measured")
    parser.add_argument("--baseline", action="store_true", help="also run the original's pandas approach (slow)")
    parser.add_argument("--builds", default=str(ROOT), help="checkouts of the project to compare (comma-separated)")
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        data_dir.chmod(0o755)  # the stock server's `postgres` user reaches its directory inside
    chosen = [name for name in args.warehouses.split(",") if name]
    starters = {"embedded": start_embedded, "stock": start_stock}
    if not chosen or set(chosen) - starters.keys() or (args.baseline and "embedded" not in chosen):
        parser.error("--warehouses: embedded, stock or both (the baseline needs embedded)")
    builds = builds_of(args.builds.split(","), parser)
    warehouses = [starters[name](data_dir) for name in chosen]
    results = []
    for number, size in enumerate(int(size) for size in args.sizes.split(",")):
        in_order = builds if number % 2 == 0 else builds[::-1]  # both orders, when a size is given twice
        results.append(bench_size(size, warehouses, in_order, data_dir, args))

    flat = [r for by_size in results for r in by_size]
    columns = columns_of(warehouses, builds)
    print_machine(warehouses, flat)
    print_times(flat, columns, args.no_check)
    print_resources(flat, columns)
    print_targets(flat, columns, args.no_check)
    for by_size in results if args.steps else results[-1:]:
        print_steps(by_size, columns)


if __name__ == "__main__":
    main()
