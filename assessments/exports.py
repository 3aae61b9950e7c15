"""Files teachers download: the question bank as GIFT, the gradebook as CSV."""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse

from assessments.formats.gift import gift_export
from assessments.models import Question
from assessments.selectors import Gradebook
from assessments.services.questions import question_as_parsed
from courses.models import Course

# A spreadsheet program runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _file_name(course: Course) -> str:
    """The course's code as the start of a download's name: safe ASCII only, never a quote."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", course.code).strip("-.") or "course"


def questions_gift_response(*, course: Course, questions: Iterable[Question]) -> HttpResponse:
    """The questions' current versions as a GIFT file to download."""
    response = HttpResponse(
        gift_export(question_as_parsed(question=question) for question in questions),
        content_type="text/plain; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_file_name(course)}-questions.gift.txt"'
    )
    return response


def _csv_cell(value) -> str:
    """A cell a spreadsheet program shows as text, never runs as a formula (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def gradebook_csv_response(*, course: Course, book: Gradebook) -> HttpResponse:
    """The gradebook as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese names)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(course)}-gradebook.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        _csv_cell(title) for title in ["username", "name", *(a.title for a in book.assessments)]
    )
    for row in book.rows:
        student = row["student"]
        writer.writerow(
            _csv_cell(value) for value in [student.username, student.name, *row["grades"]]
        )
    return response
