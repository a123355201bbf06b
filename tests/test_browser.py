"""The operator's page in a real browser (Debian's chromium, driven by Playwright), while a real
scheduler runs on the demo catalog: runs appear, a failed run's page shows its failing step and
error, the lineage picture shows every table, database text stays text; alerts reach a webhook."""

import signal
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from conftest import demo_source, free_port
from test_scheduler import Process
from test_web import Receiver

from pipeline import embedded, graph, transforms
from pipeline.plan import plan_renderer

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def test_the_page_in_a_browser_beside_a_running_scheduler(browser, pg_server, tmp_path):
    source = demo_source(pg_server, "browser_source")
    warehouse = embedded.ensure_warehouse(pg_server, "browser_warehouse")
    receiver = Receiver()
    port = free_port()
    env = {
        "SOURCE_DSN": source,
        "WAREHOUSE_DSN": warehouse,
        "CLICKHOUSE_URL": f"chdb://{tmp_path}/chdb",
        "DATA_DIR": str(tmp_path),
        "ALERT_WEBHOOK_URL": receiver.url,
    }
    scheduler = Process("schedule", "--every", "5s", "--port", str(port), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        scheduler.wait_for(f"operator's page at {base}/")
        scheduler.wait_for("success, ")  # run 1
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("ALTER TABLE stream RENAME COLUMN name TO stream_name")
        scheduler.wait_for("run failed: ")
        with psycopg.connect(warehouse, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO meta.check_result (check_name, database, passed, failures, examples)"
                " VALUES ('title_check', 'warehouse', false, 1, 'course <script>alert(1)</script>')"
            )
            failed_run, step, error = conn.execute(
                "SELECT run_id, step, error FROM meta.run_step WHERE status = 'failed'"
            ).fetchone()

        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        page.goto(base + "/")
        assert page.locator("table.grid th.run a").count() >= 2  # the runs so far, each a column
        page.locator("table.grid a.st-failed").first.click()
        assert page.url == f"{base}/runs/{failed_run}"
        assert page.locator("h2", has_text="Failed step").inner_text() == f"Failed step: {step}"
        assert page.locator("#failed-step").inner_text() == error
        assert page.locator("#timeline rect").count() >= 1

        page.goto(base + "/lineage")
        renderer = plan_renderer(config_for(env), mart_loaded_until=datetime.now(UTC))
        tables = {t for edge in graph.edges(transforms.plan_steps(renderer.transforms, renderer)) for t in edge}
        drawn = set(page.locator("#lineage g.table text[font-weight=bold]").all_text_contents())
        assert drawn == tables
        assert page.locator("#lineage").bounding_box()["height"] > 100

        page.goto(base + "/checks")
        assert page.get_by_text("course <script>alert(1)</script>").count() == 1  # shown as text, never run
        assert dialogs == []

        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("ALTER TABLE stream RENAME COLUMN stream_name TO name")
        scheduler.wait_for("alert sent: course pipeline: run", timeout=60)  # the failure's alert
        scheduler.wait_for("succeeded: recovered", timeout=60)
        texts = [message["text"] for message in receiver.messages]
        assert any(f"run {failed_run} failed" in text for text in texts)
        assert any("recovered from the failure" in text for text in texts)
        assert scheduler.stop(signal.SIGTERM) == 0
    finally:
        scheduler.kill()
        receiver.close()


def config_for(env: dict):
    from pipeline.config import Config

    return Config.from_env(env)
