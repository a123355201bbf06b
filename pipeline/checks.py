"""Data checks: each file under checks/<warehouse|mart>/ is a query, run inside that database, that
returns the offending rows (table, key); no rows, the check passes. Run after every run and by
`python runner.py check`; results go to meta.check_result."""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from pipeline import PipelineError, warehouse
from pipeline.mart import Mart, warehouse_table

ROOT = Path(__file__).resolve().parent.parent / "checks"
EXAMPLES = 5


@dataclass
class CheckResult:
    name: str
    database: str
    failures: int
    examples: list[str]

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def offending(self) -> str:
        return f"{self.failures} offending, e.g. {'; '.join(self.examples)}"


def render(path: Path, the_mart: Mart) -> str:
    def warehouse(schema: str, table: str) -> str:
        return warehouse_table(the_mart.database, schema, table)

    env = Environment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(path.read_text()).render(mart=the_mart.database, warehouse=warehouse)


def run_check(path: Path, meta, the_mart: Mart) -> CheckResult:
    database = path.parent.name
    query = render(path, the_mart)
    counted = f"SELECT count(*) OVER () AS failures, tbl, offending_key FROM ({query}) AS offending LIMIT {EXAMPLES}"
    try:
        rows = meta.execute(counted).fetchall() if database == "warehouse" else the_mart.execute(counted)
    except PipelineError as error:
        raise PipelineError(error.database, f"check {path.stem} could not run: {error.reason}") from None
    except Exception as error:  # in the warehouse: its own failure, or the source's through postgres_fdw
        failed, reason = warehouse.blame(error)
        raise PipelineError(failed, f"check {path.stem} could not run: {reason}") from None
    failures = rows[0][0] if rows else 0
    return CheckResult(path.stem, database, failures, [f"{table} {key}" for _, table, key in rows])


def run_checks(meta, the_mart: Mart, run_id: int | None = None) -> list[CheckResult]:
    results = [run_check(path, meta, the_mart) for path in sorted(ROOT.glob("*/*.sql"))]
    for result in results:
        warehouse.record_check(meta, run_id, result)
    return results
