"""The mass-delete guard: a run that would mark most of an entity deleted stops before the vault.

A source that suddenly looks empty (a wrong SOURCE_DSN, a replica being rebuilt, a TRUNCATE) is, to
the staging steps, a source whose every key vanished. Loaded, it would mark the whole catalog deleted
and empty the mart, with every check passing. So between the staging steps, which compute the delta,
and the vault steps, which write it, the run counts per entity the keys staged as vanished against
the vault's current keys, and refuses when they are more than a share (MAX_DELETE_SHARE, default half)
or all of them. `runner.py once --allow-mass-delete` lets one run through.
"""

from dataclasses import dataclass

import psycopg
from psycopg import sql

from pipeline import PipelineError

DEFAULT_MAX_DELETE_SHARE = 0.5
ALLOW_HINT = "If this is real, run `runner.py once --allow-mass-delete`"


class MassDelete(PipelineError):
    """A run refused to mark most of an entity deleted; never transient: the next run meets the same."""

    def __init__(self, message: str):
        super().__init__("source", message)


@dataclass(frozen=True)
class Limit:
    max_share: float = DEFAULT_MAX_DELETE_SHARE  # more of an entity's current keys is a mass delete
    allow: bool = False  # let this run's mass delete through


def delta_steps(steps: dict) -> set[str]:
    """The staging steps that compute an entity's delta against the source: stg_<entity>, the staging
    steps that read a source table. Each stages its vanished keys with `vanished` set."""
    return {
        name
        for name, step in steps.items()
        if step.transform.layer == "staging" and any(table.startswith("source.") for table in step.reads)
    }


def deletions(conn: psycopg.Connection, delta: set[str], max_share: float) -> list[tuple[str, int, int]]:
    """Per entity staged by the `delta` steps: the keys this run would mark deleted, and the vault's
    current keys. Staging is read only when the vault holds the entity (a first load stages every
    row, none vanished). The current keys are counted only so far as decides the matter: past
    vanished / max_share of them the delete is not a mass delete."""
    counts = []
    for name in sorted(delta):
        entity = name.removeprefix("stg_")
        staged, current_table = sql.Identifier("staging", name), sql.Identifier("vault", f"cur_{entity}")
        (vanished,) = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE vanished AND EXISTS (SELECT FROM {})").format(staged, current_table)
        ).fetchone()
        if vanished:
            enough = int(vanished / max_share) + 1 if max_share else None
            counted = sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT %s) AS current").format(current_table)
            (current,) = conn.execute(counted, [enough]).fetchone()
            counts.append((entity, vanished, current))
    return counts


def is_mass_delete(vanished: int, current: int, max_share: float) -> bool:
    """More than max_share of the current keys, or all of them (a current count that stopped at
    vanished / max_share + 1 decides the same as the whole count)."""
    return vanished > 0 and (vanished > max_share * current or vanished >= current)


def check(conn: psycopg.Connection, delta: set[str], limit: Limit, log) -> None:
    """Raise MassDelete when the staged delta would mark deleted more than the limit's share of an
    entity's current keys, or all of them; when the limit allows it, log what goes through instead."""
    max_share = limit.max_share
    too_many = [
        (entity, vanished, current)
        for entity, vanished, current in deletions(conn, delta, max_share)
        if is_mass_delete(vanished, current, max_share)
    ]
    if not too_many:
        return
    what = ", ".join(f"{vanished} of {current} current {entity}s" for entity, vanished, current in too_many)
    if limit.allow:
        log.message(f"mass delete allowed (--allow-mass-delete): marking {what} deleted")
        return
    raise MassDelete(
        f"refusing to mark {what} deleted (more than {max_share:.0%}, or all); the source may be empty or"
        f" wrong. {ALLOW_HINT}"
    )
