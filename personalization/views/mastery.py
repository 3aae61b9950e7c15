"""Mastery pages: a learner's charts, a course's class heatmap, and its students at risk."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from courses.models import Course
from courses.views.lookups import editable_course
from lms.http import posted_id
from lms.models import User
from personalization import selectors
from personalization.selectors import (
    HeatmapSort,
    MasteryLevel,
    at_risk_students,
    course_mastery_heatmap,
    heatmap_classroom_list,
    mastery_percent,
    student_list_visible,
    student_mastery,
)


def _thresholds() -> dict[str, str]:
    """The level thresholds, for the legend."""
    return {
        "weak": mastery_percent(selectors.WEAK_BELOW),
        "mastered": mastery_percent(selectors.MASTERED_AT),
    }


def _mastery_page(request: HttpRequest, *, student: User, own: bool) -> HttpResponse:
    return render(
        request,
        "personalization/mastery.html",
        {
            "student": student,
            "own": own,
            "courses": student_mastery(student=student, viewer=request.user),
            "thresholds": _thresholds(),
        },
    )


@login_required
@require_GET
def mastery_page(request: HttpRequest) -> HttpResponse:
    """The signed-in learner's own mastery."""
    return _mastery_page(request, student=request.user, own=True)


@login_required
@require_GET
def student_mastery_page(request: HttpRequest, user_id: int) -> HttpResponse:
    """A learner's mastery, for whoever may see the learner (404 for anyone else)."""
    student = get_object_or_404(student_list_visible(user=request.user), pk=user_id)
    return _mastery_page(request, student=student, own=student.pk == request.user.pk)


def _at_risk_rules() -> dict:
    return {
        "average": mastery_percent(selectors.AT_RISK_AVERAGE_BELOW),
        "weak": mastery_percent(selectors.WEAK_BELOW),
        "weak_points": selectors.AT_RISK_WEAK_POINTS,
        "drop": round(selectors.AT_RISK_DROP * 100),
        "snapshots": selectors.AT_RISK_DROP_SNAPSHOTS,
        "days": selectors.AT_RISK_INACTIVE_DAYS,
    }


@login_required
@require_GET
def course_mastery_page(request: HttpRequest, course_id: int) -> HttpResponse:
    """
    The class heatmap, for the course's teachers and school admins; the socket
    /ws/personalization/courses/<id>/mastery/ keeps it fresh. `?classroom=` keeps one
    classroom's students, `?sort=weakness` puts the weakest first.
    """
    course: Course = editable_course(request, course_id)
    classrooms = list(heatmap_classroom_list(course=course))
    classroom = None
    if request.GET.get("classroom"):
        classroom_id = posted_id(request.GET["classroom"])
        classroom = next((c for c in classrooms if c.pk == classroom_id), None)
        if classroom is None:
            raise Http404
    sort = request.GET.get("sort")
    sort = sort if sort in HeatmapSort.values else HeatmapSort.NAME
    heatmap = course_mastery_heatmap(course=course, classroom=classroom, sort=sort)
    shown = {row.student.pk for row in heatmap.rows}
    return render(
        request,
        "personalization/heatmap.html",
        {
            "course": course,
            "heatmap": heatmap,
            "classrooms": classrooms,
            "classroom": classroom,
            "sort": sort,
            "sorts": HeatmapSort.choices,
            "thresholds": _thresholds(),
            "at_risk": [
                risk for risk in at_risk_students(course=course) if risk.student.pk in shown
            ],
            "rules": _at_risk_rules(),
            "socket_path": f"/ws/personalization/courses/{course.pk}/mastery/",
            # The row links, with 0 in place of the student's id (heatmap.js fills it in).
            "student_url": reverse("personalization:student_mastery", args=[0]),
            "text": {
                "live": _("Live: the heatmap updates as students submit."),
                "reconnecting": _("Connection lost; reconnecting…"),
                "closed": _("Live updates stopped; reload the page."),
                "not_assessed": str(MasteryLevel.NOT_ASSESSED.label),
                "updated": _("Updated: %(names)s"),
                "levels": {level: str(label) for level, label in MasteryLevel.choices},
                "answers": _("%(answers)s answers, %(correct)s correct"),
            },
        },
    )


@login_required
@require_GET
def course_at_risk_page(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's students at risk, each with its reasons, for its teachers and admins."""
    course: Course = editable_course(request, course_id)
    return render(
        request,
        "personalization/at_risk.html",
        {"course": course, "at_risk": at_risk_students(course=course), "rules": _at_risk_rules()},
    )
