"""The question bank pages of a course: list, edit, import and export."""

import random

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import spec as specs
from assessments.exports import questions_gift_response
from assessments.formats import ParseResult
from assessments.formats.parsers import questions_parse
from assessments.forms import KIND_PARTS, ImportForm, QuestionEditor, credits_kept
from assessments.models import Question, QuestionKind
from assessments.selectors import (
    attempt_count_to_regrade,
    question_is_answered,
    question_list_editable,
    question_list_for_bank,
    tag_list_for_bank,
)
from assessments.services.attempts import question_regrade
from assessments.services.questions import (
    question_archive,
    question_create,
    question_delete,
    question_import,
    question_update,
)
from courses.models import Course
from courses.views.lookups import editable_course
from lms.forms import add_service_errors
from lms.http import posted_id

PAGE_SIZE = 50
MAX_QUERY = 100
KIND_HELP = {
    specs.SINGLE_CHOICE: gettext_lazy("Students pick one choice; one choice is right."),
    specs.MULTIPLE_CHOICE: gettext_lazy(
        "Students pick every right choice; optionally with partial credit."
    ),
    specs.TRUE_FALSE: gettext_lazy("Students say whether a statement is true or false."),
    specs.NUMERIC: gettext_lazy("Students type a number, right within a tolerance; with a unit."),
    specs.SHORT_TEXT: gettext_lazy(
        "Students type a word or a short phrase; accepted answers or a pattern."
    ),
    specs.ORDERING: gettext_lazy("Students put items in the right order."),
}


# --- Reads for these pages --------------------------------------------------------------------


def _question(request: HttpRequest, course: Course, question_id: int) -> Question:
    return get_object_or_404(
        question_list_editable(user=request.user).filter(course=course), pk=question_id
    )


# --- List -------------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict:
    difficulty = posted_id(request.GET.get("difficulty"))
    kind = request.GET.get("kind", "")
    return {
        "query": request.GET.get("q", "").strip()[:MAX_QUERY],
        "kind": kind if kind in QuestionKind.values else "",
        "knowledge_point": posted_id(request.GET.get("kp")),
        "tag": posted_id(request.GET.get("tag")),
        "difficulty": difficulty if difficulty <= 5 else 0,
        "archived": request.GET.get("archived") == "1",
    }


