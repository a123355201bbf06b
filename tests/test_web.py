"""The operator's page over a real run log: pages, escaping, secrets, /healthz and /metrics over HTTP,
a warehouse that is down, the `serve` command, and alerts against a local webhook receiver."""

import http.server
import json
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import astuple
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import ROOT, demo_source, free_port
from prometheus_client.parser import text_string_to_metric_families

from pipeline import PipelineError, alerts, embedded, graph, transforms, web
from pipeline.config import Config, secrets_of
from pipeline.log import Log
from pipeline.plan import plan_renderer
from pipeline.run import Endpoints, run_once

PASSWORD = "Ui-s3cret-pw"  # the embedded server trusts its socket: a password in the DSN is carried, never checked


def with_password(dsn: str) -> str:
    return dsn.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


def run(endpoints: Endpoints, lines: list | None = None):
    return run_once(endpoints, Log(out=(lines if lines is not None else []).append, interactive=False))


@pytest.fixture(scope="module")
def loaded(pg_server, chdb_path):
    """A warehouse with three runs: two successful, then one failed in a step (a source column renamed)."""
    source = with_password(demo_source(pg_server, "web_source"))
    warehouse = with_password(embedded.ensure_warehouse(pg_server, "web_warehouse"))
    endpoints = Endpoints(source, warehouse, f"chdb://{chdb_path}?database=web_mart")
    run(endpoints)
    run(endpoints)
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("ALTER TABLE stream RENAME COLUMN name TO stream_name")
    with pytest.raises(PipelineError):
        run(endpoints)
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("ALTER TABLE stream RENAME COLUMN stream_name TO name")
        conn.execute("ANALYZE")  # as autovacuum would have: the page shows the source's estimates
    config = Config(source, warehouse, endpoints.clickhouse_url, ROOT / "data")
    secrets = secrets_of(*astuple(endpoints))
    page = web.Page(warehouse, endpoints.clickhouse_url, config, 600, secrets, source_dsn=source)
    server = web.start(web.create_app(page), "127.0.0.1", 0)
    yield endpoints, f"http://127.0.0.1:{server.effective_port}"
    server.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def warehouse_rows(endpoints: Endpoints, query: str, params=None) -> list[tuple]:
    with psycopg.connect(endpoints.warehouse_dsn, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def test_the_overview_shows_every_run_and_the_health(loaded):
    endpoints, base = loaded
    status, body = get(base + "/")
    assert status == 200
    for (run_id,) in warehouse_rows(endpoints, "SELECT run_id FROM meta.run"):
        assert f'href="/runs/{run_id}"' in body
    assert '<div class="value">healthy</div>' in body and 'id="mart-freshness"' in body
    assert "st-failed" in body and "st-success" in body
    assert '<svg id="history"' in body


def test_a_failed_run_shows_its_failing_step_its_error_its_timeline_and_masked_sql(loaded):
    endpoints, base = loaded
    [(run_id, step, error)] = warehouse_rows(
        endpoints, "SELECT run_id, step, error FROM meta.run_step WHERE status = 'failed'"
    )
    status, body = get(f"{base}/runs/{run_id}")
    assert status == 200
    assert f"Failed step: <code>{step}</code>" in body
    assert web_text(error) in body
    assert '<svg id="timeline"' in body and body.count("<rect") >= 2
    assert "ALTER SERVER" in body and "********" in body  # the source binding, masked as plan masks it
    assert "INSERT INTO" in body  # the steps' rendered SQL


def web_text(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_an_unknown_run_is_404(loaded):
    _, base = loaded
    assert get(base + "/runs/999999")[0] == 404
    assert get(base + "/runs/not-a-number")[0] == 404


def test_lineage_shows_every_table_with_its_rows(loaded):
    endpoints, base = loaded
    config = Config(None, None, endpoints.clickhouse_url, ROOT / "data")
    renderer = plan_renderer(config, mart_loaded_until=datetime.now(UTC))  # as `graph` draws it
    steps = transforms.plan_steps(renderer.transforms, renderer)
    tables = {table for edge in graph.edges(steps, "web_mart") for table in edge}
    status, body = get(base + "/lineage")
    assert status == 200
    svg = body[body.index('<svg id="lineage"') : body.index("</svg>")]
    for table in tables:
        assert f'data-table="{table}"' in svg
    assert "~36 rows" in svg  # the 36 demo lessons, estimated
    lessons = svg[svg.index('data-table="source.stream_module_lesson"') :]  # estimated in the source (analyzed)
    assert re.match(r"[^<]*>\s*<rect[^>]*>\s*<text[^>]*>source\.stream_module_lesson</text>\s*<text[^>]*>~36 ", lessons)
    # chDB is open in this process (the runs above), as in `schedule --port`: the page reads its sizes
    data_table = svg[svg.index('data-table="web_mart.dm_courses_modules_lessons_streams_data"') :]
    assert re.match(r'[^<]*>\s*<a href="/runs/1">.*?>(\d+) rows<', data_table, re.S), data_table[:600]


def test_checks_show_whatever_checks_the_log_holds(loaded):
    endpoints, base = loaded
    names = [name for (name,) in warehouse_rows(endpoints, "SELECT DISTINCT check_name FROM meta.check_result")]
    assert names
    status, body = get(base + "/checks")
    assert status == 200
    for name in names:
        assert f'<tr id="{name}">' in body


def test_database_text_is_escaped_and_no_secret_leaves(loaded):
    endpoints, base = loaded
    (last,) = warehouse_rows(endpoints, "SELECT max(run_id) FROM meta.run")[0]
    warehouse_rows(
        endpoints,
        "INSERT INTO meta.check_result (run_id, check_name, database, passed, failures, examples)"
        " VALUES (%s, 'title_check', 'warehouse', false, 1, %s)",
        [last, "course <script>alert(1)</script>"],
    )
    warehouse_rows(
        endpoints,
        "INSERT INTO meta.run (load_ts, finished_at, status, error)"
        " VALUES (clock_timestamp(), clock_timestamp(), 'failed', %s)",
        [f"<b>bold</b> and a password that must not show: {PASSWORD}"],
    )
    bodies = {path: get(base + path) for path in ("/", "/checks", "/lineage", "/healthz", "/metrics", "/nowhere")}
    bodies |= {
        f"/runs/{i}": get(f"{base}/runs/{i}") for (i,) in warehouse_rows(endpoints, "SELECT run_id FROM meta.run")
    }
    for path, (_, body) in bodies.items():
        assert PASSWORD not in body, path
        assert endpoints.warehouse_dsn not in body and endpoints.source_dsn not in body, path
        assert "<script>" not in body and "<b>bold" not in body, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bodies["/checks"][1]
    assert "&lt;b&gt;bold&lt;/b&gt;" in bodies["/"][1] and "********" in bodies["/"][1]


def test_healthz_and_metrics_over_http(loaded):
    endpoints, base = loaded
    status, body = get(base + "/healthz")
    assert status == 200 and json.loads(body)["healthy"] is True
    status, body = get(base + "/metrics")
    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(body)}
    runs = {sample.labels["status"]: sample.value for sample in families["pipeline_runs"].samples}
    by_status = dict(warehouse_rows(endpoints, "SELECT status, count(*) FROM meta.run GROUP BY status"))
    assert runs["success"] == by_status["success"] and runs["failed"] == by_status["failed"]
    assert families["pipeline_runs"].type == "counter"
    (last_success,) = warehouse_rows(endpoints, "SELECT max(load_ts) FROM meta.run WHERE status = 'success'")[0]
    assert families["pipeline_last_success_timestamp_seconds"].samples[0].value == last_success.timestamp()
    assert families["pipeline_mart_loaded_timestamp_seconds"].samples[0].value == last_success.timestamp()
    steps = families["pipeline_last_run_step_duration_seconds"].samples
    assert steps and all(set(sample.labels) == {"step"} for sample in steps)
    assert {s.labels["step"] for s in families["pipeline_last_run_step_rows"].samples} >= {
        s.labels["step"] for s in steps
    }
    assert families["pipeline_warehouse_up"].samples[0].value == 1
    assert "pipeline_checks_failed" in families and "pipeline_last_run_duration_seconds" in families


def test_a_warehouse_that_is_down_keeps_the_page_up(tmp_path):
    dead = f"postgresql://loader:{PASSWORD}@127.0.0.1:{free_port()}/warehouse"
    config = Config(None, dead, f"chdb://{tmp_path}/chdb", tmp_path)
    page = web.Page(dead, config.clickhouse_url, config, 600, secrets_of(dead))
    server = web.start(web.create_app(page), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        for path in ("/", "/checks", "/lineage", "/runs/1"):
            status, body = get(base + path)
            assert status == 200 and "warehouse unreachable: " in body, path
            assert PASSWORD not in body and dead not in body, path
        status, body = get(base + "/healthz")
        assert status == 503 and "warehouse unreachable" in json.loads(body)["reason"]
        status, body = get(base + "/metrics")
        families = {family.name: family for family in text_string_to_metric_families(body)}
        assert status == 200 and families["pipeline_warehouse_up"].samples[0].value == 0
    finally:
        server.close()


def test_serve_alone_answers_until_sigterm(loaded):
    endpoints, _ = loaded
    port = free_port()
    env = {"SOURCE_DSN": endpoints.source_dsn, "WAREHOUSE_DSN": endpoints.warehouse_dsn,
           "CLICKHOUSE_URL": endpoints.clickhouse_url, "UI_PORT": str(port), "PATH": "/usr/bin:/bin"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "runner.py"), "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert f"operator's page at http://127.0.0.1:{port}/" in process.stdout.readline()
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["healthy"] is True
        assert "Next run" not in get(f"http://127.0.0.1:{port}/")[1]  # no scheduler beside it
        assert "mart unavailable: chDB is embedded in the runner" in get(f"http://127.0.0.1:{port}/lineage")[1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


class Receiver:
    """A webhook on 127.0.0.1 that keeps what is posted to it; `hold` makes it answer only when released."""

    def __init__(self, hold: bool = False):
        self.messages: list[dict] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                receiver.arrived.set()
                receiver.release.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()


def alert(pipeline, since, lines) -> list[str]:
    thread = alerts.after_run(pipeline.endpoints.warehouse_dsn, Log(out=lines.append), since, [PASSWORD])
    if thread:
        thread.join(30)
    return [line for line in lines if "alert" in line]


def test_alerts_once_per_change_of_state(pipeline, monkeypatch):
    receiver = Receiver()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url)
    try:
        since = datetime.now(UTC)
        pipeline.run()
        assert alert(pipeline, since, []) == [] and receiver.messages == []  # nothing changed: no news

        pipeline.source("ALTER TABLE stream RENAME COLUMN name TO stream_name")
        for _ in range(2):  # failing twice is one change of state
            since = datetime.now(UTC)
            with pytest.raises(PipelineError):
                pipeline.run()
            alert(pipeline, since, [])
        [failed] = receiver.messages
        assert set(failed) == {"text"} and failed["text"].startswith("course pipeline: run ")
        assert " failed: " in failed["text"] and "stg_stream" in failed["text"]

        pipeline.source("ALTER TABLE stream RENAME COLUMN stream_name TO name")
        since = datetime.now(UTC)
        pipeline.run()
        alert(pipeline, since, [])
        assert "succeeded: recovered" in receiver.messages[-1]["text"] and len(receiver.messages) == 2

        # a check fails, then passes again; whatever it is called, and never with a password
        since = datetime.now(UTC)
        pipeline.warehouse(
            "INSERT INTO meta.check_result (check_name, database, passed, failures, examples)"
            " VALUES ('renamed_check', 'warehouse', false, 2, %s) RETURNING 1",
            [f"vault.h_course {PASSWORD}"],
        )
        alert(pipeline, since, [])
        assert receiver.messages[-1]["text"].startswith("course pipeline: check renamed_check failed")
        assert PASSWORD not in receiver.messages[-1]["text"] and "********" in receiver.messages[-1]["text"]
        alert(pipeline, datetime.now(UTC), [])  # a restart, or the next run: the same state, no news
        assert len(receiver.messages) == 3
        since = datetime.now(UTC)
        pipeline.warehouse(
            "INSERT INTO meta.check_result (check_name, database, passed, failures)"
            " VALUES ('renamed_check', 'warehouse', true, 0) RETURNING 1"
        )
        alert(pipeline, since, [])
        assert receiver.messages[-1]["text"] == "course pipeline: check renamed_check passes again"
    finally:
        receiver.close()


def test_a_slow_or_dead_webhook_never_holds_up_the_run(pipeline, monkeypatch):
    receiver = Receiver(hold=True)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url)
    pipeline.source("ALTER TABLE stream RENAME COLUMN name TO stream_name")
    since = datetime.now(UTC)
    with pytest.raises(PipelineError):
        pipeline.run()
    lines = []
    thread = alerts.after_run(pipeline.endpoints.warehouse_dsn, Log(out=lines.append), since, [])
    assert receiver.arrived.wait(30) and thread.is_alive()  # after_run returned while the webhook holds
    receiver.close()
    thread.join(30)

    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/nobody")
    pipeline.warehouse("UPDATE meta.run SET status = 'success' RETURNING 1")  # so the next failure is news
    since = datetime.now(UTC)
    with pytest.raises(PipelineError):
        pipeline.run()
    lines = []
    alerts.after_run(pipeline.endpoints.warehouse_dsn, Log(out=lines.append), since, []).join(30)
    assert any("alert not sent (URLError" in line for line in lines)


def test_one_health_rule_for_healthz_and_the_healthcheck():
    from datetime import timedelta

    from pipeline.health import verdict

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert verdict(now - timedelta(seconds=1799), 600, now)[0] is True
    assert verdict(now - timedelta(seconds=1800), 600, now) == (
        False,
        f"unhealthy: last successful run {(now - timedelta(seconds=1800)).isoformat()}, older than three"
        " intervals of 600 s",
    )
    assert verdict(None, 600, now)[1] == "unhealthy: last successful run never, older than three intervals of 600 s"


def test_a_retired_check_leaves_the_verdicts_once_the_current_checks_ran_after_it():
    from datetime import timedelta

    from pipeline.web_queries import check_verdicts

    now = datetime.now(UTC)

    def result(name, passed, seconds_ago):
        return {"check_name": name, "passed": passed, "checked_at": now - timedelta(seconds=seconds_ago)}

    newest_first = [
        result("rows_point_at_parents", True, 10),
        result("hub_keys_unique", False, 60),  # its file is gone: retired
        result("some_new_check", False, 5),  # recorded after the current checks: shown
    ]
    assert [v["name"] for v in check_verdicts(newest_first)] == ["some_new_check", "rows_point_at_parents"]
