"""The README's pictures of the operator's page, taken from the real page in headless Chromium.

    python docs/screenshots.py

Starts the embedded PostgreSQL server with the demo catalog in a temporary DATA_DIR, runs the
scheduler with its page (`runner.py schedule --every 3s --port …`), changes the source between runs,
breaks it once (a renamed column) and mends it, then saves docs/overview.png and docs/run.png (the
failed run). Needs Debian's chromium (/usr/bin/chromium) and Playwright (requirements-dev.txt).
"""

import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psycopg
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import embedded  # noqa: E402

DOCS = ROOT / "docs"


class Scheduler:
    """runner.py schedule with its page, in the background; its output lines, as they come."""

    def __init__(self, env: dict, port: int):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "runner.py"), "schedule", "--every", "3s", "--port", str(port)],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def wait_for(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=120)
            print(line, end="")
            if text in line:
                return line

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def source_change(source: str, statement: str) -> None:
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(statement)


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="screenshots-"))
    server = embedded.start_postgres(data_dir)
    source, warehouse = embedded.ensure_demo_source(server), embedded.ensure_warehouse(server)
    port = free_port()
    env = {"DATA_DIR": str(data_dir), "SOURCE_DSN": source, "WAREHOUSE_DSN": warehouse}
    scheduler = Scheduler(env, port)
    try:
        scheduler.wait_for("success, ")  # the first load
        for version in (2, 3):
            source_change(source, f"UPDATE stream_module_lesson SET title = title || ' v{version}' WHERE id % 3 = 0")
            scheduler.wait_for("success, ")
        source_change(source, "ALTER TABLE stream RENAME COLUMN name TO stream_name")
        scheduler.wait_for("run failed: ")
        source_change(source, "ALTER TABLE stream RENAME COLUMN stream_name TO name")
        source_change(source, "UPDATE stream SET name = name || ' (autumn)' WHERE id % 2 = 0")
        scheduler.wait_for("success, ")
        scheduler.wait_for("success, ")
        with psycopg.connect(warehouse) as conn:
            failed = conn.execute("SELECT max(run_id) FROM meta.run WHERE status = 'failed'").fetchone()[0]
        shoot(f"http://127.0.0.1:{port}", failed)
    finally:
        scheduler.stop()


def shoot(base: str, failed_run: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(base + "/")
        page.screenshot(path=str(DOCS / "overview.png"), full_page=True)
        page.goto(f"{base}/runs/{failed_run}")
        height = page.locator("h2:has-text('SQL')").bounding_box()["y"]
        clip = {"x": 0, "y": 0, "width": 1280, "height": height}
        page.screenshot(path=str(DOCS / "run.png"), full_page=True, clip=clip)
        browser.close()
    print(f"saved {DOCS / 'overview.png'} and {DOCS / 'run.png'} (run {failed_run})")


if __name__ == "__main__":
    main()
