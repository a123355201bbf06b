"""Lessons per course: from the mart, or as the warehouse knew it at a moment (`runner.py report`)."""

from datetime import datetime

from pipeline import mart, warehouse


def report_as_of(warehouse_dsn: str, as_of: datetime) -> list[tuple]:
    """Lessons per course as the warehouse knew it at `as_of`, from satellite and link history."""
    with warehouse.connect(warehouse_dsn) as conn:
        return conn.execute(
            "SELECT course_title, count(DISTINCT lesson_title), count(lesson_id)"
            " FROM vault.catalog_as_of(%s) GROUP BY course_title ORDER BY course_title",
            [as_of],
        ).fetchall()


def report(the_mart: mart.Mart) -> list[tuple]:
    """Per course: distinct lesson titles (the original README's figure) and lesson instances."""
    return the_mart.execute(
        f"SELECT h_course_title, uniqExact(h_lesson_title), count(lesson_id)"
        f" FROM {the_mart.database}.dm_courses_modules_lessons_streams"
        f" GROUP BY h_course_title ORDER BY h_course_title"
    )
