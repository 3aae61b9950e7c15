"""Setting assessments up, and what teachers see after: item analysis and the gradebook."""

import csv
import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.manage_forms import (
    AccommodationForm,
    AssessmentSettingsForm,
    BankFilterForm,
    DrawRuleForm,
)
from assessments.models import (
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    DrawRule,
    Question,
    Selection,
)
from assessments.selectors import (
    assessment_list_editable,
    gradebook,
    item_analysis,
    question_list_editable,
    question_list_for_bank,
)
from assessments.services.authoring import (
    SETTINGS_FIELDS,
    DrawRuleSpec,
    accommodation_set,
    assessment_create,
    assessment_publish,
    assessment_set_draw_rules,
    assessment_set_questions,
    assessment_update,
)
from courses.models import Course
from courses.selectors import SubqueryCount, course_list_editable
from lms.http import posted_id

BANK_PAGE_SIZE = 25
# Item analysis hints, in percent (the thresholds Moodle's documentation suggests).
VERY_HARD_BELOW = 20
VERY_EASY_ABOVE = 90
WEAK_DISCRIMINATION_BELOW = 20
# A spreadsheet program runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Lookups ------------------------------------------------------------------------------------


def _editable_course(request: HttpRequest, course_id: int) -> Course:
    return get_object_or_404(
        course_list_editable(user=request.user).select_related("school"), pk=course_id
    )


def _editable_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    return get_object_or_404(
        assessment_list_editable(user=request.user).select_related("course__school"),
        pk=assessment_id,
    )


def _add_errors(form: Form, error: ValidationError) -> None:
    """A service's refusal on the form: on the field it names when the form shows that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _questions_url(assessment: Assessment, query: str = "") -> str:
    url = reverse("assessments:manage_questions", args=[assessment.pk])
    return f"{url}?{query}" if query else url


# --- The course's assessments -------------------------------------------------------------------


def _assessment_rows(course: Course) -> QuerySet[Assessment]:
    """The course's assessments with their question, rule and attempt counts, in one query."""
    by_assessment = {"assessment": OuterRef("pk")}
    attempts = Attempt.objects.filter(**by_assessment).order_by().values("pk")
    drawn = (
        DrawRule.objects.filter(**by_assessment)
        .order_by()
        .values("assessment")
        .annotate(total=Sum("count"))
        .values("total")
    )
    return course.assessments.annotate(
        question_count=SubqueryCount(
            AssessmentQuestion.objects.filter(**by_assessment).order_by().values("pk")
        ),
        rule_count=SubqueryCount(DrawRule.objects.filter(**by_assessment).order_by().values("pk")),
        drawn_count=Coalesce(Subquery(drawn[:1], output_field=IntegerField()), 0),
        submitted_count=SubqueryCount(attempts.filter(status=AttemptStatus.SUBMITTED)),
        open_count=SubqueryCount(attempts.filter(status=AttemptStatus.IN_PROGRESS)),
    ).order_by("opens_at", "pk")


