"""Enrollments and progress as CSV (UTF-8 with BOM, so spreadsheet programs read Chinese)."""

import csv

from django.http import HttpResponse
from django.utils import timezone

from courses.models import Enrollment

EXPORT_HEADER = [
    "course_code",
    "course_title",
    "username",
    "name",
    "status",
    "source",
    "enrolled_at",
    "completed_at",
    "lessons_completed",
    "lessons_total",
    "percent",
    "minutes_spent",
]


def enrollments_csv_response(filename: str, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a BOM, so spreadsheet programs read Chinese names right
    writer = csv.writer(response)
    writer.writerow(EXPORT_HEADER)
    for enrollment in rows:
        writer.writerow(_row(enrollment))
    return response


def _row(enrollment: Enrollment) -> list:
    total = enrollment.lesson_count
    done = enrollment.completed_count
    return [
        enrollment.course.code,
        enrollment.course.title,
        enrollment.student.username,
        enrollment.student.name,
        enrollment.status,
        enrollment.source,
        timezone.localtime(enrollment.created_at).isoformat(timespec="seconds"),
        timezone.localtime(enrollment.completed_at).isoformat(timespec="seconds")
        if enrollment.completed_at
        else "",
        done,
        total,
        round(100 * done / total) if total else 0,
        round(enrollment.seconds_spent / 60),
    ]
