"""Geometry for the page's SVG pictures: the run history, a run's timeline and the lineage graph.
Only numbers and the rows they stand for are computed here; the templates draw them (and escape
every name), so no markup is built from database text in Python."""

import math
from dataclasses import dataclass, field

PREPARE = "(migrations, bindings)"


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str  # the tooltip: what the bar stands for
    href: str = ""
    name: str = ""  # what the bar's row is labelled with


def scale_max(value: float) -> float:
    """A round axis maximum at or above value: 1, 2 or 5 times a power of ten."""
    value = float(value or 0)
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if value <= step * magnitude * (1 + 1e-9))


def run_history(runs: list[dict], width: int = 860, height: int = 90) -> dict:
    """Two bar charts over the same runs, oldest on the left: each run's duration (coloured by its
    status) and the rows it wrote to the vault and mart."""
    runs = list(reversed(runs))
    slot = min(width / max(len(runs), 1), 24)
    most_s = scale_max(max((run["duration_s"] or 0 for run in runs), default=0))
    most_rows = scale_max(max((run["rows_written"] or 0 for run in runs), default=0))
    durations, rows = [], []
    for index, run in enumerate(runs):
        x, bar_width = index * slot + 1, max(slot - 2, 1)
        seconds = float(run["duration_s"] or 0)
        written = int(run["rows_written"] or 0)
        when = run["load_ts"].strftime("%Y-%m-%d %H:%M:%S")
        href = f"/runs/{run['run_id']}"
        tall = max(height * seconds / most_s, 1)
        title = f"run {run['run_id']} at {when}: {run['status']}, {seconds:.1f} s"
        durations.append(Bar(x, height - tall, bar_width, tall, run["status"], title, href))
        tall = max(height * written / most_rows, 1 if written else 0)
        rows.append(Bar(x, height - tall, bar_width, tall, "rows", f"run {run['run_id']}: {written} rows", href))
    return {
        "width": width,
        "height": height,
        "durations": durations,
        "rows": rows,
        "most_s": most_s,
        "most_rows": int(most_rows),
        "first": runs[0]["load_ts"] if runs else None,
        "last": runs[-1]["load_ts"] if runs else None,
    }


def timeline(steps: list[dict], start_s: float, end_s: float, width: int = 560, row: int = 22) -> dict:
    """A Gantt chart of one run: a bar per step from its start to its end, on one time axis, so steps
    that ran side by side overlap. `end_s` is when the run ended (or now, while it runs)."""
    ends = [step["started_s"] + (step["duration_ms"] or 0) / 1000 for step in steps]
    span = max([end_s - start_s, *(end - start_s for end in ends), 0.001])
    bars = []
    first = min((float(step["started_s"]) for step in steps), default=start_s)
    if first - start_s > span / 50:  # time before the first step: migrations, bindings, the run lock
        before = width * (first - start_s) / span
        bars.append(Bar(0, 4, before, row - 8, "prepare", "before the first step", name=PREPARE))
    for index, (step, end) in enumerate(zip(steps, ends, strict=True), start=len(bars)):
        x = width * (float(step["started_s"]) - start_s) / span
        bar_width = max(width * (float(end) - float(step["started_s"])) / span, 2)
        ms = step["duration_ms"]
        title = f"{step['step']}: {step['status']}" + (f", {ms} ms" if ms is not None else ", running")
        bars.append(Bar(x, index * row + 4, bar_width, row - 8, step["status"], title, name=step["step"]))
    every = scale_max(span / 5)
    ticks = [(width * i * every / span, f"{i * every:g} s") for i in range(int(span / every) + 1)]
    return {"width": width, "height": len(bars) * row + 24, "row": row, "bars": bars, "ticks": ticks, "span": span}


@dataclass
class Node:
    table: str
    layer: str
    x: float
    y: float
    width: float = 0
    rows: str = ""  # row count, as shown
    written: str = ""  # when a run last wrote it, as shown
    href: str = ""


@dataclass
class Lineage:
    width: int
    height: int
    nodes: list[Node]
    paths: list[str] = field(default_factory=list)
    box_height: int = 46


def lineage(edges: list[tuple[str, str]], layer_of, box_height: int = 46) -> Lineage:
    """A left-to-right layered drawing of the graph: each table in the column of its longest path from
    a source, ordered within its column by where its inputs stand, and a curve per edge."""
    tables = list(dict.fromkeys(table for edge in edges for table in edge))
    inputs = {table: [a for a, b in edges if b == table] for table in tables}
    depth: dict[str, int] = {}

    def depth_of(table: str) -> int:
        if table not in depth:
            depth[table] = 1 + max((depth_of(a) for a in inputs[table]), default=-1)
        return depth[table]

    columns: dict[int, list[str]] = {}
    for table in tables:
        columns.setdefault(depth_of(table), []).append(table)
    gap_x, gap_y = 60, 12
    position: dict[str, tuple[float, float, float]] = {}  # x, y, width
    x = 10
    for column in sorted(columns):
        members = columns[column]
        if column:  # by the mean height of its inputs, to keep edges short and crossings few
            members.sort(key=lambda t: sum(position[a][1] for a in inputs[t]) / max(len(inputs[t]), 1))
        box_width = max(180, 16 + 7.5 * max(len(table) for table in members))  # 12px bold: under 7.5px a letter
        for index, table in enumerate(members):
            position[table] = (x, 10 + index * (box_height + gap_y), box_width)
        x += box_width + gap_x
    nodes = [Node(table, layer_of(table), *position[table]) for table in tables]
    paths = []
    for a, b in edges:
        (ax, ay, a_width), (bx, by, _) = position[a], position[b]
        x1, y1, x2, y2 = ax + a_width, ay + box_height / 2, bx, by + box_height / 2
        middle = (x1 + x2) / 2
        paths.append(f"M{x1:.0f},{y1:.0f} C{middle:.0f},{y1:.0f} {middle:.0f},{y2:.0f} {x2:.0f},{y2:.0f}")
    width = x - gap_x + 10
    height = 20 + max(len(members) for members in columns.values()) * (box_height + gap_y) if columns else 40
    return Lineage(width, height, nodes, paths, box_height)
