"""The study plan: the student's page, and a teacher's view of one student's plan."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.selectors import lesson_list_visible
from lms.forms import add_service_errors
from lms.models import User
from personalization.models import ItemStatus, LearnerProfile, PlanItem
from personalization.plan_forms import PlanStepForm
from personalization.selectors import (
    plan_for_student,
    plan_steps,
    student_list_visible,
)
from personalization.services.items import (
    plan_item_add,
    plan_item_set_status,
    plan_item_teacher_action,
)


def _plan_context(student: User) -> dict:
    plan = plan_for_student(student=student)
    steps = plan_steps(plan=plan) if plan else []
    open_steps = [s for s in steps if s.item.status == ItemStatus.OPEN]
    return {
        "student": student,
        "plan": plan,
        "this_week": [s for s in open_steps if s.item.within_budget and s.item.kind != "course"],
        "later": [s for s in open_steps if not s.item.within_budget],
        "courses": [s for s in open_steps if s.item.kind == "course"],
        "closed": [s for s in steps if s.item.status != ItemStatus.OPEN],
        "profile": LearnerProfile.objects.filter(student=student).first(),
        "onboarding_url": reverse("personalization:onboarding"),
    }


@require_GET
@login_required
def plan_page(request: HttpRequest) -> HttpResponse:
    """The signed-in student's plan; with htmx or `?fragment=1` only its steps (live updates)."""
    context = _plan_context(request.user)
    if request.htmx or request.GET.get("fragment"):
        return render(request, "personalization/_plan_steps.html", context)
    context["plan_text"] = {"updated": _("Your plan was updated.")}
    return render(request, "personalization/plan.html", context)


def plan_panel(request: HttpRequest, school) -> dict:
    """The student's home page: the first steps of their plan."""
    context = _plan_context(request.user)
    return {"steps": context["this_week"][:3], "plan": context["plan"]}


@require_POST
@login_required
def plan_step_status(request: HttpRequest, item_id: int, status: str) -> HttpResponse:
    item = get_object_or_404(PlanItem, pk=item_id, plan__student=request.user)
    try:
        plan_item_set_status(item=item, status=status, student=request.user)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(" ".join(error.messages), status=400)
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        return render(request, "personalization/_plan_steps.html", _plan_context(request.user))
    return redirect("personalization:plan")


def _visible_student(request: HttpRequest, user_id: int) -> User:
    """A learner the signed-in teacher or admin may see (404 for anyone else, themself too)."""
    if user_id == request.user.pk:
        raise Http404
    return get_object_or_404(student_list_visible(user=request.user), pk=user_id)


@login_required
def student_plan(request: HttpRequest, user_id: int) -> HttpResponse:
    """A teacher's view of one student's plan: pin, remove and add steps."""
    student = _visible_student(request, user_id)
    form = PlanStepForm(request.POST or None, lessons=lesson_list_visible(user=request.user))
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
        request, "personalization/student_plan.html", {**_plan_context(student), "form": form}
    )


@require_POST
@login_required
def student_plan_step(
    request: HttpRequest, user_id: int, item_id: int, action: str
) -> HttpResponse:
    student = _visible_student(request, user_id)
    item = get_object_or_404(PlanItem, pk=item_id, plan__student=student)
    try:
        plan_item_teacher_action(item=item, action=action, teacher=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("personalization:student_plan", user_id=student.pk)
