"""The pipeline's dependency graph, drawn from the transforms themselves: source tables -> staging
-> vault -> mart feed -> mart -> the consumer view. As Mermaid text (for the README) or Graphviz DOT
(for an SVG, when Graphviz's `dot` is installed)."""

import shutil
import subprocess
from pathlib import Path

from pipeline import PipelineError
from pipeline.transforms import Step, ordered

# The consumer view is schema (migrations/mart), not a transform: it reads the mart's data table.
CONSUMER_VIEW = "dm_courses_modules_lessons_streams"
LAYERS = ("source", "staging", "vault", "mart")


def edges(steps: dict[str, Step], mart_database: str = "mart") -> list[tuple[str, str]]:
    """(from table, to table) for every read a step makes, in run order."""
    found = []
    for step in ordered(steps):
        target = step.transform.target(mart_database)
        upstream = sorted(step.reads) + sorted(
            steps[name].transform.target(mart_database) for name in step.after - step.order_only
        )
        if step.transform.engine == "mart":  # it reads the warehouse through the feed, not every step
            upstream = sorted(step.reads)
        found += [(table, target) for table in upstream]
        if step.transform.engine == "mart":
            found.append((target, f"{mart_database}.{CONSUMER_VIEW}"))
    return found


def layer(table: str, mart_database: str) -> str:
    schema = table.split(".")[0]
    return "mart" if schema == mart_database else schema


def node_id(table: str) -> str:
    return table.replace(".", "__")


def by_layer(links: list[tuple[str, str]], mart_database: str) -> list[tuple[str, list[str]]]:
    """The tables of the edges, grouped by layer in flow order, each in order of appearance."""
    tables = list(dict.fromkeys(table for edge in links for table in edge))
    groups = [(name, [table for table in tables if layer(table, mart_database) == name]) for name in LAYERS]
    return [(name, members) for name, members in groups if members]


def mermaid(steps: dict[str, Step], mart_database: str = "mart") -> str:
    links = edges(steps, mart_database)
    lines = ["flowchart LR"]
    for name, members in by_layer(links, mart_database):
        lines += [f"  subgraph {name}", *(f'    {node_id(t)}["{t}"]' for t in members), "  end"]
    lines += [f"  {node_id(a)} --> {node_id(b)}" for a, b in links]
    return "\n".join(lines) + "\n"


def dot(steps: dict[str, Step], mart_database: str = "mart") -> str:
    links = edges(steps, mart_database)
    lines = ["digraph pipeline {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for name, members in by_layer(links, mart_database):
        lines.append(f'  subgraph cluster_{name} {{ label="{name}";')
        lines += [*(f'    {node_id(t)} [label="{t}"];' for t in members), "  }"]
    lines += [f"  {node_id(a)} -> {node_id(b)};" for a, b in links]
    return "\n".join(lines + ["}"]) + "\n"


def write_svg(dot_text: str, path: Path) -> None:
    program = shutil.which("dot")
    if program is None:
        raise PipelineError("graph", "Graphviz is not installed (apt-get install graphviz): no SVG written")
    result = subprocess.run([program, "-Tsvg", "-o", str(path)], input=dot_text, text=True, capture_output=True)
    if result.returncode != 0:
        raise PipelineError("graph", f"dot failed: {result.stderr.strip()}")
