"""Course catalog pipeline: source -> Data Vault warehouse -> ClickHouse mart.

    python runner.py once      apply pending migrations, run every step once
    python runner.py schedule  run now and then every interval (--every 10m), until SIGTERM
                               (--port 8080: and serve the operator's page beside it)
    python runner.py serve     the operator's page alone, over the warehouse's run log (--port 8080)
    python runner.py status    the last runs (--healthcheck: fail when no recent success)
    python runner.py plan      print the SQL a run executes, in order; nothing is executed
    python runner.py graph     the pipeline's dependency graph as Mermaid (--svg FILE with Graphviz)
    python runner.py check     the whole-table data checks (a run checks what it touched)
    python runner.py report    lessons per course, from the mart (--as-of TIME: from the vault's history)

Configuration comes from the environment: SOURCE_DSN, WAREHOUSE_DSN, CLICKHOUSE_URL, DATA_DIR.
Whatever is not configured comes from the embedded default in DATA_DIR (see README.md).
"""

import argparse
import logging
import os
import sys
import traceback
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from pipeline import PipelineError, alerts, graph, health, mart, scheduler, transforms, warehouse
from pipeline.config import Config, secrets_of
from pipeline.log import Log
from pipeline.plan import plan, plan_renderer
from pipeline.report import report, report_as_of
from pipeline.run import STOP, check_now, resolve, run_once
from pipeline.warehouse import first_line


def command_once(config: Config, args) -> int:
    endpoints, log, since = resolve(config), Log(args.log_format), datetime.now(UTC)
    try:
        run_once(
            endpoints,
            log,
            select=args.select,
            check=not args.no_check,
            max_delete_share=config.max_delete_share,
            allow_mass_delete=args.allow_mass_delete,
        )
    finally:
        alerts.after_run(endpoints.warehouse_dsn, log, since, secrets_of(*astuple(endpoints)))
    return 0


def command_check(config: Config, args) -> int:
    check_now(resolve(config), Log(args.log_format))
    return 0


def command_schedule(config: Config, args) -> int:
    every_s = scheduler.parse_interval(args.every)
    full_check_every_s = scheduler.parse_interval(args.full_check_every, "--full-check-every")
    log = Log(args.log_format)
    endpoints = resolve(config)
    if args.port is not None:
        start_page(config, endpoints, every_s, args.port, log, next_run=scheduler.next_run)
    return scheduler.serve(endpoints, every_s, log, full_check_every_s, config.max_delete_share)


def command_serve(config: Config, args) -> int:
    """The operator's page alone, until SIGTERM or SIGINT."""
    log = Log(args.log_format)
    server = start_page(config, resolve(config), scheduler.parse_interval(args.every), args.port or 8080, log)
    scheduler.install_signal_handlers(log)
    STOP.wait()
    server.close()
    log.message(f"page stopped ({STOP.reason})")
    return 0


