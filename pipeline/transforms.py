"""The SQL templates under transforms/: one file per target table, the run order derived from them.

    transforms/staging/<table>.sql  ->  staging.<table>  (PostgreSQL, the warehouse)
    transforms/vault/<table>.sql    ->  vault.<table>    (PostgreSQL, the warehouse)
    transforms/mart/<table>.sql     ->  <mart>.<table>   (ClickHouse)

In a template, `ref('name')` names another transform's table and makes this one run after it;
`source('table')` names a source table (a foreign table in the warehouse); `load_ts` is the run's
load timestamp, `mart_loaded_until` the load timestamp of the last run that completed (the mart
included), or the beginning of time when the mart is empty. A mart transform reads the warehouse
with `warehouse('schema', 'table')`; it runs after every warehouse transform, since it reads what
they produced together.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from pipeline import PipelineError
from pipeline.config import identifier

ROOT = Path(__file__).resolve().parent.parent / "transforms"
WAREHOUSE_LAYERS = ("staging", "vault")
MART_LAYER = "mart"


@dataclass(frozen=True)
class Transform:
    name: str
    layer: str
    path: Path

    @property
    def engine(self) -> str:
        return "mart" if self.layer == MART_LAYER else "warehouse"

    def target(self, mart_database: str = "mart") -> str:
        return f"{mart_database if self.engine == 'mart' else self.layer}.{self.name}"


def discover(root: Path = ROOT) -> dict[str, Transform]:
    transforms = {}
    for layer in (*WAREHOUSE_LAYERS, MART_LAYER):
        for path in sorted((root / layer).glob("*.sql")):
            name = identifier(path.stem, f"transform file name {path.name}")
            if name in transforms:
                raise PipelineError("transforms", f"two transforms load {name}")
            transforms[name] = Transform(name, layer, path)
    return transforms


def sql_timestamp(value: datetime | None, engine: str) -> str:
    """A timestamp literal for the engine; None is the beginning of time."""
    if value is None:
        return "TIMESTAMPTZ '-infinity'" if engine == "warehouse" else "toDateTime64(0, 6, 'UTC')"
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if engine == "mart":
        return f"toDateTime64('{text}', 6, 'UTC')"
    return f"TIMESTAMPTZ '{text}+00'"


class Renderer:
    """Renders transforms for one run; records the refs each template makes."""

    def __init__(
        self,
        transforms: dict[str, Transform],
        load_ts: datetime,
        mart_database: str = "mart",
        mart_loaded_until: datetime | None = None,
    ):
        self.transforms = transforms
        self.load_ts = load_ts
        self.mart_database = mart_database
        self.mart_loaded_until = mart_loaded_until
        self.env = Environment(
            loader=FileSystemLoader(str(ROOT)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, transform: Transform) -> tuple[str, set[str]]:
        refs: set[str] = set()

        def ref(name: str) -> str:
            if name not in self.transforms:
                raise PipelineError("transforms", f"{transform.path.name}: ref('{name}') names no transform")
            refs.add(name)
            return self.transforms[name].target(self.mart_database)

        def source(table: str) -> str:
            return f"source.{identifier(table, 'source table')}"

        def warehouse(schema: str, table: str) -> str:
            schema, table = identifier(schema, "warehouse schema"), identifier(table, "warehouse table")
            return f"postgresql({self.mart_database}_warehouse, schema = '{schema}', table = '{table}')"

        try:
            template = self.env.get_template(f"{transform.layer}/{transform.path.name}")
            sql = template.render(
                ref=ref,
                source=source,
                warehouse=warehouse,
                mart=self.mart_database,
                load_ts=sql_timestamp(self.load_ts, transform.engine),
                mart_loaded_until=sql_timestamp(self.mart_loaded_until, transform.engine),
            )
        except (TemplateError, TypeError) as error:
            raise PipelineError("transforms", f"{transform.path.name}: {error}") from None
        return sql.strip() + "\n", refs


def ordered(transforms: dict[str, Transform], renderer: Renderer) -> list[tuple[Transform, str]]:
    """Every transform with its rendered SQL, each after the transforms it depends on."""
    rendered = {name: renderer.render(transform) for name, transform in transforms.items()}
    warehouse_steps = {name for name, t in transforms.items() if t.engine == "warehouse"}
    graph = {}
    for name, (_, refs) in rendered.items():
        graph[name] = refs | (warehouse_steps if transforms[name].engine == "mart" else set())
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as error:
        raise PipelineError("transforms", f"circular ref() between {' -> '.join(error.args[1])}") from None
    layers = (*WAREHOUSE_LAYERS, MART_LAYER)
    order = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda name: (layers.index(transforms[name].layer), name))
        order.extend(ready)
        sorter.done(*ready)
    return [(transforms[name], rendered[name][0]) for name in order]
