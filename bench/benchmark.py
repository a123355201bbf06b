"""Benchmark the pipeline against the original pandas approach: wall time and peak memory.

    python bench/benchmark.py [--sizes 10000,100000,1000000] [--data-dir /tmp/bench] [--skip-baseline] [--steps]

For each size, on one embedded PostgreSQL server in DATA_DIR/postgres: a generated source, a fresh
warehouse and a fresh chDB mart. Three scenarios, each a subprocess (`python runner.py once`, and the
baseline, the original system's approach, when not skipped): first load, rerun with nothing changed,
rerun after 1% of lessons changed. Prints markdown tables; asserts nothing.
"""

import argparse
import contextlib
import itertools
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from pipeline import embedded  # noqa: E402

SCENARIOS = ["first load", "no change", "1% change"]
STEP_LINE = re.compile(r"(\S+)\s+(\d+) rows\s+(\d+) ms\s*$")  # "<step> <rows> rows <ms> ms" ends a line
MB = 1024 * 1024


@dataclass
class Measured:
    wall_s: float
    peak_mb: float  # the child process: ru_maxrss from wait4 (which also counts the children it reaped)
    server_mb: float  # the PostgreSQL server processes: peak of their summed RSS
    own_mb: float  # the child process alone: peak of its sampled RSS
    engine_mb: float  # the child's own children (the runner's chDB worker): peak of their summed RSS
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass
class Result:
    lessons: int
    scenario: str
    ours: Measured
    baseline: Measured | None


# --- measuring a subprocess -----------------------------------------------------------------------


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


def measure(command: list[str], env: dict, postmaster: psutil.Process) -> Measured:
    """Run command; its wall time, its peak RSS (wait4, and sampled every 50 ms: the process alone and
    its children apart) and the server's peak RSS (sampled). The process trees are listed again only
    every 0.5 s: listing them every sample took about 6% of a core from what is measured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        server_peak = rss([postmaster, *children(postmaster)])
        own_peak = engine_peak = 0
        done = threading.Event()
        child = None

        def sample() -> None:
            nonlocal server_peak, own_peak, engine_peak
            try:
                runner = psutil.Process(child.pid)
            except psutil.NoSuchProcess:  # gone already
                return
            for tick in itertools.count():
                if done.wait(0.05):
                    return
                if tick % 10 == 0:
                    server, engine = [postmaster, *children(postmaster)], children(runner)
                server_peak = max(server_peak, rss(server))
                own_peak = max(own_peak, rss([runner]))
                engine_peak = max(engine_peak, rss(engine))

        started = time.monotonic()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            peak_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
            server_mb=server_peak / MB,
            own_mb=own_peak / MB,
            engine_mb=engine_peak / MB,
            exit_code=child.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# --- the databases --------------------------------------------------------------------------------


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
    """Flush dirty buffers so a run does not pay for the writes of the previous one."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# --- the baseline: the original system's approach -------------------------------------------------


def baseline_once(source_dsn: str, target_dsn: str) -> int:
    """Read the source into pandas, denormalize, diff against the target with merge, append the new rows."""
    import pandas as pd

    warnings.filterwarnings("ignore", message=".*SQLAlchemy.*")  # pandas warns on a plain DBAPI connection
    with psycopg.connect(source_dsn) as source:
        course = pd.read_sql("SELECT * FROM course", source).add_prefix("course_")
        stream = pd.read_sql("SELECT * FROM stream", source).add_prefix("stream_")
        module = pd.read_sql("SELECT * FROM stream_module", source).add_prefix("module_")
        lesson = pd.read_sql("SELECT * FROM stream_module_lesson", source).add_prefix("lesson_")
    frame = (
        course.merge(stream, how="left", left_on="course_id", right_on="stream_course_id")
        .merge(module, how="left", left_on="stream_id", right_on="module_stream_id")
        .merge(lesson, how="left", left_on="module_id", right_on="lesson_stream_module_id")
    )
    types = {"int64": "bigint", "float64": "double precision", "bool": "boolean"}
    columns = [
        sql.SQL("{} {}").format(
            sql.Identifier(name),
            sql.SQL("timestamp" if str(dtype).startswith("datetime") else types.get(str(dtype), "text")),
        )
        for name, dtype in frame.dtypes.items()
    ]
    with psycopg.connect(target_dsn) as target:
        target.execute(sql.SQL("CREATE TABLE IF NOT EXISTS dm_baseline ({})").format(sql.SQL(", ").join(columns)))
        existing = pd.read_sql("SELECT * FROM dm_baseline", target)
        if existing.empty:
            new = frame
        else:
            merged = frame.merge(existing, how="left", on=list(frame.columns), indicator=True)
            new = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
        names = sql.SQL(", ").join(map(sql.Identifier, new.columns))
        with target.cursor().copy(sql.SQL("COPY dm_baseline ({}) FROM STDIN WITH (FORMAT csv)").format(names)) as copy:
            copy.write(new.to_csv(index=False, header=False))
    return len(new)


