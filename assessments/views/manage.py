"""Setting assessments up, and what teachers see after: item analysis and the gradebook."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.exports import gradebook_csv_response
from assessments.manage_forms import (
    AccommodationForm,
    AssessmentSettingsForm,
    BankFilterForm,
    DrawRuleForm,
)
from assessments.models import Assessment, Selection
from assessments.selectors import (
    accommodation_list,
    assessment_item_list,
    assessment_list_with_counts,
    assessment_question_ids,
    draw_rule_available_counts,
    draw_rule_list,
    gradebook,
    gradebook_max_scores,
    item_analysis,
    question_list_editable,
    question_list_for_bank,
)
from assessments.services.authoring import (
    SETTINGS_FIELDS,
    DrawRuleSpec,
    accommodation_set,
    assessment_create,
    assessment_draw_rule_add,
    assessment_draw_rule_remove,
    assessment_publish,
    assessment_question_add,
    assessment_question_move,
    assessment_question_remove,
    assessment_update,
)
from assessments.views.lookups import editable_assessment
from courses.models import Course
from courses.views.lookups import editable_course
from lms.forms import add_service_errors
from lms.http import posted_id

BANK_PAGE_SIZE = 25
# Item analysis hints, in percent (the thresholds Moodle's documentation suggests).
VERY_HARD_BELOW = 20
VERY_EASY_ABOVE = 90
WEAK_DISCRIMINATION_BELOW = 20


# --- Lookups ------------------------------------------------------------------------------------


def _questions_url(assessment: Assessment, query: str = "") -> str:
    url = reverse("assessments:manage_questions", args=[assessment.pk])
    return f"{url}?{query}" if query else url


# --- The course's assessments -------------------------------------------------------------------


@login_required
@require_GET
def assessment_list(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    return render(
        request,
        "assessments/manage_list.html",
        {
            "course": course,
            "assessments": assessment_list_with_counts(user=request.user, course=course),
        },
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
    course = editable_course(request, course_id)
    form = AssessmentSettingsForm(request.POST if request.method == "POST" else None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = assessment_create(
                course=course, created_by=request.user, **_settings(form)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Assessment created. Now choose its questions."))
            return redirect(_questions_url(assessment))
    return _settings_page(request, course, None, form)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    course = assessment.course
    form = AssessmentSettingsForm(
        request.POST if request.method == "POST" else None, instance=assessment, course=course
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment_update(assessment=assessment, **_settings(form))
        except ValidationError as error:
            add_service_errors(form, error)
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
    questions = question_list_for_bank(
        user=request.user,
        course=assessment.course,
        text=filters.get("q") or "",
        kind=filters.get("kind") or "",
        knowledge_point=filters.get("knowledge_point"),
        difficulty=filters.get("difficulty"),
    )
    return {
        "assessment": assessment,
        "bank_form": form,
        "bank_page": Paginator(questions, BANK_PAGE_SIZE).get_page(request.GET.get("page")),
        "chosen": assessment_question_ids(assessment=assessment),
        "bank_query": request.GET.urlencode(),
    }


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
        context["items"] = assessment_item_list(assessment=assessment)
        context.update(_bank_context(request, assessment))
    else:
        rules = draw_rule_list(assessment=assessment)
        counts = draw_rule_available_counts(assessment=assessment, rules=rules)
        context["rules"] = list(zip(rules, counts, strict=True))
        context["rule_form"] = rule_form or DrawRuleForm(course=assessment.course)
    return render(request, "assessments/manage_questions.html", context, status=status)


@login_required
@require_GET
def assessment_questions(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    if request.htmx and assessment.selection == Selection.FIXED:
        return render(request, "assessments/_manage_bank.html", _bank_context(request, assessment))
    return _questions_page(request, assessment)


def _change_questions(
    request: HttpRequest,
    assessment: Assessment,
    change: Callable[[], object],
    done: str,
    *,
    selection: str,
    rule_form: DrawRuleForm | None = None,
) -> HttpResponse:
    """
    Run `change` (a service changing the fixed list or the draw rules, as `selection` says); a
    refusal shows on `rule_form`, or on the page.
    """
    if assessment.selection != selection:
        if selection == Selection.FIXED:
            wrong = _("This assessment draws its questions at random: edit its draw rules.")
        else:
            wrong = _("This assessment has a fixed list of questions: edit the list.")
        return _questions_page(request, assessment, error=wrong, status=400)
    try:
        change()
    except ValidationError as error:
        if rule_form is None:
            return _questions_page(request, assessment, error=" ".join(error.messages), status=400)
        add_service_errors(rule_form, error)
        return _questions_page(request, assessment, rule_form=rule_form, status=400)
    messages.success(request, done)
    return redirect(_questions_url(assessment, request.GET.urlencode()))


@login_required
@require_POST
def question_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    question = (
        question_list_editable(user=request.user)
        .filter(pk=posted_id(request.POST.get("question")))
        .first()
    )

    def add() -> None:
        if question is None:
            raise ValidationError(_("There is no such question in the bank."))
        assessment_question_add(assessment=assessment, question=question)

    return _change_questions(
        request, assessment, add, _("Question added."), selection=Selection.FIXED
    )


@login_required
@require_POST
def question_remove(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    question_id = posted_id(request.POST.get("question"))
    return _change_questions(
        request,
        assessment,
        lambda: assessment_question_remove(assessment=assessment, question_id=question_id),
        _("Question removed."),
        selection=Selection.FIXED,
    )


@login_required
@require_POST
def question_move(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    question_id = posted_id(request.POST.get("question"))
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _change_questions(
        request,
        assessment,
        lambda: assessment_question_move(
            assessment=assessment, question_id=question_id, offset=offset
        ),
        _("Question moved."),
        selection=Selection.FIXED,
    )


@login_required
@require_POST
def rule_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    form = DrawRuleForm(request.POST, course=assessment.course)
    if not form.is_valid():
        return _questions_page(request, assessment, rule_form=form, status=400)
    rule = DrawRuleSpec(**form.cleaned_data)
    return _change_questions(
        request,
        assessment,
        lambda: assessment_draw_rule_add(assessment=assessment, rule=rule),
        _("Draw rule added."),
        selection=Selection.RANDOM,
        rule_form=form,
    )


@login_required
@require_POST
def rule_remove(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    position = posted_id(request.POST.get("rule"))  # 1 for the first rule
    return _change_questions(
        request,
        assessment,
        lambda: assessment_draw_rule_remove(assessment=assessment, position=position),
        _("Draw rule removed."),
        selection=Selection.RANDOM,
    )


@login_required
@require_POST
def assessment_publish_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
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
    return render(
        request,
        "assessments/manage_accommodations.html",
        {
            "course": assessment.course,
            "assessment": assessment,
            "accommodations": accommodation_list(assessment=assessment),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def accommodations(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = editable_assessment(request, assessment_id)
    form = AccommodationForm(
        request.POST if request.method == "POST" else None, course=assessment.course
    )
    if request.method == "POST" and form.is_valid():
        try:
            kept = accommodation_set(assessment=assessment, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
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
    assessment = editable_assessment(request, assessment_id)
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
    assessment = editable_assessment(request, assessment_id)
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
    most = gradebook_max_scores(course=course)
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
    course = editable_course(request, course_id)
    return render(
        request, "assessments/gradebook.html", {"course": course, **_gradebook_table(course)}
    )


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    return gradebook_csv_response(course=course, book=gradebook(course=course))
