"""The loads the pipeline is compared with, each run by bench/benchmark.py as a subprocess of its own:

    python bench/references.py baseline SOURCE_DSN TARGET_DSN
    python bench/references.py automatedv SOURCE_DSN TARGET_DSN
    python bench/references.py automatedv-sql SOURCE_DSN TARGET_DSN

- baseline: the original system's approach: whole tables read into pandas, denormalized, diffed against
  the target with merge, the new rows appended.
- automatedv: the reference of the stock server's first-load target (issue 13), a warehouse-only Data
  Vault first load in the shape of the SQL that dbt with AutomateDV generates (bench/automatedv_shape.sql),
  reading the source over postgres_fdw, run by dbt itself: a dbt project made afresh from the shape, one
  table model per statement, `dbt run --threads 2`.
- automatedv-sql: the same SQL without dbt (its start, parsing and scheduling left out): the staging
  statements, then the vault's, each two at a time on connections of their own.
"""

import json
import os
import re
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import warehouse  # noqa: E402

SHAPE = Path(__file__).resolve().with_name("automatedv_shape.sql")
THREADS = 2  # dbt's --threads: the models built at once, one per core here
SOURCE_TABLES = ["course", "stream", "stream_module", "stream_module_lesson"]


def baseline_once(source_dsn: str, target_dsn: str) -> str:
    """Read the source into pandas, denormalize, diff against the target with merge, append the new rows."""
    import pandas as pd

    warnings.filterwarnings("ignore", message=".*SQLAlchemy.*")  # pandas warns on a plain DBAPI connection
    with psycopg.connect(source_dsn) as source:
        course = pd.read_sql("SELECT * FROM course", source).add_prefix("course_")
        stream = pd.read_sql("SELECT * FROM stream", source).add_prefix("stream_")
        module = pd.read_sql("SELECT * FROM stream_module", source).add_prefix("module_")
        lesson = pd.read_sql("SELECT * FROM stream_module_lesson", source).add_prefix("lesson_")
    frame = (
        course.merge(stream, how="left", left_on="course_id", right_on="stream_course_id")
        .merge(module, how="left", left_on="stream_id", right_on="module_stream_id")
        .merge(lesson, how="left", left_on="module_id", right_on="lesson_stream_module_id")
    )
    types = {"int64": "bigint", "float64": "double precision", "bool": "boolean"}
    columns = [
        sql.SQL("{} {}").format(
            sql.Identifier(name),
            sql.SQL("timestamp" if str(dtype).startswith("datetime") else types.get(str(dtype), "text")),
        )
        for name, dtype in frame.dtypes.items()
    ]
    with psycopg.connect(target_dsn) as target:
        target.execute(sql.SQL("CREATE TABLE IF NOT EXISTS dm_baseline ({})").format(sql.SQL(", ").join(columns)))
        existing = pd.read_sql("SELECT * FROM dm_baseline", target)
        if existing.empty:
            new = frame
        else:
            merged = frame.merge(existing, how="left", on=list(frame.columns), indicator=True)
            new = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
        names = sql.SQL(", ").join(map(sql.Identifier, new.columns))
        with target.cursor().copy(sql.SQL("COPY dm_baseline ({}) FROM STDIN WITH (FORMAT csv)").format(names)) as copy:
            copy.write(new.to_csv(index=False, header=False))
    return f"{len(new)} rows appended"


def layers(text: str) -> list[list[str]]:
    """The shape's layers, split at its `-- == … ==` lines, each as its statements (comments kept)."""
    found = []
    for layer in re.split(r"^-- == .* ==$", text, flags=re.MULTILINE)[1:]:
        statements = [part.strip() for part in layer.split(";\n")]
        found.append([s for s in statements if any(line and not line.startswith("--") for line in s.splitlines())])
    return found


