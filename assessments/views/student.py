"""Pages for students: an assessment's start page, taking it, and the result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assessments.models import Assessment, AttemptStatus
from assessments.selectors import (
    accommodation_summary,
    assessment_list_editable,
    assessment_list_for_course,
    assessment_list_for_student,
    assessment_list_visible_with_roles,
    attempt_list_for_student,
    attempt_review,
    attempt_view,
    results_snapshot,
    student_grade,
)
from assessments.services.attempts import attempt_start
from lms.exceptions import ApplicationError


def course_section(request: HttpRequest, course, can_edit: bool) -> dict | None:
    """The course page's "Tests and quizzes" section (registered in apps.py)."""
    assessments = list(
        assessment_list_for_course(course=course, user=request.user, can_edit=can_edit)
    )
    if not assessments and not can_edit:
        return None
    return {"assessments": assessments, "can_edit": can_edit, "course": course}


@login_required
@require_GET
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(
        assessment_list_visible_with_roles(user=request.user), pk=assessment_id
    )
    attempts = list(
        attempt_list_for_student(user=request.user).filter(assessment=assessment).order_by("number")
    )
    scores = [a.score for a in attempts if a.status == AttemptStatus.SUBMITTED]
    extra_minutes, extra_attempts = accommodation_summary(assessment=assessment, user=request.user)
    allowed = assessment.attempts_allowed + extra_attempts if assessment.attempts_allowed else None
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "can_edit": assessment.can_edit,
            "is_student": assessment.is_student,
            "attempts": attempts,
            "open_attempt": next(
                (a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None
            ),
            "grade": student_grade(assessment=assessment, scores=scores),
            "attempts_allowed": allowed,
            "attempts_left": None if allowed is None else max(0, allowed - len(attempts)),
            "time_limit": (assessment.time_limit_minutes or 0) + extra_minutes or None,
        },
    )


@login_required
@require_POST
def assessment_start(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(assessment_list_for_student(user=request.user), pk=assessment_id)
    try:
        attempt, _created = attempt_start(assessment=assessment, student=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("assessments:detail", assessment_id=assessment.pk)
    return redirect("assessments:take", attempt_id=attempt.pk)


def _take_text() -> dict[str, str]:
    """The take page's messages, translated here and handed to take.js as JSON."""
    return {
        "saved": _("All answers saved"),
        "saving": _("Saving…"),
        "offline": _(
            "Offline: %(n)s answer(s) kept in this browser, sent when the network is back"
        ),
        "refused": _("Not saved: %(reason)s"),
        "question": _("Question %(n)s"),
        "true": _("True"),
        "false": _("False"),
        "number": _("Your answer (a number)"),
        "unit": _("Unit"),
        "text": _("Your answer"),
        "up": _("Move up"),
        "down": _("Move down"),
        "unanswered": _("%(n)s of %(total)s questions have no answer yet."),
        "allAnswered": _("Every question has an answer."),
        "offlineSubmit": _(
            "You are offline. Your answers are safe in this browser; "
            "submit when the network is back."
        ),
        "timeUp": _("Time is up: submitting your saved answers…"),
        "submitFailed": _("The test could not be submitted: %(reason)s"),
        "points": _("%(n)s point(s)"),
    }


@login_required
@require_GET
def attempt_take(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(attempt_list_for_student(user=request.user), pk=attempt_id)
    if attempt.status == AttemptStatus.SUBMITTED:
        return redirect("assessments:result", attempt_id=attempt.pk)
    view = attempt_view(attempt=attempt)
    return render(
        request,
        "assessments/take.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "data": {
                **view,
                "layout": attempt.assessment.layout,
                "urls": {
                    "save": reverse("assessments-api:response-save", args=[attempt.pk, 0]),
                    "submit": reverse("assessments-api:attempt-submit", args=[attempt.pk]),
                    "result": reverse("assessments:result", args=[attempt.pk]),
                },
            },
            "text": _take_text(),
        },
    )


@login_required
@require_GET
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(attempt_list_for_student(user=request.user), pk=attempt_id)
    if attempt.status != AttemptStatus.SUBMITTED:
        return redirect("assessments:take", attempt_id=attempt.pk)
    return render(
        request,
        "assessments/result.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "review": attempt_review(attempt=attempt),
        },
    )


@login_required
@require_GET
def results(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The teacher's live results page; the socket /ws/assessments/<id>/results/ keeps it fresh."""
    assessment: Assessment = get_object_or_404(
        assessment_list_editable(user=request.user), pk=assessment_id
    )
    return render(
        request,
        "assessments/results.html",
        {
            "assessment": assessment,
            "snapshot": results_snapshot(assessment=assessment),
            "socket_path": f"/ws/assessments/{assessment.pk}/results/",
            "text": {
                "live": _("Live: updates arrive as students answer."),
                "reconnecting": _("Connection lost; reconnecting…"),
                "in_progress": _("In progress"),
                "submitted": _("Submitted"),
            },
        },
    )
