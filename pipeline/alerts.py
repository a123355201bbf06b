"""Alerts to a chat webhook: with ALERT_WEBHOOK_URL set, a failed run, a failed check and the
recovery after either each post one JSON message, {"text": ...} (what Slack and its look-alikes take).

Once per change of state: the state is read from the run log, the last finished run and each
check's latest result, now and as it was before this scheduled run started (`since`). So retries
within one scheduled run alert once, on how they ended, and a restarted scheduler does not alert
again about what it alerted before. Posting happens in a thread of its own with a short timeout: a
slow or failing webhook is logged and never fails or slows a run. Messages pass through `scrub`.
"""

import json
import os
import threading
import urllib.request
from datetime import datetime

from pipeline.config import scrub
from pipeline.log import Log
from pipeline.warehouse import first_line
from pipeline.web_queries import connect

TIMEOUT_S = 5
PREFIX = "course pipeline: "


def after_run(warehouse_dsn: str, log: Log, since: datetime, secrets: list[str]) -> threading.Thread | None:
    """Post what changed since `since`, if anything did and a webhook is configured; returns the thread
    that posts (None when there is nothing to post)."""
    url = os.environ.get("ALERT_WEBHOOK_URL")
    if not url:
        return None
    try:
        with connect(warehouse_dsn) as conn:
            messages = changes(conn, since)
    except Exception as error:
        log.message(f"alert not sent: cannot read the run log: {scrub(first_line(error), secrets)}")
        return None
    if not messages:
        return None
    messages = [scrub(PREFIX + message, secrets) for message in messages]
    thread = threading.Thread(target=post_all, args=(url, messages, log), name="alerts")
    thread.start()
    return thread


def changes(conn, since: datetime) -> list[str]:
    """The alerts due: how the last run ended and which checks fail, now against before `since`."""
    messages = []
    now, before = last_verdict(conn), last_verdict(conn, since)
    if now and now["load_ts"] >= since:
        if now["status"] == "failed" and (before is None or before["status"] == "success"):
            messages.append(f"run {now['run_id']} failed: {now['error'] or 'no error recorded'}")
        elif now["status"] == "success" and before and before["status"] == "failed":
            messages.append(f"run {now['run_id']} succeeded: recovered from the failure of run {before['run_id']}")
    failing_now, failing_before = failing_checks(conn), failing_checks(conn, since)
    for name, result in sorted(failing_now.items()):
        if name not in failing_before:
            examples = f", e.g. {result['examples']}" if result["examples"] else ""
            messages.append(f"check {name} failed ({result['database']}): {result['failures']} offending{examples}")
    passing = latest_checks(conn)
    for name in sorted(failing_before):
        if name in passing and passing[name]["passed"] and passing[name]["checked_at"] >= since:
            messages.append(f"check {name} passes again")
    return messages


def last_verdict(conn, before: datetime | None = None) -> dict | None:
    """The last run that succeeded or failed (interrupted and skipped runs say nothing of the data)."""
    return conn.execute(
        "SELECT run_id, load_ts, status, error FROM meta.run WHERE status IN ('success', 'failed')"
        " AND load_ts < coalesce(%s::timestamptz, 'infinity') ORDER BY run_id DESC LIMIT 1",
        [before],
    ).fetchone()


def latest_checks(conn, before: datetime | None = None) -> dict[str, dict]:
    """Each check's latest result (before `before`), whatever the checks are called."""
    rows = conn.execute(
        "SELECT DISTINCT ON (check_name) check_name, database, passed, failures, examples, checked_at"
        " FROM (SELECT * FROM meta.check_result WHERE checked_at < coalesce(%s::timestamptz, 'infinity')"
        "       ORDER BY checked_at DESC LIMIT 5000) recent"
        " ORDER BY check_name, checked_at DESC",
        [before],
    ).fetchall()
    return {row["check_name"]: row for row in rows}


def failing_checks(conn, before: datetime | None = None) -> dict[str, dict]:
    return {name: row for name, row in latest_checks(conn, before).items() if not row["passed"]}


def post_all(url: str, messages: list[str], log: Log) -> None:
    for message in messages:
        try:
            post(url, message)
            log.message(f"alert sent: {message}")
        except Exception as error:  # the webhook's problem, never the run's; its URL may hold a token
            log.message(f"alert not sent ({type(error).__name__}: {first_line(error)}): {message}")
            return


def post(url: str, text: str) -> None:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (the operator's own URL)
        response.read()
