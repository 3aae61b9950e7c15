from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import page_not_found, permission_denied, server_error

from lms.dashboard import panels_for
from lms.exceptions import error_payload
from lms.health import run_checks
from lms.http import posted_id
from lms.models import Role
from lms.school_context import school_context, school_context_choose
from lms.selectors import classroom_list_for_user, school_member_counts

DASHBOARD_TEMPLATES = {
    Role.STUDENT: "lms/home_student.html",
    Role.TEACHER: "lms/home_teacher.html",
    Role.ADMIN: "lms/home_admin.html",
}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The role-aware start page: each role held in the current school has its own dashboard."""
    context = school_context(request)
    if context.current is None:
        return render(request, "lms/home_no_school.html")
    requested = request.GET.get("role")
    role = requested if requested in context.roles else context.roles[0]
    school = context.current
    classrooms = classroom_list_for_user(
        user=request.user, school=school, homeroom_only=role == Role.TEACHER
    )
    return render(
        request,
        DASHBOARD_TEMPLATES[role],
        {
            "role": role,
            "school": school,
            "classrooms": classrooms,
            "member_counts": school_member_counts(user=request.user, school=school)
            if role == Role.ADMIN
            else {},
            "panels": panels_for(request=request, role=role, school=school),
        },
    )


@login_required
@require_POST
def school_switch(request: HttpRequest) -> HttpResponse:
    if not school_context_choose(request, school_id=posted_id(request.POST.get("school"))):
        messages.error(request, _("You are not a member of that school."))
    return redirect("home")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = run_checks(verbose=request.user.is_superuser)
    return JsonResponse(report, status=200 if healthy else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler400(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_payload(code="bad_request", detail=_("Bad request.")), status=400)
    return render(request, "400.html", status=400)


def handler403(request, exception=None):
    if _wants_json(request):
        payload = error_payload(
            code="permission_denied",
            detail=_("You do not have permission to perform this action."),
        )
        return JsonResponse(payload, status=403)
    return permission_denied(request, exception)


def handler404(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_payload(code="not_found", detail=_("Not found.")), status=404)
    return page_not_found(request, exception)


def handler500(request):
    if _wants_json(request):
        payload = error_payload(
            code="error", detail=_("A server error occurred."), error_type="server_error"
        )
        return JsonResponse(payload, status=500)
    return server_error(request)