def read_source_over_fdw(conn: psycopg.Connection, source_dsn: str) -> None:
    """The source's four tables as foreign tables in schema raw, as dbt's sources would be declared: a foreign
    server made as migration 0001 makes the pipeline's, pointed at the source as the runner points it."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
    conn.execute(
        sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (fetch_size '10000')").format(
            sql.Identifier(warehouse.SOURCE_SERVER)
        )
    )
    warehouse.bind_source(conn, source_dsn)
    conn.execute("CREATE SCHEMA raw")
    conn.execute(
        sql.SQL("IMPORT FOREIGN SCHEMA public LIMIT TO ({}) FROM SERVER {} INTO raw").format(
            sql.SQL(", ").join(map(sql.Identifier, SOURCE_TABLES)), sql.Identifier(warehouse.SOURCE_SERVER)
        )
    )
    conn.execute("CREATE SCHEMA ref_dv")


def automatedv_sql_once(source_dsn: str, target_dsn: str) -> str:
    """Build the reference vault in an empty target database without dbt: staging, then the vault, two
    statements at a time."""
    with psycopg.connect(target_dsn, autocommit=True) as conn:
        read_source_over_fdw(conn, source_dsn)

    def build(statement: str) -> None:
        with psycopg.connect(target_dsn, autocommit=True) as model:
            model.execute(statement)

    seconds = []
    with ThreadPoolExecutor(THREADS) as pool:
        for layer in layers(SHAPE.read_text()):
            started = time.monotonic()
            list(pool.map(build, layer))  # each layer whole before the next, as dbt waits for a model's inputs
            seconds.append(time.monotonic() - started)
    with psycopg.connect(target_dsn) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'ref_dv'").fetchone()[0]
        lessons = conn.execute("SELECT count(*) FROM ref_dv.sat_lesson").fetchone()[0]
    staging, vault = seconds
    return f"{tables} tables, {lessons} lessons in ref_dv.sat_lesson; staging {staging:.2f} s, vault {vault:.2f} s"


def models(text: str) -> dict[str, str]:
    """The shape as dbt models: each CREATE TABLE ref_dv.<name> AS <query> becomes model <name>, its query
    reading the staging tables through ref(), which gives dbt the order to build them in."""
    found = {}
    for statement in (s for layer in layers(text) for s in layer):
        name, query = re.search(r"^CREATE TABLE ref_dv\.(\w+) AS\n(.*)", statement, re.MULTILINE | re.DOTALL).groups()
        found[name] = re.sub(r"\bref_dv\.(\w+)", r"{{ ref('\1') }}", query) + "\n"
    return found


def dbt_project(directory: Path, target_dsn: str) -> None:
    """A dbt project in `directory`: every model a table in schema ref_dv of the target, two built at a time.
    The password stays in the environment (dbt hides DBT_ENV_SECRET_ variables from its logs)."""
    target = conninfo_to_dict(target_dsn)
    os.environ["DBT_ENV_SECRET_PASSWORD"] = str(target.get("password", ""))
    project = {"name": "reference", "version": "1.0", "profile": "reference",
               "models": {"reference": {"+materialized": "table"}}}  # fmt: skip
    profile = {
        "type": "postgres", "host": target.get("host", "localhost"), "port": int(target.get("port", 5432)),
        "user": target.get("user", ""), "password": "{{ env_var('DBT_ENV_SECRET_PASSWORD') }}",
        "dbname": target["dbname"], "schema": "ref_dv", "threads": THREADS,
    }  # fmt: skip
    # YAML files written as JSON, which YAML reads: every value quoted as it must be
    (directory / "dbt_project.yml").write_text(json.dumps(project))
    profiles = {"reference": {"target": "bench", "outputs": {"bench": profile}}}
    (directory / "profiles.yml").write_text(json.dumps(profiles))
    (directory / "models").mkdir()
    for name, query in models(SHAPE.read_text()).items():
        (directory / "models" / f"{name}.sql").write_text(query)


def automatedv_once(source_dsn: str, target_dsn: str) -> str:
    """Build the reference vault in an empty target database with dbt: `dbt run --threads 2` of a project
    made afresh (parsed whole, as a job in a new container parses it)."""
    with psycopg.connect(target_dsn, autocommit=True) as conn:
        read_source_over_fdw(conn, source_dsn)
    started = time.monotonic()  # dbt's start counts: importing it takes seconds
    from dbt.cli.main import dbtRunner
    from dbt.version import __version__ as dbt_version

    with tempfile.TemporaryDirectory(prefix="reference-dbt-") as directory:
        dbt_project(Path(directory), target_dsn)
        flags = ["--project-dir", directory, "--profiles-dir", directory, "--quiet", "--no-version-check",
                 "--no-send-anonymous-usage-stats"]  # fmt: skip
        done = dbtRunner().invoke(["run", *flags])
    if not done.success:
        failed = [f"{r.node.name}: {r.message}" for r in (done.result or []) if r.status != "success"]
        sys.exit(f"error: reference: dbt run failed: {done.exception or '; '.join(failed)}")
    total = time.monotonic() - started
    by_model = {r.node.name: r.execution_time for r in done.result}
    with psycopg.connect(target_dsn) as conn:
        lessons = conn.execute("SELECT count(*) FROM ref_dv.sat_lesson").fetchone()[0]
    return (
        f"{len(by_model)} models under dbt {dbt_version}, {lessons} lessons in ref_dv.sat_lesson; "
        f"dbt run {total:.2f} s, its models {done.result.elapsed_time:.2f} s"
        f" (stg_lesson {by_model['stg_lesson']:.2f} s)"
    )


def main() -> None:
    loads = {"baseline": baseline_once, "automatedv": automatedv_once, "automatedv-sql": automatedv_sql_once}
    if len(sys.argv) != 4 or sys.argv[1] not in loads:
        sys.exit(f"usage: {Path(__file__).name} {{{','.join(loads)}}} SOURCE_DSN TARGET_DSN")
    print(loads[sys.argv[1]](sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
