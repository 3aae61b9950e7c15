"""HTML pages for a course's teachers and its school's admins: build and change courses."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from courses.forms import (
    BlockForm,
    CourseCopyForm,
    CourseForm,
    KnowledgePointForm,
    LessonForm,
    LessonTaggingForm,
    ModuleForm,
    PrerequisiteForm,
)
from courses.models import Course, KnowledgePoint, Lesson
from courses.selectors import (
    block_list_editable,
    course_list_editable,
    enrollable_student_list,
    knowledge_point_list,
    lesson_blocks,
    lesson_list_editable,
    module_list_editable,
    roster_for_course,
)
from courses.services import authoring
from courses.views.lookups import editable_course
from lms.forms import add_service_errors
from lms.http import posted_id
from lms.models import Role
from lms.school_context import school_context
from lms.selectors import classroom_list_for_user, user_has_school_role

BLOCK_FIELDS = ("title", "body", "language", "url", "file", "captions", "alt_text")


@dataclass(frozen=True)
class _Outcome:
    """A service call's result; false when the service refused (the reason is shown)."""

    ok: bool
    value: Any = None

    def __bool__(self) -> bool:
        return self.ok


def _try(request: HttpRequest, form, action) -> _Outcome:
    """Run a service call; its validation errors go to the form (or a message without one)."""
    try:
        return _Outcome(ok=True, value=action())
    except ValidationError as error:
        if form is None:
            messages.error(request, " ".join(error.messages))
        else:
            add_service_errors(form, error)
        return _Outcome(ok=False)


def _editor_url(course: Course) -> str:
    return reverse("courses:course_edit", args=[course.pk])


@login_required
def teach(request: HttpRequest) -> HttpResponse:
    context = school_context(request)
    if context.current is None:
        raise Http404
    courses = (
        course_list_editable(user=request.user)
        .filter(school=context.current)
        .prefetch_related("teachers")
        .order_by("title")
    )
    can_create = bool({Role.TEACHER, Role.ADMIN} & set(context.roles))
    return render(request, "courses/teach.html", {"courses": courses, "can_create": can_create})


