"""The SQL templates under transforms/: one file per target table, the run order derived from them.

    transforms/staging/<table>.sql  ->  staging.<table>  (PostgreSQL, the warehouse)
    transforms/vault/<table>.sql    ->  vault.<table>    (PostgreSQL, the warehouse)
    transforms/mart/<table>.sql     ->  <mart>.<table>   (ClickHouse)

In a template, `ref('name')` names another transform's table and makes this one run after it;
`after('name', ...)` only orders, for a step that must not commit before others have read a table;
`source('table')` names a source table (a foreign table in the warehouse); a `{% call(slice)
slices() %}` block holds statements that run in SLICES parts at once, `slice('column')` being each
part's condition on an integer column (see Slice); `load_ts` is the run's
load timestamp, `mart_loaded_until` the load timestamp of the last run that completed (the mart
included), or the beginning of time when the mart is empty (then `mart_never_loaded` is true). A mart
transform reads the warehouse with `warehouse('schema', 'table')`; it runs after every warehouse
transform, since it reads what they produced together.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from pipeline import PipelineError
from pipeline.config import identifier
from pipeline.mart import warehouse_table

ROOT = Path(__file__).resolve().parent.parent / "transforms"
WAREHOUSE_LAYERS = ("staging", "vault")
MART_LAYER = "mart"
# A statement in a slices() block runs in this many parts at once, each in a transaction of its own on a
# warehouse connection of its own; the runner runs as many steps side by side (run.PARALLEL_STEPS).
SLICES = 2


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


@dataclass(frozen=True)
class Slice:
    """One part of a slices() block. `slice('column')` is the part's condition on an integer column never
    NULL (a primary key): the rows whose value leaves the part's remainder, abs() keeping the negative ones
    in a part too. A template that cuts a range of values instead uses `part` (from 0) and `parts`."""

    part: int
    parts: int = SLICES

    def __call__(self, column: str) -> str:
        return f"abs({identifier(column, 'slices() column')} % {self.parts}) = {self.part}"


class Renderer:
    """Renders transforms for one run; records the refs each template makes."""

    def __init__(
        self,
        transforms: dict[str, Transform],
        load_ts: datetime,
        mart_database: str = "mart",
        mart_loaded_until: datetime | None = None,
        mart_data_table: str = "dm_courses_modules_lessons_streams_data",
        root: Path = ROOT,
    ):
        self.transforms = transforms
        self.load_ts = load_ts
        self.mart_database = mart_database
        self.mart_loaded_until = mart_loaded_until
        self.mart_data_table = mart_data_table
        self.env = Environment(
            loader=FileSystemLoader(str(root)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, transform: Transform) -> tuple[str, set[str], set[str], set[str], tuple[str, ...]]:
        """The transform's SQL, the transforms it ref()s, the other tables it reads, the transforms it
        only runs after, and its slices: the statements of its slices() block, one per part, which run
        after the rest of its SQL has committed."""
        refs: set[str] = set()
        reads: set[str] = set()
        order_only: set[str] = set()
        sliced: list[str] = []

        def known(name: str, call: str) -> str:
            if name not in self.transforms:
                raise PipelineError("transforms", f"{transform.path.name}: {call}('{name}') names no transform")
            return name

        def ref(name: str) -> str:
            refs.add(known(name, "ref"))
            return self.transforms[name].target(self.mart_database)

        def after(*names: str) -> str:
            order_only.update(known(name, "after") for name in names)
            return ""

        def source(table: str) -> str:
            reads.add(f"source.{identifier(table, 'source table')}")
            return f"source.{table}"

        def warehouse(schema: str, table: str) -> str:
            expression = warehouse_table(self.mart_database, schema, table)
            reads.add(f"{schema}.{table}")
            return expression

        def slices(caller) -> str:
            # the block is rendered once per part, given the part (see Slice)
            if sliced or transform.engine != "warehouse":
                raise PipelineError("transforms", f"{transform.path.name}: one slices() block, in a warehouse step")
            sliced.extend(caller(Slice(part)).strip() + "\n" for part in range(SLICES))
            return ""

        try:
            template = self.env.get_template(f"{transform.layer}/{transform.path.name}")
            sql = template.render(
                ref=ref,
                after=after,
                source=source,
                warehouse=warehouse,
                slices=slices,
                mart=self.mart_database,
                mart_data=f"{self.mart_database}.{self.mart_data_table}",
                load_ts=sql_timestamp(self.load_ts, transform.engine),
                mart_loaded_until=sql_timestamp(self.mart_loaded_until, transform.engine),
                mart_never_loaded=self.mart_loaded_until is None,
            )
        except (TemplateError, TypeError) as error:
            raise PipelineError("transforms", f"{transform.path.name}: {error}") from None
        return sql.strip() + "\n", refs, reads, order_only, tuple(sliced)


@dataclass(frozen=True)
class Step:
    """A transform rendered for one run, with the transforms it must run after."""

    transform: Transform
    sql: str
    after: frozenset[str]
    reads: frozenset[str] = frozenset()  # tables read that no transform loads: source tables, say
    order_only: frozenset[str] = frozenset()  # transforms in `after` only for the order, from after()
    slices: tuple[str, ...] = ()  # run after `sql` commits, at once, each in a transaction of its own

    @property
    def name(self) -> str:
        return self.transform.name

    @property
    def text(self) -> str:
        """All the step runs, as `plan` and the run pages show it: its transaction, then its slices."""
        parts = [self.sql]
        for number, statement in enumerate(self.slices, 1):
            parts.append(
                f"-- slice {number} of {len(self.slices)}: once the statements above have committed, at once with"
                f" the other slices, in a transaction and on a connection of its own\n{statement}"
            )
        return "\n".join(parts)


def plan_steps(transforms: dict[str, Transform], renderer: Renderer) -> dict[str, Step]:
    """Every transform rendered, with its dependencies: its ref()s, and for a mart transform every
    warehouse transform."""
    warehouse_steps = frozenset(name for name, t in transforms.items() if t.engine == "warehouse")
    steps = {}
    for name, transform in transforms.items():
        sql, refs, reads, order_only, sliced = renderer.render(transform)
        after = frozenset(refs | order_only) | (warehouse_steps if transform.engine == "mart" else frozenset())
        steps[name] = Step(transform, sql, after, frozenset(reads), frozenset(order_only - refs), sliced)
    return steps


def select(steps: dict[str, Step], names: list[str] | None) -> dict[str, Step]:
    """The named steps and every step they depend on, directly or not; every step when none is named."""
    if not names:
        return steps
    unknown = [name for name in names if name not in steps]
    if unknown:
        raise PipelineError("transforms", f"no step called {', '.join(unknown)}; steps: {', '.join(sorted(steps))}")
    chosen, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in chosen:
            chosen.add(name)
            pending.extend(steps[name].after)
    return {name: step for name, step in steps.items() if name in chosen}


def only(steps: dict[str, Step], names) -> dict[str, Step]:
    """The named steps, as a graph of their own: dependencies on other steps (run before) dropped."""
    return {name: replace(step, after=step.after & set(names)) for name, step in steps.items() if name in names}


def sorter(steps: dict[str, Step]) -> TopologicalSorter:
    """A prepared topological sorter over the steps; a circular ref() is a clear error."""
    graph = TopologicalSorter({name: step.after for name, step in steps.items()})
    try:
        graph.prepare()
    except CycleError as error:
        raise PipelineError("transforms", f"circular ref() between {' -> '.join(error.args[1])}") from None
    return graph


def step_key(step: Step) -> tuple[int, str]:
    """Among steps that are ready together: staging first, then vault, then mart; then by name."""
    return (*WAREHOUSE_LAYERS, MART_LAYER).index(step.transform.layer), step.name


def ordered(steps: dict[str, Step]) -> list[Step]:
    """The steps in one valid run order (the order `plan` prints)."""
    graph, order = sorter(steps), []
    while graph.is_active():
        ready = sorted((steps[name] for name in graph.get_ready()), key=step_key)
        order.extend(ready)
        graph.done(*(step.name for step in ready))
    return order
