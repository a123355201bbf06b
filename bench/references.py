"""The loads the pipeline is compared with, each run by bench/benchmark.py as a subprocess of its own:

    python bench/references.py baseline SOURCE_DSN TARGET_DSN
    python bench/references.py automatedv SOURCE_DSN TARGET_DSN

- baseline: the original system's approach: whole tables read into pandas, denormalized, diffed against
  the target with merge, the new rows appended.
- automatedv: the reference of the stock server's first-load target (issue 13), a warehouse-only Data
  Vault first load in the shape of the SQL that dbt with AutomateDV generates (bench/automatedv_shape.sql),
  reading the source over postgres_fdw. Its staging models, then its vault models, each two at a time on
  connections of their own, as `dbt run --threads 2` runs models whose inputs are built.
"""

import re
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

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


def automatedv_once(source_dsn: str, target_dsn: str) -> str:
    """Build the reference vault in an empty target database: staging, then the vault, two models at a time."""
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


def main() -> None:
    loads = {"baseline": baseline_once, "automatedv": automatedv_once}
    if len(sys.argv) != 4 or sys.argv[1] not in loads:
        sys.exit(f"usage: {Path(__file__).name} {{{','.join(loads)}}} SOURCE_DSN TARGET_DSN")
    print(loads[sys.argv[1]](sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
