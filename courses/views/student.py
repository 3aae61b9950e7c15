"""HTML pages for students: catalog, course page, lesson player, programs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.models import Level, Program
from courses.permissions import course_can_edit
from courses.sections import sections_for
from courses.selectors import (
    catalog_course_list,
    catalog_facets,
    course_list_visible,
    course_outline,
    lesson_access,
    lesson_blocks,
    lesson_list_visible,
    program_is_enrolled,
    program_list_for_catalog,
    program_progress,
)
from courses.services.enrollment import enrollment_self_enroll, program_enroll
from courses.services.progress import lesson_complete
from lms.models import School
from lms.school_context import school_context

CATALOG_PAGE_SIZE = 24


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _current_school(request: HttpRequest) -> School:
    school = school_context(request).current
    if school is None:
        raise Http404
    return school


def _catalog_program(request: HttpRequest, program_id: int) -> Program:
    """A published program of the current school (404 for any other)."""
    programs = program_list_for_catalog(user=request.user, school=_current_school(request))
    return get_object_or_404(programs, pk=program_id)


@login_required
@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    school = _current_school(request)
    filters = {
        "query": request.GET.get("q", "").strip()[:100],
        "subject": request.GET.get("subject", "")[:80],
        "level": request.GET.get("level", "") if request.GET.get("level") in Level.values else "",
        "tag": request.GET.get("tag", "")[:50],
    }
    courses = catalog_course_list(user=request.user, school=school, **filters)
    page = Paginator(courses, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "courses/_catalog_results.html" if request.htmx else "courses/catalog.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "facets": catalog_facets(user=request.user, school=school),
            "levels": Level.choices,
            "programs": program_list_for_catalog(user=request.user, school=school)
            if not any(filters.values())
            else [],
        },
    )


@login_required
@require_GET
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(
        course_list_visible(user=request.user).select_related("school"), pk=course_id
    )
    outline = course_outline(course=course, user=request.user)
    can_edit = course_can_edit(user=request.user, course=course)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "outline": outline,
            "can_edit": can_edit,
            "sections": sections_for(request=request, course=course, can_edit=can_edit),
        },
    )


@login_required
@require_POST
def course_enroll(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(course_list_visible(user=request.user), pk=course_id)
    try:
        enrollment_self_enroll(student=request.user, course=course)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("You are enrolled in %(course)s.") % {"course": course.title})
    return redirect("courses:course_detail", course_id=course.pk)


@login_required
@require_GET
def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_visible(user=request.user), pk=lesson_id)
    course = lesson.module.course
    access = lesson_access(user=request.user, lesson=lesson)
    if not access.may_open:
        messages.info(request, _("Enroll in the course to open its lessons."))
        return redirect("courses:course_detail", course_id=course.pk)
    outline = access.outline
    previous, following = outline.neighbours(lesson.pk)
    progress = lesson.progress.filter(student=request.user).first()
    return render(
        request,
        "courses/lesson_detail.html",
        {
            "course": course,
            "lesson": lesson,
            "entry": access.entry,
            "outline": outline,
            "blocks": lesson_blocks(lesson=lesson) if access.may_see_content else [],
            "previous": previous,
            "next": following,
            "progress": progress,
            "is_preview": access.is_editor and not outline.is_enrolled,
        },
    )


@login_required
@require_POST
def lesson_mark_complete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_visible(user=request.user), pk=lesson_id)
    try:
        lesson_complete(student=request.user, lesson=lesson)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("courses:lesson_detail", lesson_id=lesson.pk)
    outline = course_outline(course=lesson.module.course, user=request.user)
    _previous, following = outline.neighbours(lesson.pk)
    if following is not None:
        return redirect("courses:lesson_detail", lesson_id=following.pk)
    messages.success(request, _("You finished the last lesson of this course."))
    return redirect("courses:course_detail", course_id=lesson.module.course_id)


@login_required
@require_GET
def program_detail(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _catalog_program(request, program_id)
    progress = program_progress(program=program, user=request.user)
    enrolled = program_is_enrolled(program=program, user=request.user)
    return render(
        request,
        "courses/program_detail.html",
        {"program": program, "progress": progress, "enrolled": enrolled},
    )


@login_required
@require_POST
def program_enroll_view(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _catalog_program(request, program_id)
    try:
        program_enroll(student=request.user, program=program)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("You are enrolled in the program %(title)s.") % {"title": program.title}
        )
    return redirect("courses:program_detail", program_id=program.pk)
