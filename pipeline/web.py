"""The operator's page: what the runs did, read from the warehouse's run log, in a browser.

    python runner.py schedule --every 10m --port 8080   the page beside the scheduler
    python runner.py serve --port 8080                  the page alone (runs started by cron)

Flask routes and renders the templates in pipeline/templates (autoescaped: nothing from a database
reaches the page as markup); waitress serves them from a thread of their own. Every request reads
the warehouse on a connection of its own, read-only and with a statement timeout (web_queries.py).
/healthz and /metrics answer machines. Every response passes through `scrub`, so no password or DSN
can leave, whatever a database or an error message holds.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
import waitress
from flask import Flask, Response, abort, jsonify, render_template, request
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from pipeline import PipelineError, charts, graph, health, mart, metrics, transforms, warehouse
from pipeline import web_queries as queries
from pipeline.config import ClickHouseURL, Config, scrub
from pipeline.plan import binding_plan, plan_renderer
from pipeline.warehouse import first_line
from pipeline.web_queries import Unreadable, check_verdicts, read

GRID_RUNS = 25
CHART_RUNS = 60


@dataclass
class Page:
    """What the page needs to know: where the run log is, and how the runs are scheduled."""

    warehouse_dsn: str
    clickhouse_url: str
    config: Config
    every_s: int
    secrets: list[str] = field(default_factory=list)
    next_run: Callable[[], datetime | None] | None = None  # set when the scheduler serves the page
    refresh_s: int = 30
    source_dsn: str | None = None  # for the source tables' row estimates on /lineage


def create_app(page: Page) -> Flask:
    app = Flask(__name__)
    app.jinja_env.filters.update(when=when, ago=ago, number=number)
    app.jinja_env.globals.update(page=page)

    def render(template: str, **context) -> str:
        return render_template(template, now=datetime.now(UTC), **context)

    def gathered(gather: Callable) -> tuple[dict, str | None]:
        try:
            return read(page.warehouse_dsn, gather), None
        except Unreadable as problem:
            return {}, str(problem)

    @app.get("/")
    def overview():
        data, problem = gathered(lambda conn: overview_data(conn, page))
        return render("overview.html", problem=problem, **data)

    @app.get("/runs/<int:run_id>")
    def run_page(run_id: int):
        data, problem = gathered(lambda conn: run_data(conn, page, run_id))
        if not problem and not data:
            abort(404)
        return render("run.html", problem=problem, run_id=run_id, **data)

    @app.get("/lineage")
    def lineage_page():
        data, problem = gathered(lambda conn: lineage_data(conn, page))
        if problem:  # the picture comes from the transforms: it shows even without the warehouse
            data = lineage_data(None, page)
        return render("lineage.html", problem=problem, **data)

    @app.get("/checks")
    def checks_page():
        data, problem = gathered(lambda conn: {"checks": check_verdicts(queries.recent_checks(conn))})
        return render("checks.html", problem=problem, **data)

    @app.get("/healthz")
    def healthz():
        body, healthy = healthz_body(page)
        return jsonify(body), 200 if healthy else 503

    @app.get("/metrics")
    def metrics_page():
        return Response(metrics.exposition(page.warehouse_dsn), content_type=CONTENT_TYPE_LATEST)

    @app.errorhandler(404)
    def not_found(error):
        return render("not_found.html", path=request.path), 404

    @app.after_request
    def no_secrets(response: Response) -> Response:
        if not response.direct_passthrough:
            response.set_data(scrub(response.get_data(as_text=True), page.secrets))
        return response

    return app


def overview_data(conn, page: Page) -> dict:
    runs = queries.recent_runs(conn, CHART_RUNS)
    grid_runs = runs[:GRID_RUNS]
    steps = queries.steps_of(conn, [run["run_id"] for run in grid_runs])
    last_success = queries.last_success(conn)
    healthy, verdict = health.verdict(last_success, page.every_s)
    return {
        "runs": grid_runs,
        "columns": step_columns(steps, grid_runs),
        "cells": {(step["run_id"], step["step"]): step for step in steps},
        "history": charts.run_history(runs),
        "last_success": last_success,
        "healthy": healthy,
        "verdict": verdict,
        "mart_loaded_until": warehouse.last_complete_run(conn),
        "checks": check_verdicts(queries.recent_checks(conn)),
        "next_run": page.next_run() if page.next_run else None,
    }


def step_columns(steps: list[dict], runs: list[dict]) -> list[str]:
    """The steps seen in these runs, in the order they usually start (by mean offset from the run's start)."""
    started = {run["run_id"]: run["load_ts"] for run in runs}
    offsets: dict[str, list[float]] = {}
    for step in steps:
        offset = (step["started_at"] - started[step["run_id"]]).total_seconds()
        offsets.setdefault(step["step"], []).append(offset)
    return sorted(offsets, key=lambda name: (sum(offsets[name]) / len(offsets[name]), name))


def run_data(conn, page: Page, run_id: int) -> dict:
    run = queries.run(conn, run_id)
    if run is None:
        return {}
    steps = queries.steps_of(conn, [run_id])
    start_s = run["load_ts"].timestamp()
    end = run["finished_at"] or datetime.now(UTC)
    failed = [step for step in steps if step["status"] == "failed"]
    return {
        "run": run,
        "steps": steps,
        "failed": failed,
        "timeline": charts.timeline(steps, start_s, end.timestamp()),
        "checks": queries.checks_of_run(conn, run_id),
        "sql": rendered_sql(page, run, warehouse.last_complete_run(conn, run_id), [step["step"] for step in steps]),
    }


def rendered_sql(page: Page, run: dict, loaded_until, step_names: list[str]) -> dict:
    """Each step's SQL as `plan` shows it, rendered with this run's load_ts from today's templates,
    and the binding statements with passwords masked. {"binding": text, "steps": {step: sql}}."""
    try:
        renderer = plan_renderer(page.config, run["load_ts"], loaded_until)
        database = renderer.mart_database
        steps = transforms.plan_steps(renderer.transforms, renderer)
        by_table = {step.transform.target(database): step.text for step in transforms.ordered(steps)}
        names = step_names or list(by_table)
        return {
            "binding": "\n".join(binding_plan(page.config, database)),
            "steps": {name: by_table.get(name, "-- no such transform today") for name in names},
        }
    except PipelineError as error:
        return {"binding": f"-- cannot render: {error}", "steps": {}}


def lineage_data(conn, page: Page) -> dict:
    renderer = plan_renderer(page.config, mart_loaded_until=datetime.now(UTC))
    database = renderer.mart_database
    edges = graph.edges(transforms.plan_steps(renderer.transforms, renderer), database)
    picture = charts.lineage(edges, lambda table: graph.layer(table, database))
    estimates = queries.warehouse_table_rows(conn) if conn else {}
    writes = queries.last_writes(conn) if conn else {}
    mart_rows, mart_problem = mart_table_rows(page, database)
    source_rows = source_table_rows(page.source_dsn)
    for node in picture.nodes:
        if node.layer == "source":
            count = source_rows.get(node.table)
            node.rows = f"~{count:,} rows" if count is not None else "no estimate"
        elif node.layer == "mart":
            count = mart_rows.get(node.table)
            node.rows = f"{count:,} rows" if count is not None else ("view" if not mart_problem else "mart unavailable")
        else:
            count = estimates.get(node.table)
            node.rows = f"~{count:,} rows" if count is not None else "no estimate"
        write = writes.get(node.table)
        if write:
            node.written = f"run {write['run_id']}, {write['written_at']:%Y-%m-%d %H:%M} UTC"
            node.href = f"/runs/{write['run_id']}"
    return {"lineage": picture, "mart_problem": mart_problem, "mart_database": database}


def source_table_rows(source_dsn: str | None) -> dict[str, int]:
    """Estimated rows of the source's tables, from its own catalog (pg_class.reltuples; the tables are
    not read). Empty when the source cannot be reached: the page does not wait for it."""
    if not source_dsn:
        return {}
    try:
        with queries.connect(source_dsn) as conn:
            rows = conn.execute(
                "SELECT 'source.' || c.relname AS name, c.reltuples::bigint AS estimate FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).fetchall()
    except psycopg.Error:
        return {}
    return {row["name"]: row["estimate"] for row in rows if row["estimate"] >= 0}


def mart_table_rows(page: Page, database: str) -> tuple[dict[str, int], str | None]:
    """Rows per mart table from ClickHouse's own bookkeeping (system.tables.total_rows: every version
    the ReplacingMergeTree keeps until a merge, no table read). ({table: rows}, why not, if not)."""
    query = f"SELECT name, total_rows FROM system.tables WHERE database = {mart.quote(database)}"
    try:
        url = ClickHouseURL.parse(page.clickhouse_url)
        if url.kind == "chdb":
            rows = chdb_rows(url, query)
        else:
            from clickhouse_driver import Client

            client = Client(
                host=url.host, port=url.port, user=url.user, password=url.password,
                connect_timeout=2, send_receive_timeout=5, settings={"max_execution_time": 2},
            )  # fmt: skip
            rows = client.execute(query)
    except (PipelineError, Unreadable) as error:
        return {}, str(error)
    except Exception as error:
        return {}, f"mart: {first_line(error)}"
    return {f"{database}.{name}": count for name, count in rows if count is not None}, None


def chdb_rows(url: ClickHouseURL, query: str) -> list[tuple]:
    """chDB runs in a worker of the runner's process, one engine per path and machine process: the page
    reads it only where the scheduler has it open, and never while a run is using it."""
    engine = mart.ChdbMart._open.get(url.path)
    if engine is None or not engine.alive:
        raise Unreadable(
            "mart unavailable: chDB is embedded in the runner; its sizes show on the page of"
            " `runner.py schedule --port`, after the first run"
        )
    if not engine.lock.acquire(timeout=0.2):
        raise Unreadable("mart busy: a run is writing it")
    try:
        engine.lock.release()
        return mart.ChdbMart(url).execute(query)
    except PipelineError as error:
        raise Unreadable(str(error)) from None


def healthz_body(page: Page) -> tuple[dict, bool]:
    try:
        last_success = read(page.warehouse_dsn, queries.last_success)
    except Unreadable as problem:
        return {"healthy": False, "reason": str(problem), "last_success": None, "interval_s": page.every_s}, False
    healthy, verdict = health.verdict(last_success, page.every_s)
    body = {
        "healthy": healthy,
        "reason": verdict,
        "last_success": last_success.isoformat() if last_success else None,
        "interval_s": page.every_s,
    }
    return body, healthy


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', 'in 40 s'."""
    if moment is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    text = duration(abs(seconds))
    return f"{text} ago" if seconds >= 0 else f"in {text}"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def number(value) -> str:
    return f"{value:,}" if value is not None else ""


class Server:
    """waitress serving the app from a daemon thread, so the caller's loop goes on; `close` stops it."""

    def __init__(self, app: Flask, host: str, port: int):
        self.wsgi = waitress.create_server(app, host=host, port=port, threads=4, ident="course-pipeline")
        self.effective_port = self.wsgi.effective_port
        self.closing = threading.Event()
        threading.Thread(target=self.run, name="page", daemon=True).start()

    def run(self) -> None:
        try:
            self.wsgi.run()
        except OSError:  # its sockets closed under its select(): what closing from another thread does
            if not self.closing.is_set():
                raise

    def close(self) -> None:
        """Let the requests being served finish, then close the listening socket."""
        self.closing.set()
        self.wsgi.task_dispatcher.shutdown()
        self.wsgi.close()


def start(app: Flask, host: str, port: int) -> Server:
    return Server(app, host, port)