@login_required
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest) -> HttpResponse:
    school = school_context(request).current
    if school is None or not user_has_school_role(
        user=request.user, school=school, roles=(Role.TEACHER, Role.ADMIN)
    ):
        raise Http404
    form = CourseForm(request.POST or None, request.FILES or None, school=school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = _try(
            request,
            form,
            lambda: authoring.course_create(
                school=school,
                code=data["code"],
                title=data["title"],
                subject=data["subject"],
                level=data["level"],
                description=data["description"],
                teachers=list(data["teachers"]),
                created_by=request.user,
                tags=form.tag_names(),
                allows_self_enrollment=data["allows_self_enrollment"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                cover_image=data.get("cover_image"),
            ),
        )
        if outcome:
            course = outcome.value
            messages.success(request, _("Course created. Add its first module."))
            return redirect(_editor_url(course))
    return render(
        request,
        "courses/course_form.html",
        {"form": form, "course": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    form = CourseForm(
        request.POST or None, request.FILES or None, instance=course, school=course.school
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in CourseForm.Meta.fields if name != "cover_image"}
        if data.get("cover_image") is not None:
            fields["cover_image"] = data["cover_image"] or ""

        def update():
            authoring.course_update(
                course=course, teachers=list(data["teachers"]), tags=form.tag_names(), **fields
            )

        if _try(request, form, update):
            messages.success(request, _("Course saved."))
            return redirect(_editor_url(course))
    modules = course.modules.order_by("position", "pk").prefetch_related(
        Prefetch("lessons", queryset=Lesson.objects.order_by("position", "pk"))
    )
    return render(
        request,
        "courses/course_edit.html",
        {"course": course, "form": form, "modules": modules, "module_form": ModuleForm()},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def course_duplicate(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    form = CourseCopyForm(request.POST)
    outcome = form.is_valid() and _try(
        request, form, lambda: authoring.course_duplicate(course=course, **form.cleaned_data)
    )
    if outcome:
        messages.success(request, _("Course copied. The copy is a draft."))
        return redirect(_editor_url(outcome.value))
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect(_editor_url(course))


@login_required
@require_POST
def course_publish(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    publish = request.POST.get("publish") == "1"
    if _try(
        request, None, lambda: authoring.course_set_published(course=course, published=publish)
    ):
        messages.success(request, _("Course published.") if publish else _("Course unpublished."))
    return redirect(_editor_url(course))


@login_required
@require_http_methods(["GET", "POST"])
def course_delete(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    if request.method == "POST":
        if _try(request, None, lambda: authoring.course_delete(course=course)):
            messages.success(request, _("Course deleted."))
            return redirect("courses:teach")
        return redirect(_editor_url(course))
    return _confirm(
        request,
        course,
        _("Delete the course “%(name)s” and everything in it?") % {"name": course.title},
        _editor_url(course),
    )


def _confirm(request, thing, question: str, cancel_url: str) -> HttpResponse:
    return render(
        request,
        "courses/confirm_delete.html",
        {"thing": thing, "question": question, "cancel_url": cancel_url},
    )


@login_required
@require_POST
def module_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    form = ModuleForm(request.POST)
    if form.is_valid():
        _try(
            request,
            None,
            lambda: authoring.module_create(course=course, title=form.cleaned_data["title"]),
        )
    else:
        messages.error(request, _("A module needs a title (at most 200 characters)."))
    return redirect(_editor_url(course))


@login_required
@require_POST
def module_rename(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(module_list_editable(user=request.user), pk=module_id)
    form = ModuleForm(request.POST)
    if form.is_valid():
        _try(
            request,
            None,
            lambda: authoring.module_update(module=module, title=form.cleaned_data["title"]),
        )
    return redirect(_editor_url(module.course))


@login_required
@require_POST
def module_move(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(module_list_editable(user=request.user), pk=module_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    authoring.item_move(items=module.course.modules.all(), item_id=module.pk, offset=offset)
    return redirect(_editor_url(module.course) + f"#module-{module.pk}")


@login_required
@require_POST
def module_duplicate(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(module_list_editable(user=request.user), pk=module_id)
    copy = authoring.module_duplicate(module=module)
    messages.success(request, _("Module duplicated."))
    return redirect(_editor_url(module.course) + f"#module-{copy.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def module_delete(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(module_list_editable(user=request.user), pk=module_id)
    if request.method == "POST":
        authoring.module_delete(module=module)
        messages.success(request, _("Module deleted."))
        return redirect(_editor_url(module.course))
    return _confirm(
        request,
        module,
        _("Delete the module “%(name)s” and its lessons?") % {"name": module.title},
        _editor_url(module.course),
    )


@login_required
@require_POST
def lesson_create(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(module_list_editable(user=request.user), pk=module_id)
    form = LessonForm(request.POST)
    if form.is_valid():
        outcome = _try(
            request, None, lambda: authoring.lesson_create(module=module, **form.cleaned_data)
        )
        if outcome:
            return redirect("courses:lesson_edit", lesson_id=outcome.value.pk)
    else:
        messages.error(request, _("A lesson needs a title and between 1 and 600 minutes."))
    return redirect(_editor_url(module.course))


@login_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)
    form = _lesson_form(lesson, request.POST or None)
    tagging = LessonTaggingForm(request.POST or None, lesson=lesson, prefix="tags")
    if request.method == "POST" and form.is_valid() and tagging.is_valid():

        @transaction.atomic  # title, tags and gates are saved together or not at all
        def save():
            authoring.lesson_update(lesson=lesson, **form.cleaned_data)
            authoring.lesson_set_knowledge_points(
                lesson=lesson, knowledge_points=list(tagging.cleaned_data["knowledge_points"])
            )
            authoring.lesson_set_prerequisites(
                lesson=lesson, prerequisites=list(tagging.cleaned_data["prerequisites"])
            )

        if _try(request, tagging, save):
            messages.success(request, _("Lesson saved."))
            return redirect("courses:lesson_edit", lesson_id=lesson.pk)
    return _lesson_edit_page(
        request,
        lesson,
        form=form,
        tagging=tagging,
        block_form=BlockForm(prefix="block"),
        status=400 if form.errors or tagging.errors else 200,
    )


def _lesson_form(lesson: Lesson, data=None) -> LessonForm:
    return LessonForm(
        data,
        initial={"title": lesson.title, "estimated_minutes": lesson.estimated_minutes},
        prefix="lesson",
    )


def _lesson_edit_page(
    request: HttpRequest,
    lesson: Lesson,
    *,
    form: LessonForm,
    tagging: LessonTaggingForm,
    block_form: BlockForm,
    status: int,
) -> HttpResponse:
    return render(
        request,
        "courses/lesson_edit.html",
        {
            "course": lesson.module.course,
            "lesson": lesson,
            "form": form,
            "tagging": tagging,
            "blocks": lesson_blocks(lesson=lesson),
            "block_form": block_form,
        },
        status=status,
    )


@login_required
@require_POST
def lesson_move(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    authoring.item_move(items=lesson.module.lessons.all(), item_id=lesson.pk, offset=offset)
    return redirect(_editor_url(lesson.module.course) + f"#module-{lesson.module_id}")


@login_required
@require_POST
def lesson_duplicate(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)
    copy = authoring.lesson_duplicate(lesson=lesson)
    messages.success(request, _("Lesson duplicated."))
    return redirect("courses:lesson_edit", lesson_id=copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_delete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)
    course = lesson.module.course
    if request.method == "POST":
        authoring.lesson_delete(lesson=lesson)
        messages.success(request, _("Lesson deleted."))
        return redirect(_editor_url(course))
    return _confirm(
        request,
        lesson,
        _("Delete the lesson “%(name)s”?") % {"name": lesson.title},
        _editor_url(course),
    )


@login_required
@require_POST
def block_create(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)
    form = BlockForm(request.POST, request.FILES, prefix="block")
    if form.is_valid():
        data = {name: form.cleaned_data.get(name) for name in BLOCK_FIELDS}
        data = {k: v for k, v in data.items() if v not in (None, False)}
        if _try(
            request,
            form,
            lambda: authoring.block_create(lesson=lesson, kind=form.cleaned_data["kind"], **data),
        ):
            messages.success(request, _("Block added."))
            return redirect(reverse("courses:lesson_edit", args=[lesson.pk]) + "#blocks")
    return _lesson_edit_page(
        request,
        lesson,
        form=_lesson_form(lesson),
        tagging=LessonTaggingForm(lesson=lesson, prefix="tags"),
        block_form=form,
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def block_edit(request: HttpRequest, block_id: int) -> HttpResponse:
    block = get_object_or_404(block_list_editable(user=request.user), pk=block_id)
    form = BlockForm(request.POST or None, request.FILES or None, instance=block, prefix="block")
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in BLOCK_FIELDS if name in form.changed_data}
        # A cleared file input gives False; the model stores no file as "".
        data = {name: "" if value is False else value for name, value in data.items()}
        if _try(request, form, lambda: authoring.block_update(block=block, **data)):
            messages.success(request, _("Block saved."))
            return redirect(reverse("courses:lesson_edit", args=[block.lesson_id]) + "#blocks")
    return render(
        request, "courses/block_edit.html", {"block": block, "form": form, "lesson": block.lesson}
    )


@login_required
@require_POST
def block_move(request: HttpRequest, block_id: int) -> HttpResponse:
    block = get_object_or_404(block_list_editable(user=request.user), pk=block_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    authoring.item_move(items=block.lesson.blocks.all(), item_id=block.pk, offset=offset)
    return redirect(reverse("courses:lesson_edit", args=[block.lesson_id]) + "#blocks")


@login_required
@require_http_methods(["GET", "POST"])
def block_delete(request: HttpRequest, block_id: int) -> HttpResponse:
    block = get_object_or_404(block_list_editable(user=request.user), pk=block_id)
    back = reverse("courses:lesson_edit", args=[block.lesson_id]) + "#blocks"
    if request.method == "POST":
        authoring.block_delete(block=block)
        messages.success(request, _("Block deleted."))
        return redirect(back)
    return _confirm(request, block, _("Delete this block?"), back)


@login_required
@require_http_methods(["GET", "POST"])
def knowledge_points(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    kp_form = KnowledgePointForm(request.POST if "add_kp" in request.POST else None, prefix="kp")
    prereq_form = PrerequisiteForm(
        request.POST if "add_prereq" in request.POST else None, course=course, prefix="pre"
    )
    if request.method == "POST":
        if "add_kp" in request.POST and kp_form.is_valid():
            if _try(
                request,
                kp_form,
                lambda: authoring.knowledge_point_create(course=course, **kp_form.cleaned_data),
            ):
                messages.success(request, _("Knowledge point added."))
                return redirect("courses:knowledge_points", course_id=course.pk)
        elif "add_prereq" in request.POST and prereq_form.is_valid():
            data = prereq_form.cleaned_data
            if _try(
                request,
                prereq_form,
                lambda: authoring.knowledge_point_add_prerequisite(
                    knowledge_point=data["knowledge_point"], prerequisite=data["prerequisite"]
                ),
            ):
                messages.success(request, _("Prerequisite added."))
                return redirect("courses:knowledge_points", course_id=course.pk)
    return render(
        request,
        "courses/knowledge_points.html",
        {
            "course": course,
            "knowledge_points": knowledge_point_list(course=course),
            "kp_form": kp_form,
            "prereq_form": prereq_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def prerequisite_remove(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    kp = get_object_or_404(
        course.knowledge_points, pk=posted_id(request.POST.get("knowledge_point"))
    )
    prerequisite = get_object_or_404(
        KnowledgePoint.objects.filter(course__school=course.school),
        pk=posted_id(request.POST.get("prerequisite")),
    )
    authoring.knowledge_point_remove_prerequisite(knowledge_point=kp, prerequisite=prerequisite)
    return redirect("courses:knowledge_points", course_id=course.pk)


@login_required
@require_http_methods(["GET", "POST"])
def knowledge_point_edit(request: HttpRequest, course_id: int, kp_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    kp = get_object_or_404(course.knowledge_points, pk=kp_id)
    form = KnowledgePointForm(
        request.POST or None, initial={"name": kp.name, "description": kp.description}
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _try(
            request,
            form,
            lambda: authoring.knowledge_point_update(knowledge_point=kp, **form.cleaned_data),
        )
    ):
        messages.success(request, _("Knowledge point saved."))
        return redirect("courses:knowledge_points", course_id=course.pk)
    return render(
        request,
        "courses/knowledge_point_edit.html",
        {"course": course, "kp": kp, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def knowledge_point_delete(request: HttpRequest, course_id: int, kp_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    kp = get_object_or_404(course.knowledge_points, pk=kp_id)
    back = reverse("courses:knowledge_points", args=[course.pk])
    if request.method == "POST":
        authoring.knowledge_point_delete(knowledge_point=kp)
        return redirect(back)
    return _confirm(
        request, kp, _("Delete the knowledge point “%(name)s”?") % {"name": kp.name}, back
    )


@login_required
def roster(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    is_admin = user_has_school_role(user=request.user, school=course.school, roles=(Role.ADMIN,))
    context = {
        "course": course,
        "enrollments": roster_for_course(course=course),
        "lesson_count": Lesson.objects.filter(module__course=course).count(),
        "is_admin": is_admin,
    }
    if is_admin:
        context.update(
            classrooms=classroom_list_for_user(user=request.user, school=course.school),
            classroom_enrollments=course.classroom_enrollments.select_related("classroom"),
            students=enrollable_student_list(user=request.user, course=course),
        )
    return render(request, "courses/roster.html", context)