def start_page(config: Config, endpoints, every_s: int, port: int, log: Log, next_run=None):
    from pipeline import web

    secrets = secrets_of(*astuple(endpoints))
    page = web.Page(
        endpoints.warehouse_dsn,
        endpoints.clickhouse_url,
        config,
        every_s,
        secrets,
        next_run,
        source_dsn=endpoints.source_dsn,
    )
    host = os.environ.get("UI_HOST") or "127.0.0.1"
    try:
        server = web.start(web.create_app(page), host, port)
    except OSError as error:
        raise PipelineError("page", f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    log.message(f"operator's page at http://{host}:{server.effective_port}/")
    return server


def command_status(config: Config, args) -> int:
    endpoints = resolve(config)
    with warehouse.connect(endpoints.warehouse_dsn, autocommit=True) as conn:
        try:
            runs = warehouse.recent_runs(conn, args.last)
            full_check = warehouse.last_full_check(conn)
        except psycopg.errors.UndefinedTable:
            runs, full_check = [], None
    if args.healthcheck:
        return healthcheck(runs, scheduler.parse_interval(args.every))
    print(f"{'run':>6}  {'started (UTC)':<19}  {'took':>8}  {'status':<11}  {'rows':>9}  error")
    for run_id, started, finished, status, rows, error in runs:
        took = f"{(finished - started).total_seconds():.1f} s" if finished else ""
        when = started.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{run_id:>6}  {when:<19}  {took:>8}  {status:<11}  {rows or 0:>9}  {(error or '')[:100]}")
    if not runs:
        print("no runs yet")
    print(full_check_line(full_check))
    return 0


def full_check_line(full_check: tuple | None) -> str:
    """When the whole-table checks last ran, and their verdict."""
    if full_check is None:
        return "whole-table checks: never run (python runner.py check; the scheduler runs them daily)"
    checked_at, failed = full_check
    verdict = f"FAILED: {', '.join(failed)}" if failed else "all passed"
    return f"whole-table checks: last at {checked_at.strftime('%Y-%m-%d %H:%M:%S')} UTC, {verdict}"


def healthcheck(runs: list[tuple], every_s: int) -> int:
    """0 when the last successful run started less than three intervals ago (pipeline/health.py)."""
    successes = [started for _, started, _, status, _, _ in runs if status == "success"]
    healthy, text = health.verdict(successes[0] if successes else None, every_s)
    print(text)
    return 0 if healthy else 1


def command_plan(config: Config, args) -> int:
    print(plan(config, args.select))
    return 0


def command_graph(config: Config, args) -> int:
    # a run after the first, when the mart is fed from staging (a first load reads the current state whole)
    renderer = plan_renderer(config, mart_loaded_until=datetime.now(UTC))
    steps = transforms.plan_steps(renderer.transforms, renderer)
    print(graph.mermaid(steps, renderer.mart_database), end="")
    if args.svg:
        graph.write_svg(graph.dot(steps, renderer.mart_database), Path(args.svg))
    return 0


def command_report(config: Config, args) -> int:
    endpoints = resolve(config)
    if args.as_of:
        rows = report_as_of(endpoints.warehouse_dsn, args.as_of)
    else:
        rows = report(mart.connect(endpoints.clickhouse_url))
    print(f"{'course_title':<32} {'lessons_qty':>11} {'lesson_instances':>16}")
    for title, lessons, instances in rows:
        print(f"{title if title is not None else '(no title)':<32} {lessons:>11} {instances:>16}")
    return 0


COMMANDS = {
    "once": command_once,
    "schedule": command_schedule,
    "serve": command_serve,
    "status": command_status,
    "plan": command_plan,
    "graph": command_graph,
    "check": command_check,
    "report": command_report,
}


def as_of_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r} (e.g. 2023-03-01T00:00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runner.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS, help="what to do")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser.add_argument(
        "--every",
        default=os.environ.get("SCHEDULE_EVERY") or scheduler.DEFAULT_EVERY,
        help="schedule interval: 30s, 10m, 1h (default: SCHEDULE_EVERY or 10m)",
    )
    parser.add_argument(
        "--full-check-every",
        default=os.environ.get("FULL_CHECK_EVERY") or scheduler.DEFAULT_FULL_CHECK_EVERY,
        help="schedule: run the whole-table data checks after a run once they are this old (default 1d)",
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="step lines as text or JSON")
    parser.add_argument("--last", type=int, default=20, help="status: how many runs to show")
    parser.add_argument(
        "--select",
        type=lambda text: [name.split(".")[-1] for name in text.split(",") if name],
        help="once, plan: only these steps (comma-separated, e.g. s_lesson) and what they depend on",
    )
    parser.add_argument(
        "--as-of",
        type=as_of_time,
        help="report: lessons per course as the warehouse knew it then (ISO time, UTC unless it says otherwise)",
    )
    parser.add_argument("--no-check", action="store_true", help="once: skip the data checks after the run")
    parser.add_argument(
        "--port",
        type=int,
        default=os.environ.get("UI_PORT") or None,
        help="schedule, serve: serve the operator's page on this port (default: UI_PORT; serve: 8080)",
    )
    parser.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="once: let this run mark deleted more than MAX_DELETE_SHARE of an entity (default half)",
    )
    parser.add_argument("--svg", help="graph: also write the graph as an SVG to this file (needs Graphviz)")
    parser.add_argument(
        "--healthcheck", action="store_true", help="status: exit 1 unless a run succeeded within three intervals"
    )
    args = parser.parse_args(argv)
    if not args.debug:  # libraries' log records (clickhouse-driver logs a failed connection with its
        logging.disable(logging.CRITICAL)  # traceback) stay out: an error is reported in one line
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
    except Exception as error:  # a bug or a failure no check above foresaw: still one line
        if args.debug:
            traceback.print_exc()
        print(
            f"error: unexpected {type(error).__name__}: {first_line(error)} (--debug shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
