"""What a run would execute, from the configuration alone: the rendered SQL in run order and the
bindings, passwords masked (`runner.py plan`, the run pages); nothing is connected to."""

from datetime import UTC, datetime

from pipeline import mart, transforms, warehouse
from pipeline.config import Config


def plan(config: Config, select: list[str] | None = None) -> str:
    """The SQL a run would execute, in order, with passwords masked; nothing is executed."""
    load_ts = datetime.now(UTC)
    renderer = plan_renderer(config, load_ts)
    database = renderer.mart_database
    parts = [
        f"-- plan: rendered {load_ts.isoformat()}; a run stamps its rows with its own load_ts, and reads",
        "-- from the vault what changed since the last complete run (here: everything, as on a first run)",
    ]
    parts += binding_plan(config, database)
    steps = transforms.plan_steps(renderer.transforms, renderer)
    for step in transforms.ordered(transforms.select(steps, select)):
        after = ", ".join(sorted(step.after)) or "nothing"
        header = f"-- step {step.transform.target(database)} ({step.transform.engine}), after: {after}"
        parts.append(f"{header}\n{step.text}")
    return "\n".join(parts)


def plan_renderer(
    config: Config, load_ts: datetime | None = None, mart_loaded_until: datetime | None = None
) -> transforms.Renderer:
    """A renderer from the configuration alone, for plan and graph: nothing is connected to."""
    url = mart.ClickHouseURL.parse(config.clickhouse_url or "chdb:///embedded")
    load_ts = load_ts or datetime.now(UTC)
    return transforms.Renderer(
        transforms.discover(), load_ts, url.database, mart_loaded_until, mart_data_table=url.data_table
    )


def binding_plan(config: Config, database: str) -> list[str]:
    source = config.source_dsn
    parts = ["-- bind the source (warehouse)"]
    if source:
        statements = warehouse.binding_statements(source, set(warehouse.ADDRESS_OPTIONS), mask=True)
        parts += [statement.as_string(None) + ";" for statement in statements]
    else:
        parts.append("-- the embedded demo source database in DATA_DIR")
    parts.append("-- bind the warehouse (mart)")
    if config.warehouse_dsn:
        url = mart.ClickHouseURL.parse(config.clickhouse_url or "chdb:///embedded")
        warehouse_for_mart = config.warehouse_dsn_for_mart or config.warehouse_dsn
        parts += [s + ";" for s in mart.collection_statements(mart.Mart(url), warehouse_for_mart, mask=True)]
    else:
        parts.append("-- the embedded warehouse database in DATA_DIR")
    return parts