@login_required
@require_GET
def assessment_list(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _editable_course(request, course_id)
    return render(
        request,
        "assessments/manage_list.html",
        {"course": course, "assessments": _assessment_rows(course)},
    )


# --- Settings -----------------------------------------------------------------------------------


def _settings(form: AssessmentSettingsForm) -> dict:
    return {name: form.cleaned_data[name] for name in SETTINGS_FIELDS}


def _settings_page(request, course, assessment, form) -> HttpResponse:
    return render(
        request,
        "assessments/manage_settings.html",
        {
            "course": course,
            "assessment": assessment,
            "form": form,
            "time_zone": timezone.get_current_timezone_name(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _editable_course(request, course_id)
    form = AssessmentSettingsForm(request.POST if request.method == "POST" else None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = assessment_create(
                course=course, created_by=request.user, **_settings(form)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Assessment created. Now choose its questions."))
            return redirect(_questions_url(assessment))
    return _settings_page(request, course, None, form)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    course = assessment.course
    form = AssessmentSettingsForm(
        request.POST if request.method == "POST" else None, instance=assessment, course=course
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment_update(assessment=assessment, **_settings(form))
        except ValidationError as error:
            _add_errors(form, error)
            assessment.refresh_from_db()  # the service set the refused values on the instance
        else:
            messages.success(request, _("Settings saved."))
            return redirect("assessments:manage_edit", assessment_id=assessment.pk)
    return _settings_page(request, course, assessment, form)


# --- Questions: a fixed list or draw rules --------------------------------------------------------


def _bank_context(request: HttpRequest, assessment: Assessment) -> dict:
    """The course bank, filtered as asked, a page at a time; questions already listed marked."""
    form = BankFilterForm(request.GET or None, course=assessment.course)
    filters = form.filters()
    questions = question_list_for_bank(user=request.user, course=assessment.course)
    if filters.get("knowledge_point"):
        questions = questions.filter(knowledge_points=filters["knowledge_point"])
    if filters.get("kind"):
        questions = questions.filter(kind=filters["kind"])
    if filters.get("difficulty"):
        questions = questions.filter(difficulty=filters["difficulty"])
    if filters.get("q"):
        text = filters["q"].strip()
        questions = questions.filter(
            Q(title__icontains=text) | Q(current_version__stem__icontains=text)
        )
    return {
        "assessment": assessment,
        "bank_form": form,
        "bank_page": Paginator(questions, BANK_PAGE_SIZE).get_page(request.GET.get("page")),
        "chosen": set(assessment.items.values_list("question_id", flat=True)),
        "bank_query": request.GET.urlencode(),
    }


def _available_counts(assessment: Assessment, rules: Sequence[DrawRule]) -> list[int]:
    """How many of the bank's questions each rule can draw from, in two queries."""
    questions = dict(
        Question.objects.filter(course=assessment.course_id, is_archived=False).values_list(
            "pk", "difficulty"
        )
    )
    points: dict[int, set[int]] = {}
    for question_id, point_id in Question.knowledge_points.through.objects.filter(
        question_id__in=questions
    ).values_list("question_id", "knowledgepoint_id"):
        points.setdefault(point_id, set()).add(question_id)
    counts = []
    for rule in rules:
        pool = (
            questions
            if rule.knowledge_point_id is None
            else points.get(rule.knowledge_point_id, ())
        )
        counts.append(
            sum(
                1
                for pk in pool
                if pk in questions and rule.difficulty_min <= questions[pk] <= rule.difficulty_max
            )
        )
    return counts


def _questions_page(
    request: HttpRequest,
    assessment: Assessment,
    *,
    error: str = "",
    rule_form: DrawRuleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"course": assessment.course, "assessment": assessment, "error": error}
    if assessment.selection == Selection.FIXED:
        context["items"] = assessment.items.select_related("question__current_version").order_by(
            "position", "pk"
        )
        context.update(_bank_context(request, assessment))
    else:
        rules = list(assessment.draw_rules.select_related("knowledge_point"))
        context["rules"] = list(zip(rules, _available_counts(assessment, rules), strict=True))
        context["rule_form"] = rule_form or DrawRuleForm(course=assessment.course)
    return render(request, "assessments/manage_questions.html", context, status=status)


@login_required
@require_GET
def assessment_questions(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    if request.htmx and assessment.selection == Selection.FIXED:
        return render(request, "assessments/_manage_bank.html", _bank_context(request, assessment))
    return _questions_page(request, assessment)


def _locked(assessment: Assessment) -> None:
    """
    Hold the assessment's row until the transaction ends, so two editors changing its list at
    once apply their changes one after the other (call inside `transaction.atomic`).
    """
    Assessment.objects.select_for_update().filter(pk=assessment.pk).exists()


def _change_fixed_list(
    request: HttpRequest,
    assessment: Assessment,
    change: Callable[[list[Question]], list[Question]],
    done: str,
) -> HttpResponse:
    """Replace the fixed list by `change(current list)`; `change` raises to refuse."""
    if assessment.selection != Selection.FIXED:
        return _questions_page(
            request,
            assessment,
            error=_("This assessment draws its questions at random: edit its draw rules."),
            status=400,
        )
    try:
        with transaction.atomic():
            _locked(assessment)
            items = assessment.items.select_related("question").order_by("position", "pk")
            questions = change([item.question for item in items])
            assessment_set_questions(assessment=assessment, questions=questions)
    except ValidationError as error:
        return _questions_page(request, assessment, error=" ".join(error.messages), status=400)
    messages.success(request, done)
    return redirect(_questions_url(assessment, request.GET.urlencode()))


def _not_listed() -> ValidationError:
    return ValidationError(_("This question is not in the assessment's list."))


@login_required
@require_POST
def question_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    question = (
        question_list_editable(user=request.user)
        .filter(pk=posted_id(request.POST.get("question")))
        .first()
    )

    def add(questions: list[Question]) -> list[Question]:
        if question is None:
            raise ValidationError(_("There is no such question in the bank."))
        return [*questions, question]

    return _change_fixed_list(request, assessment, add, _("Question added."))


@login_required
@require_POST
def question_remove(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    question_id = posted_id(request.POST.get("question"))

    def remove(questions: list[Question]) -> list[Question]:
        kept = [q for q in questions if q.pk != question_id]
        if len(kept) == len(questions):
            raise _not_listed()
        return kept

    return _change_fixed_list(request, assessment, remove, _("Question removed."))


@login_required
@require_POST
def question_move(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    question_id = posted_id(request.POST.get("question"))
    offset = -1 if request.POST.get("direction") == "up" else 1

    def move(questions: list[Question]) -> list[Question]:
        ids = [q.pk for q in questions]
        if question_id not in ids:
            raise _not_listed()
        here = ids.index(question_id)
        there = here + offset
        if 0 <= there < len(questions):
            questions[here], questions[there] = questions[there], questions[here]
        return questions

    return _change_fixed_list(request, assessment, move, _("Question moved."))


def _change_rules(
    request: HttpRequest,
    assessment: Assessment,
    change: Callable[[list[DrawRuleSpec]], list[DrawRuleSpec]],
    form: DrawRuleForm | None,
    done: str,
) -> HttpResponse:
    """Replace the draw rules by `change(current rules)`; a refusal shows on `form` or the page."""
    if assessment.selection != Selection.RANDOM:
        return _questions_page(
            request,
            assessment,
            error=_("This assessment has a fixed list of questions: edit the list."),
            status=400,
        )
    try:
        with transaction.atomic():
            _locked(assessment)
            current = [
                DrawRuleSpec(
                    count=rule.count,
                    knowledge_point=rule.knowledge_point,
                    difficulty_min=rule.difficulty_min,
                    difficulty_max=rule.difficulty_max,
                )
                for rule in assessment.draw_rules.select_related("knowledge_point")
            ]
            assessment_set_draw_rules(assessment=assessment, rules=change(current))
    except ValidationError as error:
        if form is None:
            return _questions_page(request, assessment, error=" ".join(error.messages), status=400)
        _add_errors(form, error)
        return _questions_page(request, assessment, rule_form=form, status=400)
    messages.success(request, done)
    return redirect(_questions_url(assessment))


@login_required
@require_POST
def rule_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    form = DrawRuleForm(request.POST, course=assessment.course)
    if not form.is_valid():
        return _questions_page(request, assessment, rule_form=form, status=400)
    rule = DrawRuleSpec(**form.cleaned_data)
    return _change_rules(
        request, assessment, lambda rules: [*rules, rule], form, _("Draw rule added.")
    )


@login_required
@require_POST
def rule_remove(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    position = posted_id(request.POST.get("rule"))  # 1 for the first rule

    def remove(rules: list[DrawRuleSpec]) -> list[DrawRuleSpec]:
        if not 1 <= position <= len(rules):
            raise ValidationError(_("There is no such draw rule."))
        return rules[: position - 1] + rules[position:]

    return _change_rules(request, assessment, remove, None, _("Draw rule removed."))


@login_required
@require_POST
def assessment_publish_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    publish = request.POST.get("publish") == "1"
    try:
        assessment_publish(assessment=assessment, published=publish)
    except ValidationError as error:
        assessment.refresh_from_db()
        return _questions_page(request, assessment, error=" ".join(error.messages), status=400)
    messages.success(
        request, _("Assessment published.") if publish else _("Assessment unpublished.")
    )
    return redirect(_questions_url(assessment))


# --- Accommodations -----------------------------------------------------------------------------


def _accommodations_page(request, assessment, form) -> HttpResponse:
    accommodations = assessment.accommodations.select_related("student", "classroom").order_by(
        "classroom__name", "student__username", "pk"
    )
    return render(
        request,
        "assessments/manage_accommodations.html",
        {
            "course": assessment.course,
            "assessment": assessment,
            "accommodations": accommodations,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def accommodations(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    form = AccommodationForm(
        request.POST if request.method == "POST" else None, course=assessment.course
    )
    if request.method == "POST" and form.is_valid():
        try:
            kept = accommodation_set(assessment=assessment, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Accommodation saved.") if kept else _("Accommodation removed.")
            )
            return redirect("assessments:manage_accommodations", assessment_id=assessment.pk)
    return _accommodations_page(request, assessment, form)


@login_required
@require_POST
def accommodation_remove(
    request: HttpRequest, assessment_id: int, accommodation_id: int
) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    accommodation = get_object_or_404(
        assessment.accommodations.select_related("student", "classroom"), pk=accommodation_id
    )
    accommodation_set(
        assessment=assessment,
        student=accommodation.student,
        classroom=accommodation.classroom,
        extra_minutes=0,
        extra_attempts=0,
    )
    messages.success(request, _("Accommodation removed."))
    return redirect("assessments:manage_accommodations", assessment_id=assessment.pk)


# --- Item analysis ------------------------------------------------------------------------------


def _hints(row: dict) -> list[str]:
    hints = []
    facility, discrimination = row["facility_index"], row["discrimination_index"]
    if facility is not None and facility < VERY_HARD_BELOW:
        hints.append(_("Very hard."))
    elif facility is not None and facility > VERY_EASY_ABOVE:
        hints.append(_("Very easy."))
    if discrimination is not None and discrimination < 0:
        hints.append(_("Stronger students did worse here: check the answer key."))
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION_BELOW:
        hints.append(_("Check this question: it hardly tells stronger from weaker students."))
    return hints


@login_required
@require_GET
def item_analysis_page(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _editable_assessment(request, assessment_id)
    rows = [{**row, "hints": _hints(row)} for row in item_analysis(assessment=assessment)]
    return render(
        request,
        "assessments/item_analysis.html",
        {"course": assessment.course, "assessment": assessment, "rows": rows},
    )


# --- Gradebook ----------------------------------------------------------------------------------


def _gradebook_table(course: Course) -> dict:
    """
    The gradebook with, per cell, the grade and its percent of the most points the student's
    attempts could score; and each assessment's class average percent. Four queries.
    """
    book = gradebook(course=course)
    most = {
        (student_id, assessment_id): points
        for student_id, assessment_id, points in Attempt.objects.filter(
            assessment__course=course, status=AttemptStatus.SUBMITTED
        )
        .order_by()
        .values("student_id", "assessment_id")
        .annotate(points=Max("max_score"))
        .values_list("student_id", "assessment_id", "points")
    }
    rows = []
    for row in book.rows:
        cells = []
        for assessment, grade in zip(book.assessments, row["grades"], strict=True):
            points = most.get((row["student"].pk, assessment.pk))
            percent = round(100 * grade / points) if grade is not None and points else None
            cells.append({"grade": grade, "percent": percent})
        rows.append({"student": row["student"], "cells": cells})
    averages = []
    for column in range(len(book.assessments)):
        percents = [r["cells"][column]["percent"] for r in rows]
        percents = [p for p in percents if p is not None]
        averages.append(round(sum(percents) / len(percents)) if percents else None)
    return {"assessments": book.assessments, "rows": rows, "averages": averages}


@login_required
@require_GET
def gradebook_page(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _editable_course(request, course_id)
    return render(
        request, "assessments/gradebook.html", {"course": course, **_gradebook_table(course)}
    )


def _csv_cell(value) -> str:
    """A cell a spreadsheet program shows as text, never runs as a formula (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _editable_course(request, course_id)
    book = gradebook(course=course)
    safe_code = re.sub(r"[^A-Za-z0-9._-]+", "_", course.code) or "course"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe_code}-gradebook.csv"'
    response.write("\ufeff")  # a BOM, so spreadsheet programs read Chinese names right
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
