"""What a run tells: one line per event on stdout, as text for people or JSON for log shippers, and
on an interactive terminal a progress line for steps that take a while."""

import json
import sys
import threading
import time
from datetime import UTC, datetime

PROGRESS_AFTER_S = 2.0


class Log:
    def __init__(self, fmt: str = "text", out=None, interactive: bool | None = None):
        self.fmt = fmt
        self.out = out or (lambda line: print(line, flush=True))
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.ticker: threading.Thread | None = None

    def message(self, text: str, **fields) -> None:
        if self.fmt == "json":
            self.emit({"time": now(), "event": "message", "message": text, **fields})
        else:
            self.emit(f"{now()} {text}")

    def step(self, run_id: int, step: str, rows: int, ms: int) -> None:
        if self.fmt == "json":
            self.emit({"time": now(), "event": "step", "run_id": run_id, "step": step, "rows": rows, "ms": ms})
        else:
            self.emit(f"{now()} run {run_id:<5} {step:<52} {rows:>9} rows {ms:>8} ms")

    def emit(self, record) -> None:
        line = json.dumps(record, default=str) if isinstance(record, dict) else record
        with self.lock:
            self.clear_progress()
            self.out(line)

    # progress, on a terminal only: which steps are running, and for how long
    def step_started(self, step: str) -> None:
        with self.lock:
            self.running[step] = time.monotonic()
        if self.interactive and self.ticker is None:
            self.ticker = threading.Thread(target=self.tick, daemon=True)
            self.ticker.start()

    def step_ended(self, step: str) -> None:
        with self.lock:
            self.running.pop(step, None)

    def tick(self) -> None:
        while True:
            time.sleep(1)
            with self.lock:
                slow = [(step, time.monotonic() - t) for step, t in self.running.items()]
                slow = [f"{step} {seconds:.0f} s" for step, seconds in slow if seconds >= PROGRESS_AFTER_S]
                if slow:
                    sys.stderr.write("\r\033[K  running: " + ", ".join(slow))
                    sys.stderr.flush()

    def clear_progress(self) -> None:
        if self.interactive:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
