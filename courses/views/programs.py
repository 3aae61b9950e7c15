"""Pages for school admins: programs (ordered courses toward a goal)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from courses.forms import ProgramForm, ProgramStepForm
from courses.models import Program
from courses.services import programs as services
from courses.services.authoring import item_move
from lms.forms import add_service_errors
from lms.permissions import school_admin_required


def _program(request, program_id: int) -> Program:
    return get_object_or_404(Program.objects.filter(school=request.school), pk=program_id)


@school_admin_required
@require_http_methods(["GET", "POST"])
def program_list(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(school=request.school, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("courses:program_edit", program_id=program.pk)
    programs = (
        Program.objects.filter(school=request.school).prefetch_related("steps").order_by("title")
    )
    return render(
        request,
        "courses/program_list.html",
        {"programs": programs, "form": form},
        status=400 if form.errors else 200,
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _program(request, program_id)
    form = ProgramForm(request.POST if "save" in request.POST else None, instance=program)
    step_form = ProgramStepForm(request.POST if "add" in request.POST else None, program=program)
    if request.method == "POST":
        try:
            if "save" in request.POST and form.is_valid():
                services.program_update(program=program, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("courses:program_edit", program_id=program.pk)
            if "add" in request.POST and step_form.is_valid():
                services.program_add_course(program=program, **step_form.cleaned_data)
                return redirect("courses:program_edit", program_id=program.pk)
        except ValidationError as error:
            add_service_errors(form if "save" in request.POST else step_form, error)
    steps = program.steps.select_related("course").order_by("position", "pk")
    return render(
        request,
        "courses/program_edit.html",
        {"program": program, "form": form, "step_form": step_form, "steps": steps},
        status=400 if request.method == "POST" else 200,
    )


@school_admin_required
@require_POST
def program_publish(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _program(request, program_id)
    try:
        services.program_set_published(
            program=program, published=request.POST.get("publish") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("courses:program_edit", program_id=program.pk)


@school_admin_required
@require_POST
def program_step_move(request: HttpRequest, program_id: int, step_id: int) -> HttpResponse:
    program = _program(request, program_id)
    step = get_object_or_404(program.steps, pk=step_id)
    if "remove" in request.POST:
        services.program_remove_course(step=step)
    else:
        offset = -1 if request.POST.get("direction") == "up" else 1
        item_move(items=program.steps.all(), item_id=step.pk, offset=offset)
    return redirect("courses:program_edit", program_id=program.pk)