@login_required
@require_GET
def bank_list(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    filters = _filters(request)
    questions = question_list_for_bank(
        user=request.user,
        course=course,
        text=filters["query"],
        kind=filters["kind"],
        knowledge_point=filters["knowledge_point"],
        tag=filters["tag"],
        difficulty=filters["difficulty"],
        include_archived=filters["archived"],
    )
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    partial = request.htmx and not request.htmx.history_restore_request
    template = "assessments/_bank_results.html" if partial else "assessments/bank_list.html"
    return render(
        request,
        template,
        {
            "course": course,
            "page": page,
            "filters": filters,
            "kinds": QuestionKind.choices,
            "knowledge_points": course.knowledge_points.order_by("name"),
            "tags": tag_list_for_bank(course=course),
            "difficulties": range(1, 6),
        },
    )


# --- Create and edit --------------------------------------------------------------------------


def _kind_choices() -> list[dict]:
    return [
        {"value": value, "label": label, "help": KIND_HELP[value]}
        for value, label in QuestionKind.choices
    ]


@login_required
@require_GET
def bank_new(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    return render(
        request, "assessments/bank_new.html", {"course": course, "kinds": _kind_choices()}
    )


def _editor_page(
    request: HttpRequest,
    course: Course,
    editor: QuestionEditor,
    question: Question | None = None,
) -> HttpResponse:
    adding_rows = request.method == "POST" and "add_rows" in request.POST
    refused = request.method == "POST" and not adding_rows
    context = {
        "course": course,
        "question": question,
        "editor": editor,
        "kind": editor.kind,
        "kind_label": QuestionKind(editor.kind).label,
        "answers_template": f"assessments/_bank_answers_{editor.kind}.html",
        "hide_errors": adding_rows,
    }
    if question is not None:
        context.update(
            answered=question_is_answered(question=question),
            to_regrade=attempt_count_to_regrade(question=question),
            credits_kept=credits_kept(question.kind, question.current_version.spec),
        )
    return render(request, "assessments/bank_form.html", context, status=400 if refused else 200)


@login_required
@require_http_methods(["GET", "POST"])
def bank_create(request: HttpRequest, course_id: int, kind: str) -> HttpResponse:
    course = editable_course(request, course_id)
    if kind not in KIND_PARTS:
        return render(
            request,
            "assessments/bank_new.html",
            {
                "course": course,
                "kinds": _kind_choices(),
                "error": _("There is no question type “%(kind)s”. Choose one of these.")
                % {"kind": kind[:40]},
            },
            status=400,
        )
    posted = request.method == "POST"
    more_rows = "add_rows" in request.POST
    editor = QuestionEditor(
        kind=kind, course=course, data=request.POST if posted else None, more_rows=more_rows
    )
    if posted and not more_rows and editor.is_valid():
        try:
            question = question_create(
                course=course, kind=kind, created_by=request.user, **editor.values()
            )
        except ValidationError as error:
            editor.add_service_error(error)
        else:
            messages.success(
                request, _("Question “%(title)s” added to the bank.") % {"title": question.title}
            )
            return redirect("assessments:bank_list", course_id=course.pk)
    return _editor_page(request, course, editor)


@login_required
@require_http_methods(["GET", "POST"])
def bank_edit(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    posted = request.method == "POST"
    more_rows = "add_rows" in request.POST
    editor = QuestionEditor(
        kind=question.kind,
        course=course,
        data=request.POST if posted else None,
        question=None if posted else question,
        more_rows=more_rows,
    )
    if posted and not more_rows and editor.is_valid():
        try:
            question = question_update(question=question, **editor.values())
        except ValidationError as error:
            editor.add_service_error(error)
        else:
            messages.success(
                request,
                _("Question saved (version %(number)d).")
                % {"number": question.current_version.number},
            )
            if attempt_count_to_regrade(question=question):
                return redirect(
                    "assessments:bank_edit", course_id=course.pk, question_id=question.pk
                )
            return redirect("assessments:bank_list", course_id=course.pk)
    return _editor_page(request, course, editor, question)


# --- Preview ----------------------------------------------------------------------------------


def _student_view(question: Question) -> dict:
    """The question as a student's page shows it: no credit, feedback or explanation."""
    version = question.current_version
    spec = version.spec
    options = [
        {"id": option["id"], "html": option["html"]}
        for option in spec.get("choices", spec.get("items", []))
    ]
    if question.kind == specs.ORDERING:
        right = [option["id"] for option in options]
        random.Random(question.pk).shuffle(options)
        if len(options) > 1 and [option["id"] for option in options] == right:
            options.append(options.pop(0))  # never the right order
    return {
        "stem_html": version.stem_html,
        "options": options,
        "unit": spec.get("unit", "") if question.kind == specs.NUMERIC else "",
    }


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 2):g}"


def _answer_view(question: Question) -> dict:
    """The question with its answers, credits and feedback, for its teachers."""
    version = question.current_version
    spec = version.spec
    view = {"spec": spec, "options": []}
    for option in spec.get("choices", []):
        view["options"].append(
            {**option, "right": option["fraction"] > 0, "percent": _percent(option["fraction"])}
        )
    for option in spec.get("answers", []):
        view["options"].append({**option, "percent": _percent(option["fraction"])})
    for option in spec.get("items", []):
        view["options"].append(option)
    return view


@login_required
@require_GET
def bank_preview(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    return render(
        request,
        "assessments/bank_preview.html",
        {"course": course, "question": question, "view": _student_view(question)},
    )


@login_required
@require_GET
def bank_answers(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    return render(
        request,
        "assessments/bank_answers.html",
        {"course": course, "question": question, "view": _answer_view(question)},
    )


# --- Archive, delete, regrade -----------------------------------------------------------------


def _back_to_bank(request: HttpRequest, course: Course) -> HttpResponse:
    """To the list the action came from (its filters and page kept), or the bank."""
    bank = reverse("assessments:bank_list", args=[course.pk])
    target = request.POST.get("next", "")
    if target.startswith(bank) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(bank)


@login_required
@require_POST
def bank_archive(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    archived = request.POST.get("archived") != "0"
    question_archive(question=question, archived=archived)
    if archived:
        messages.success(
            request,
            _("“%(title)s” is archived: it leaves the list and random draws.")
            % {"title": question.title},
        )
    else:
        messages.success(request, _("“%(title)s” is back in the bank.") % {"title": question.title})
    return _back_to_bank(request, course)


def _confirm(request: HttpRequest, course: Course, **context) -> HttpResponse:
    return render(request, "assessments/bank_confirm.html", {"course": course, **context})


@login_required
@require_http_methods(["GET", "POST"])
def bank_delete(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    if request.method == "POST":
        try:
            question_delete(question=question)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Question deleted."))
        return redirect("assessments:bank_list", course_id=course.pk)
    return _confirm(
        request,
        course,
        title=_("Delete this question?"),
        question_text=_("Delete the question “%(title)s”? This cannot be undone.")
        % {"title": question.title},
        note=_(
            "A question that has been answered or is in an assessment cannot be deleted: "
            "archive it instead."
        ),
        button=_("Delete"),
        danger=True,
        cancel_url=reverse("assessments:bank_list", args=[course.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_regrade(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    question = _question(request, course, question_id)
    edit_url = reverse("assessments:bank_edit", args=[course.pk, question.pk])
    if request.method == "POST":
        attempts = question_regrade(question=question)
        messages.success(
            request,
            ngettext(
                "%(count)d attempt regraded against version %(number)d.",
                "%(count)d attempts regraded against version %(number)d.",
                len(attempts),
            )
            % {"count": len(attempts), "number": question.current_version.number},
        )
        return redirect(edit_url)
    count = attempt_count_to_regrade(question=question)
    return _confirm(
        request,
        course,
        title=_("Regrade attempts?"),
        question_text=ngettext(
            "Grade the %(count)d submitted attempt that answered an older version of “%(title)s”"
            " again, against version %(number)d?",
            "Grade the %(count)d submitted attempts that answered an older version of "
            "“%(title)s” again, against version %(number)d?",
            count,
        )
        % {"count": count, "title": question.title, "number": question.current_version.number},
        note=_("Their scores change; an answer that no longer fits the question earns nothing."),
        button=_("Regrade"),
        danger=False,
        cancel_url=edit_url,
    )


# --- Import and export ------------------------------------------------------------------------


def _parsed_rows(report: ParseResult) -> list[dict]:
    labels = dict(QuestionKind.choices)
    return [
        {
            "line": parsed.line,
            "kind": labels.get(parsed.kind, parsed.kind),
            "title": parsed.title,
            "stem": parsed.stem,
            "category": parsed.category,
        }
        for parsed in report.questions
    ]


@login_required
@require_http_methods(["GET", "POST"])
def bank_import(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            report = questions_parse(format_name=data["format"], text=data["source"])
            if request.POST.get("action") == "import":
                if report.problems or not report.questions:
                    form.add_error(None, _("Nothing was imported: the questions have problems."))
                else:
                    try:
                        created = question_import(
                            course=course,
                            parsed=report.questions,
                            tags=data["tags"],
                            user=request.user,
                        )
                    except ValidationError as error:
                        add_service_errors(form, error)
                    else:
                        messages.success(
                            request,
                            ngettext(
                                "%(count)d question imported.",
                                "%(count)d questions imported.",
                                len(created),
                            )
                            % {"count": len(created)},
                        )
                        return redirect("assessments:bank_list", course_id=course.pk)
        if form.errors:
            status = 400
    return render(
        request,
        "assessments/bank_import.html",
        {
            "course": course,
            "form": form,
            "report": report,
            "parsed": _parsed_rows(report) if report else [],
            "source": form.cleaned_data.get("source", "") if form.is_bound else "",
            "tags": ", ".join(form.cleaned_data.get("tags", [])) if form.is_bound else "",
        },
        status=status,
    )


@login_required
@require_GET
def bank_export(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's questions (archived ones left out) as a GIFT file."""
    course = editable_course(request, course_id)
    return questions_gift_response(
        course=course, questions=question_list_for_bank(user=request.user, course=course)
    )
