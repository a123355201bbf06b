"""Scale the demo catalog into a source database: courses x streams x modules x lessons.

    python bench/generate.py --lessons 1000000 [--dsn SOURCE_DSN]

As in the demo, every stream of a course repeats the course's module and lesson titles, so titles
repeat across streams while ids stay unique. Generated inside PostgreSQL with generate_series.
"""

import argparse
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.embedded import DEMO_CATALOG  # noqa: E402

STREAMS_PER_COURSE = 10
MODULES_PER_STREAM = 10
LESSONS_PER_MODULE = 100


def shape(lessons: int) -> tuple[int, int, int, int]:
    """(courses, streams per course, modules per stream, lessons per module) for about `lessons` lessons."""
    per_course = STREAMS_PER_COURSE * MODULES_PER_STREAM * LESSONS_PER_MODULE
    return max(1, round(lessons / per_course)), STREAMS_PER_COURSE, MODULES_PER_STREAM, LESSONS_PER_MODULE


def generate(dsn: str, lessons: int) -> int:
    """Replace the catalog in `dsn` with a generated one; return the number of lessons."""
    courses, streams, modules, per_module = shape(lessons)
    schema = DEMO_CATALOG.read_text().split("INSERT INTO", 1)[0]
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS stream_module_lesson, stream_module, stream, course CASCADE")
        conn.execute(schema)
        params = {"courses": courses, "streams": streams, "modules": modules, "per_module": per_module}
        for statement in GENERATE.split(";\n"):
            conn.execute(statement, params)
    # as an OLTP database's tables would be: vacuumed (hint bits set, visibility map built), analyzed
    # and written out, so neither the first load nor the baseline pays for that, nor races autovacuum
    # or a checkpoint writing a million freshly generated rows (the server's own, the benchmark runs as
    # its superuser)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
    return courses * streams * modules * per_module


GENERATE = """
            INSERT INTO course (id, title, icon_url, is_auto_course_enroll, is_demo_enroll, created_at)
            SELECT c, 'Course ' || c, 'https://example.com/icons/' || c, c %% 2 = 0, c %% 3 = 0, '2023-01-01'
            FROM generate_series(1, %(courses)s) AS c;

            INSERT INTO stream (id, course_id, start_at, end_at, is_open, name, created_at)
            SELECT (c - 1) * %(streams)s + s, c, '2023-01-01'::timestamp + s * interval '30 days',
                   '2023-03-01'::timestamp + s * interval '30 days', s %% 2 = 0, 'Stream ' || c || '.' || s,
                   '2023-01-01'
            FROM generate_series(1, %(courses)s) AS c, generate_series(1, %(streams)s) AS s;

            INSERT INTO stream_module (id, stream_id, title, order_in_stream, created_at)
            SELECT (st - 1) * %(modules)s + m, st, 'Module ' || ((st - 1) / %(streams)s + 1) || '.' || m, m,
                   '2023-01-01'
            FROM generate_series(1, %(courses)s * %(streams)s) AS st, generate_series(1, %(modules)s) AS m;

            INSERT INTO stream_module_lesson (id, title, description, start_at, end_at, homework_url,
                                              teacher_id, stream_module_id, online_lesson_join_url,
                                              online_lesson_recording_url)
            SELECT (mo - 1) * %(per_module)s + l,
                   'Lesson ' || ((mo - 1) / (%(streams)s * %(modules)s) + 1) || '.' || ((mo - 1) %% %(modules)s + 1)
                       || '.' || l,
                   'TL;DR', '2023-01-01'::timestamp + l * interval '1 day',
                   '2023-01-02'::timestamp + l * interval '1 day',
                   'https://www.example.edu/hw/' || l, l %% 50 + 1, mo,
                   'https://www.example.edu/join/' || mo, 'https://www.example.edu/rec/' || mo
            FROM generate_series(1, %(courses)s * %(streams)s * %(modules)s) AS mo,
                 generate_series(1, %(per_module)s) AS l
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, required=True)
    parser.add_argument("--dsn", required=True, help="the source database to fill (its catalog is replaced)")
    args = parser.parse_args()
    print(f"{generate(args.dsn, args.lessons)} lessons generated")


if __name__ == "__main__":
    main()
