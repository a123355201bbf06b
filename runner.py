"""Course catalog pipeline: source -> Data Vault warehouse -> ClickHouse mart.

    python runner.py once      apply pending migrations, run every step once
    python runner.py schedule  run now and then every interval (--every 10m), until SIGTERM
    python runner.py status    the last runs (--healthcheck: fail when no recent success)
    python runner.py plan      print the SQL a run executes, in order; nothing is executed
    python runner.py report    lessons per course, from the mart

Configuration comes from the environment: SOURCE_DSN, WAREHOUSE_DSN, CLICKHOUSE_URL, DATA_DIR.
Whatever is not configured comes from the embedded default in DATA_DIR (see README.md).
"""

import argparse
import os
import sys
import traceback
from datetime import UTC, datetime, timedelta

import psycopg

from pipeline import PipelineError, mart, scheduler, warehouse
from pipeline.config import Config
from pipeline.log import Log
from pipeline.run import plan, report, resolve, run_once


def command_once(config: Config, args) -> int:
    run_once(resolve(config), Log(args.log_format))
    return 0


def command_schedule(config: Config, args) -> int:
    every_s = scheduler.parse_interval(args.every)
    log = Log(args.log_format)
    return scheduler.serve(resolve(config), every_s, log)


def command_status(config: Config, args) -> int:
    endpoints = resolve(config)
    with warehouse.connect(endpoints.warehouse_dsn, autocommit=True) as conn:
        try:
            runs = warehouse.recent_runs(conn, args.last)
        except psycopg.errors.UndefinedTable:
            runs = []
    if args.healthcheck:
        return healthcheck(runs, scheduler.parse_interval(args.every))
    print(f"{'run':>6}  {'started (UTC)':<19}  {'took':>8}  {'status':<11}  {'rows':>9}  error")
    for run_id, started, finished, status, rows, error in runs:
        took = f"{(finished - started).total_seconds():.1f} s" if finished else ""
        when = started.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{run_id:>6}  {when:<19}  {took:>8}  {status:<11}  {rows or 0:>9}  {(error or '')[:100]}")
    if not runs:
        print("no runs yet")
    return 0


def healthcheck(runs: list[tuple], every_s: int) -> int:
    """0 when the last successful run started less than three intervals ago."""
    successes = [started for _, started, _, status, _, _ in runs if status == "success"]
    if successes and datetime.now(UTC) - successes[0] < timedelta(seconds=3 * every_s):
        print(f"healthy: last successful run at {successes[0].isoformat()}")
        return 0
    last = successes[0].isoformat() if successes else "never"
    print(f"unhealthy: last successful run {last}, older than three intervals of {every_s} s")
    return 1


def command_plan(config: Config, args) -> int:
    print(plan(None, config))
    return 0


def command_report(config: Config, args) -> int:
    endpoints = resolve(config)
    rows = report(mart.connect(endpoints.clickhouse_url))
    print(f"{'course_title':<32} {'lessons_qty':>11} {'lesson_instances':>16}")
    for title, lessons, instances in rows:
        print(f"{title if title is not None else '(no title)':<32} {lessons:>11} {instances:>16}")
    return 0


COMMANDS = {
    "once": command_once,
    "schedule": command_schedule,
    "status": command_status,
    "plan": command_plan,
    "report": command_report,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runner.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS, help="what to do")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser.add_argument(
        "--every",
        default=os.environ.get("SCHEDULE_EVERY") or scheduler.DEFAULT_EVERY,
        help="schedule interval: 30s, 10m, 1h (default: SCHEDULE_EVERY or 10m)",
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="step lines as text or JSON")
    parser.add_argument("--last", type=int, default=20, help="status: how many runs to show")
    parser.add_argument(
        "--healthcheck", action="store_true", help="status: exit 1 unless a run succeeded within three intervals"
    )
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](Config.from_env(), args)
    except PipelineError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
