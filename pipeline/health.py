"""The one rule of health, shared by `status --healthcheck` and the page's /healthz: healthy while
the last successful run started less than three scheduler intervals ago."""

from datetime import UTC, datetime, timedelta

INTERVALS = 3


def verdict(last_success: datetime | None, every_s: int, now: datetime | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    now = now or datetime.now(UTC)
    if last_success is not None and now - last_success < timedelta(seconds=INTERVALS * every_s):
        return True, f"healthy: last successful run at {last_success.isoformat()}"
    last = last_success.isoformat() if last_success else "never"
    return False, f"unhealthy: last successful run {last}, older than three intervals of {every_s} s"
