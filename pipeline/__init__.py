"""Course catalog pipeline: OLTP source -> Data Vault warehouse (PostgreSQL) -> ClickHouse mart.

The modules, in the order a run uses them:
    config      settings from the environment, DSN parsing and masking
    embedded    the zero-configuration default: a pip-installed PostgreSQL server and chDB
    warehouse   PostgreSQL: connections, migrations, the source binding, the run log
    mart        ClickHouse (server or chDB): connections, migrations, the warehouse binding
    transforms  the SQL templates: discovery, rendering, dependency order
    run         one run of the pipeline, step by step
"""


class PipelineError(Exception):
    """An error a user can act on; str() is one line that names the database involved."""

    def __init__(self, database: str, message: str):
        super().__init__(f"{database}: {message}")
        self.database = database