# --- one size ---------------------------------------------------------------------------------------


def bench_size(size: int, server_dsn: str, postmaster: psutil.Process, data_dir: Path, skip_baseline: bool):
    print(f"\n## {size} lessons", flush=True)
    source = fresh_database(server_dsn, "bench_source")
    started = time.monotonic()
    lessons = generate(source, size)
    print(f"source generated: {lessons} lessons in {time.monotonic() - started:.1f} s", flush=True)
    warehouse = fresh_database(server_dsn, "bench_warehouse")
    target = fresh_database(server_dsn, "bench_baseline")
    chdb = data_dir / f"chdb-{size}"
    shutil.rmtree(chdb, ignore_errors=True)
    env = {
        **os.environ,
        "SOURCE_DSN": source,
        "WAREHOUSE_DSN": warehouse,
        "CLICKHOUSE_URL": f"chdb://{chdb}",
        "DATA_DIR": str(data_dir / "runner"),
    }
    runner = [sys.executable, "runner.py", "once", "--no-check"]  # the data checks are timed on their own
    baseline = [sys.executable, str(Path(__file__).resolve()), "--baseline-once"]
    baseline += ["--source-dsn", source, "--target-dsn", target]
    results = []
    for scenario in SCENARIOS:
        if scenario == "1% change":
            updated, inserted, deleted = change_one_percent(source)
            print(f"source changed: {updated} updated, {inserted} inserted, {deleted} deleted", flush=True)
        checkpoint(server_dsn)
        ours = measure(runner, env, postmaster)
        report_run(f"{scenario}: ours", ours)
        theirs = None
        if not skip_baseline:
            checkpoint(server_dsn)
            theirs = measure(baseline, env, postmaster)
            report_run(f"{scenario}: baseline", theirs, show_output=True)
        results.append(Result(lessons, scenario, ours, theirs))
    checked = measure([sys.executable, "runner.py", "check"], env, postmaster)
    report_run("data checks (runner.py check)", checked)
    return results


def report_run(label: str, run: Measured, show_output: bool = False) -> None:
    line = f"{label:<24} {run.wall_s:7.2f} s  peak {run.own_mb:6.0f} MB"
    line += f"  chDB {run.engine_mb:6.0f} MB  server {run.server_mb:6.0f} MB"
    if not run.ok:
        tail = (run.stderr.strip() or run.stdout.strip()).splitlines()[-3:]
        line += f"  FAILED (exit {run.exit_code}): " + " | ".join(tail)
    elif show_output:
        line += f"  ({run.stdout.strip()})"
    print(line, flush=True)


# --- the report -------------------------------------------------------------------------------------


