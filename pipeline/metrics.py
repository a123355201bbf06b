"""/metrics: the run log in Prometheus' text format, read at each scrape by a collector that a fresh
registry holds, so nothing is cached between scrapes. Names follow Prometheus' conventions: base
units, _total for counters, a label only where its values are few (a status, a step name)."""

from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from pipeline import warehouse
from pipeline import web_queries as queries
from pipeline.web_queries import Unreadable, check_verdicts, read

STATUS_ORDER = ("success", "failed", "interrupted", "skipped", "running")


def exposition(warehouse_dsn: str) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunLogCollector(warehouse_dsn))
    return generate_latest(registry)


class RunLogCollector:
    """The metrics, read from the run log at each scrape (a fresh registry per scrape holds this)."""

    def __init__(self, warehouse_dsn: str):
        self.warehouse_dsn = warehouse_dsn

    def collect(self):
        try:
            data = read(self.warehouse_dsn, metrics_data)
        except Unreadable:
            data = None
        up = GaugeMetricFamily("pipeline_warehouse_up", "1 when the page could read the warehouse's run log")
        up.add_metric([], 1 if data else 0)
        yield up
        if not data:
            return
        runs = CounterMetricFamily("pipeline_runs", "Runs recorded in the run log, by status", labels=["status"])
        for status in STATUS_ORDER:
            runs.add_metric([status], data["by_status"].get(status, 0))
        yield runs
        yield gauge("pipeline_last_success_timestamp_seconds", "Start of the last successful run", data["last_success"])
        yield gauge("pipeline_mart_loaded_timestamp_seconds", "load_ts of the last run that loaded the mart",
                    data["mart_loaded_until"])  # fmt: skip
        last = data["last_run"]
        if last:
            yield gauge("pipeline_last_run_duration_seconds", "Duration of the last finished run", last["duration_s"])
            seconds = GaugeMetricFamily(
                "pipeline_last_run_step_duration_seconds", "Each step's duration in the last run", labels=["step"]
            )
            rows = GaugeMetricFamily(
                "pipeline_last_run_step_rows", "Rows each step wrote in the last run", labels=["step"]
            )
            for step in data["last_steps"]:
                if step["duration_ms"] is not None:
                    seconds.add_metric([step["step"]], step["duration_ms"] / 1000)
                rows.add_metric([step["step"]], step["rows_written"] or 0)
            yield seconds
            yield rows
        failing = GaugeMetricFamily("pipeline_checks_failed", "Checks whose latest result found offending rows")
        failing.add_metric([], sum(not check["latest"]["passed"] for check in data["checks"]))
        yield failing


def gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, documentation)
    if isinstance(value, datetime):
        value = value.timestamp()
    metric.add_metric([], float(value) if value is not None else float("nan"))
    return metric


def metrics_data(conn) -> dict:
    last_run = queries.last_finished_run(conn)
    return {
        "by_status": queries.runs_by_status(conn),
        "last_success": queries.last_success(conn),
        "mart_loaded_until": warehouse.last_complete_run(conn),
        "last_run": last_run,
        "last_steps": queries.steps_of(conn, [last_run["run_id"]]) if last_run else [],
        "checks": check_verdicts(queries.recent_checks(conn)),
    }
