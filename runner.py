"""Course catalog pipeline: source -> Data Vault warehouse -> ClickHouse mart.

    python runner.py once      apply pending migrations, run every step once
    python runner.py plan      print the SQL a run executes, in order; nothing is executed
    python runner.py report    lessons per course, from the mart

Configuration comes from the environment: SOURCE_DSN, WAREHOUSE_DSN, CLICKHOUSE_URL, DATA_DIR.
Whatever is not configured comes from the embedded default in DATA_DIR (see README.md).
"""

import argparse
import sys
import traceback

from pipeline import PipelineError, mart
from pipeline.config import Config
from pipeline.run import plan, report, resolve, run_once


def command_once(config: Config, args) -> int:
    run_once(resolve(config))
    return 0


def command_plan(config: Config, args) -> int:
    print(plan(None, config))
    return 0


def command_report(config: Config, args) -> int:
    endpoints = resolve(config)
    rows = report(mart.connect(endpoints.clickhouse_url))
    print(f"{'course_title':<32} {'lessons_qty':>11} {'lesson_instances':>16}")
    for title, lessons, instances in rows:
        print(f"{title if title is not None else '(no title)':<32} {lessons:>11} {instances:>16}")
    return 0


COMMANDS = {"once": command_once, "plan": command_plan, "report": command_report}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runner.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS, help="what to do")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](Config.from_env(), args)
    except PipelineError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
