"""The long-running mode: run the pipeline at start and then every interval, one run at a time per
warehouse, retrying transient failures, and stopping cleanly on SIGTERM or SIGINT.

    python runner.py schedule --every 10m

The `schedule` library keeps the interval. A run that overruns it is not started twice: jobs run
in this thread one after the other, and a missed interval is not made up.
"""

import os
import re
import signal
import threading
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import schedule

from pipeline import ChecksFailed, PipelineError, RunInterrupted, alerts
from pipeline.config import secrets_of
from pipeline.guard import DEFAULT_MAX_DELETE_SHARE
from pipeline.log import Log
from pipeline.run import STOP, Endpoints, run_once

DEFAULT_EVERY = "10m"
DEFAULT_FULL_CHECK_EVERY = "1d"  # the whole-table data checks, after the first run past this age
RETRY_ATTEMPTS = 5  # a transient failure is tried again up to 4 times,
RETRY_FIRST_DELAY_S = 2  # after 2, 4, 8 and 16 seconds
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str, what: str = "the schedule interval") -> int:
    """'30s', '10m', '1h', '1d' or plain seconds ('600') -> seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise PipelineError("config", f"{what} must look like 30s, 10m, 1h or 1d, got {text!r}")
    return int(match.group(1)) * UNITS[match.group(2) or "s"]


def run_with_retries(
    endpoints: Endpoints,
    log: Log,
    full_check_every_s: int | None = None,
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE,
) -> str:
    """One scheduled run (and the whole-table checks when they are due); returns how it ended: success,
    skipped, failed, interrupted or checks failed. Then alerts on what changed (pipeline/alerts.py),
    unless the run was skipped for another's."""
    since = datetime.now(UTC)
    outcome = attempt_run(endpoints, log, full_check_every_s, max_delete_share)
    if outcome != "skipped":
        alerts.after_run(endpoints.warehouse_dsn, log, since, secrets_of(*astuple(endpoints)))
    return outcome


def attempt_run(endpoints: Endpoints, log: Log, full_check_every_s: int | None, max_delete_share: float) -> str:
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            result = run_once(
                endpoints,
                log,
                when_busy="skip",
                full_check_every=full_check_every_s,
                max_delete_share=max_delete_share,
            )
            return "skipped" if result is None else "success"
        except RunInterrupted as error:
            log.message(f"run interrupted: {error}", status="interrupted")
            return "interrupted"
        except ChecksFailed as error:
            log.message(f"run loaded, but a data check failed: {error}", status="checks failed", error=str(error))
            return "checks failed"
        except PipelineError as error:
            if not error.transient or attempt == RETRY_ATTEMPTS or STOP.is_set():
                log.message(f"run failed: {error}", status="failed", error=str(error))
                return "failed"
            delay = RETRY_FIRST_DELAY_S * 2 ** (attempt - 1)
            log.message(f"transient failure, retrying in {delay} s ({attempt}/{RETRY_ATTEMPTS - 1}): {error}")
            if STOP.wait(delay):
                return "interrupted"
    return "failed"


def next_run() -> datetime | None:
    """When the scheduler starts its next run (None before it is set up)."""
    idle = schedule.idle_seconds()
    return None if idle is None else datetime.now(UTC) + timedelta(seconds=idle)


def install_signal_handlers(log: Log) -> None:
    """SIGTERM and SIGINT request a stop. A Python signal handler runs in the main thread between two
    bytecodes, perhaps while that thread holds the log's lock or the stop event's, and taking either
    again would hang it. So the handler only writes the signal's number to a pipe, and a thread of
    its own reads it, says so and sets STOP."""
    read_end, write_end = os.pipe()

    def handler(signum, frame):
        os.write(write_end, bytes([signum]))

    def announce():
        while True:
            name = signal.Signals(os.read(read_end, 1)[0]).name
            if not STOP.is_set():
                log.message(f"{name} received: finishing the running steps, then stopping")
            STOP.request(name)

    threading.Thread(target=announce, name="stop-signals", daemon=True).start()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve(
    endpoints: Endpoints,
    every_s: int,
    log: Log,
    full_check_every_s: int | None = None,
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE,
) -> int:
    """Run now and then every `every_s` seconds until a stop is requested; exit status 0. The whole-table
    checks follow the first run after they are `full_check_every_s` old."""
    install_signal_handlers(log)
    log.message(f"scheduler started: a run now and then every {every_s} s")
    schedule.every(every_s).seconds.do(run_with_retries, endpoints, log, full_check_every_s, max_delete_share)
    run_with_retries(endpoints, log, full_check_every_s, max_delete_share)
    while not STOP.is_set():
        schedule.run_pending()
        STOP.wait(min(1.0, max(schedule.idle_seconds() or 0, 0.05)))
    schedule.clear()
    log.message(f"scheduler stopped ({STOP.reason})")
    return 0
