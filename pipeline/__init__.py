"""Course catalog pipeline: OLTP source -> Data Vault warehouse (PostgreSQL) -> ClickHouse mart.

The modules, in the order a run uses them:
    config      settings from the environment, DSN parsing and masking
    embedded    the zero-configuration default: a pip-installed PostgreSQL server and chDB
    warehouse   PostgreSQL: connections, migrations, the source binding, the run log
    mart        ClickHouse (server or chDB): connections, migrations, the warehouse binding
    transforms  the SQL templates: discovery, rendering, dependency order
    run         one run of the pipeline: its steps in order, two at a time, then the checks
    steps       one step: its transaction (and slices) in the warehouse, or its query in ClickHouse
    guard       the mass-delete guard between the staging and the vault steps
    checks      the data checks: scoped to a run's keys after it, whole tables on demand
    scheduler   the long-running mode: a run every interval, retries, graceful stop
    log         step lines as text or JSON, and progress on a terminal
    web         the operator's page (web_queries, charts, metrics, templates/), health, alerts
    plan        what a run would execute, rendered from the configuration alone (plan, the run pages)
    report      lessons per course, from the mart or from the vault's history
    graph       the dependency graph as Mermaid or Graphviz
"""


class PipelineError(Exception):
    """An error a user can act on; str() is one line that names the database involved."""

    def __init__(self, database: str, message: str, transient: bool = False):
        super().__init__(f"{database}: {message}")
        self.database = database
        self.reason = message
        self.transient = transient  # worth retrying: a server restarting, a serialization failure


class RunInterrupted(PipelineError):
    """The runner was asked to stop (SIGTERM, SIGINT) before the run finished."""

    def __init__(self, signal_name: str):
        super().__init__("runner", f"stopped by {signal_name} before the run finished")


class ChecksFailed(PipelineError):
    """The run completed, but a data check found offending rows."""
