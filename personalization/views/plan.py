"""The study plan: the student's page, and a teacher's view of one student's plan."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.forms import add_service_errors
from lms.models import School, User
from personalization.models import ItemKind, ItemStatus
from personalization.plan_forms import PlanStepForm
from personalization.selectors import (
    lesson_list_for_plan_step,
    plan_for_student,
    plan_item_list_for_student,
    plan_item_list_for_teacher,
    plan_steps,
    profile_get,
    student_list_taught,
)
from personalization.services.items import (
    plan_item_add,
    plan_item_set_status,
    plan_item_teacher_action,
)


def _plan_context(student: User, viewer: User) -> dict:
    plan = plan_for_student(student=student)
    steps = plan_steps(plan=plan, viewer=viewer) if plan else []
    open_steps = [s for s in steps if s.item.status == ItemStatus.OPEN]
    return {
        "student": student,
        "plan": plan,
        "this_week": [
            s for s in open_steps if s.item.within_budget and s.item.kind != ItemKind.COURSE
        ],
        "later": [s for s in open_steps if not s.item.within_budget],
        "courses": [s for s in open_steps if s.item.kind == ItemKind.COURSE],
        "closed": [s for s in steps if s.item.status != ItemStatus.OPEN],
        "profile": profile_get(student=student),
        "onboarding_url": reverse("personalization:onboarding"),
    }


def _own_context(request: HttpRequest) -> dict:
    return _plan_context(request.user, request.user)


@require_GET
@login_required
def plan_page(request: HttpRequest) -> HttpResponse:
    """The signed-in student's plan; with htmx or `?fragment=1` only its steps (live updates)."""
    context = _own_context(request)
    fragment = request.GET.get("fragment") or (
        request.htmx and not request.htmx.history_restore_request
    )
    if fragment:
        return render(request, "personalization/_plan_steps.html", context)
    context["plan_text"] = {"updated": _("Your plan was updated.")}
    return render(request, "personalization/plan.html", context)


def plan_panel(request: HttpRequest, school: School) -> dict:
    """The student's home page: the first steps of their plan, and its recommended courses."""
    context = _own_context(request)
    return {"steps": context["this_week"][:3], "plan": context["plan"]}


@require_POST
@login_required
def plan_step_status(request: HttpRequest, item_id: int, status: str) -> HttpResponse:
    item = get_object_or_404(plan_item_list_for_student(student=request.user), pk=item_id)
    try:
        plan_item_set_status(item=item, status=status, student=request.user)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(" ".join(error.messages), status=400)
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        return render(request, "personalization/_plan_steps.html", _own_context(request))
    return redirect("personalization:plan")


@require_http_methods(["GET", "POST"])
@login_required
def student_plan(request: HttpRequest, user_id: int) -> HttpResponse:
    """A teacher's view of one student's plan: pin, remove and add steps."""
    student = get_object_or_404(student_list_taught(user=request.user), pk=user_id)
    lessons = lesson_list_for_plan_step(teacher=request.user, student=student)
    form = PlanStepForm(request.POST or None, lessons=lessons)
    if request.method == "POST" and form.is_valid():
        try:
            plan_item_add(student=student, teacher=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The step was added to %(name)s's plan.") % {"name": student}
            )
            return redirect("personalization:student_plan", user_id=student.pk)
    return render(
        request,
        "personalization/student_plan.html",
        {**_plan_context(student, request.user), "form": form},
    )


@require_POST
@login_required
def student_plan_step(
    request: HttpRequest, user_id: int, item_id: int, action: str
) -> HttpResponse:
    student = get_object_or_404(student_list_taught(user=request.user), pk=user_id)
    item = get_object_or_404(
        plan_item_list_for_teacher(teacher=request.user, student=student), pk=item_id
    )
    try:
        plan_item_teacher_action(item=item, action=action, teacher=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("personalization:student_plan", user_id=student.pk)