def figure(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_table(results: list[Result]) -> None:
    print(
        "\n| lessons | scenario | ours wall s | ours runner peak MB | ours chDB worker peak MB "
        "| PostgreSQL server peak MB¹ | baseline wall s | baseline peak MB | ours/baseline time |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ours, base = r.ours, r.baseline
        ours_wall = figure(ours.wall_s, 2) if ours.ok else "failed"
        base_wall = "—" if base is None else figure(base.wall_s, 2) if base.ok else "failed"
        ratio = ours.wall_s / base.wall_s if base is not None and base.ok and ours.ok else None
        print(
            f"| {r.lessons} | {r.scenario} | {ours_wall} | {figure(ours.own_mb, 0)} | {figure(ours.engine_mb, 0)} "
            f"| {figure(ours.server_mb, 0)} "
            f"| {base_wall} | {figure(base and base.peak_mb, 0)} | {figure(ratio, 2)} |"
        )
    print(
        "\n¹ Summed RSS of the postmaster and its children, sampled every 50 ms while the run lasts (the "
        "baseline's server figure is not shown). RSS counts the shared buffers each backend has touched, "
        "once per process, so the sum overstates the server's real memory; it is the server's, not the "
        "runner's. The runner's and the chDB worker's peaks are sampled every 50 ms too: the runner "
        "process alone, and the chDB engine, which runs in a worker process of the runner."
    )


def print_steps(results: list[Result]) -> None:
    """Per-step rows and ms for each scenario of one size, side by side, as the runner printed them."""
    steps: dict[str, dict[str, tuple[int, int]]] = {}
    for r in results:
        for line in r.ours.stdout.splitlines():
            match = STEP_LINE.search(line)
            if match:
                steps.setdefault(match[1], {})[r.scenario] = (int(match[2]), int(match[3]))
    by_scenario = {r.scenario: r for r in results}
    print(f"\n### Steps at {results[0].lessons} lessons\n")
    print("| step | " + " | ".join(f"{s} rows | {s} ms" for s in SCENARIOS) + " |")
    print("|---|" + "---:|---:|" * len(SCENARIOS))

    def row(label: str, cells: list[tuple]) -> None:
        print(f"| {label} | " + " | ".join(f"{rows} | {ms}" for rows, ms in cells) + " |")

    for step, figures in steps.items():
        row(step, [figures.get(s, ("", "")) for s in SCENARIOS])
    totals = [sum(figures.get(s, (0, 0))[1] for figures in steps.values()) for s in SCENARIOS]
    walls = [round(by_scenario[s].ours.wall_s * 1000) if s in by_scenario else 0 for s in SCENARIOS]
    row("sum of step times (steps may overlap)", [("", total) for total in totals])
    row("wall time of the run", [("", wall) for wall in walls])
    for r in results:
        if not r.ours.ok:
            print(f"\n{r.scenario} failed: {(r.ours.stderr.strip() or 'no message').splitlines()[-1]}")


def print_machine(server_dsn: str) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(server_dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    print(
        f"\nMachine: {os.cpu_count()} CPUs ({cpu}), {psutil.virtual_memory().total / 1024**3:.1f} GiB memory; "
        f"Python {platform.python_version()}; PostgreSQL {version} (embedded, shared_buffers {shared_buffers})."
    )


def print_targets(results: list[Result]) -> None:
    print(
        "\nTargets from the issue, at 1M lessons: first load <= 20 s, no change <= 5 s, 1% change <= 8 s, "
        "runner memory flat from 10k to 1M."
    )
    for label, figure_of in (("runner", lambda m: m.own_mb), ("chDB worker", lambda m: m.engine_mb)):
        peaks = ", ".join(f"{r.lessons}: {figure_of(r.ours):.0f} MB" for r in results if r.scenario == "first load")
        print(f"{label} peak at first load by size: {peaks}.")


# --- command line -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="lesson counts, comma-separated")
    parser.add_argument("--data-dir", default="/tmp/bench", help="the embedded server, chDB marts, runner data")
    parser.add_argument("--skip-baseline", action="store_true", help="measure the pipeline only")
    parser.add_argument("--steps", action="store_true", help="per-step figures for every size, not just the largest")
    parser.add_argument("--baseline-once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source-dsn", help=argparse.SUPPRESS)
    parser.add_argument("--target-dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_once:
        print(f"{baseline_once(args.source_dsn, args.target_dsn)} rows appended")
        return

    data_dir = Path(args.data_dir).resolve()
    sizes = [int(size) for size in args.sizes.split(",")]
    server_dsn = embedded.start_postgres(data_dir)  # stops when this process exits: it holds the server throughout
    postmaster_pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(postmaster_pid)
    results = []
    for size in sizes:
        results.append(bench_size(size, server_dsn, postmaster, data_dir, args.skip_baseline))

    print_machine(server_dsn)
    print_table([r for by_size in results for r in by_size])
    print_targets([r for by_size in results for r in by_size])
    for by_size in results if args.steps else results[-1:]:
        print_steps(by_size)


if __name__ == "__main__":
    main()
