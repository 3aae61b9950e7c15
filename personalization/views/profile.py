"""
Pages of the learner profile (onboarding, the student's profile page, a teacher's read-only view)
and of course recommendations; the "Recommended for you" panel of the student's home page.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.forms import add_service_errors
from lms.models import Role, School
from lms.school_context import school_context
from personalization.forms import ProfileForm
from personalization.recommend import course_recommendations
from personalization.selectors import (
    plan_course_recommendations,
    profile_get,
    profile_needs_onboarding,
    profile_view,
    student_list_visible,
    user_is_student,
)
from personalization.services.profile import profile_update

# Set when a student skips the welcome questions: they are not asked again in this session.
ONBOARDING_SKIPPED = "personalization_onboarding_skipped"
RECOMMENDATIONS_ON_PAGE = 12
RECOMMENDATIONS_ON_PANEL = 3
RECOMMENDATIONS_CACHE_SECONDS = 60 * 60


def student_required(view):
    """Signed-in students only; anyone else gets a page saying that this is for students."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not user_is_student(user=request.user):
            return render(request, "personalization/profile_not_student.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def onboarding_pending(request: HttpRequest) -> bool:
    """
    Whether to send the user to the welcome questions (`personalization:onboarding`): a student
    who has not answered them and has not skipped them in this session.
    """
    return (
        request.user.is_authenticated
        and not request.session.get(ONBOARDING_SKIPPED)
        and profile_needs_onboarding(student=request.user)
    )


def _profile_form_page(request, template: str, form: ProfileForm, **context) -> HttpResponse:
    return render(request, template, {"form": form, **context}, status=400 if form.errors else 200)


def _save(request: HttpRequest, form: ProfileForm) -> bool:
    """Save a posted, valid form through the service; its refusals go onto the form."""
    if not form.is_valid():
        return False
    try:
        profile_update(student=request.user, **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


@student_required
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    profile = profile_get(student=request.user)
    if request.method == "GET" and profile is not None and profile.onboarded_at is not None:
        return redirect("personalization:profile")
    form = ProfileForm(
        request.POST if request.method == "POST" else None, student=request.user, profile=profile
    )
    if request.method == "POST" and _save(request, form):
        request.session.pop(ONBOARDING_SKIPPED, None)
        messages.success(request, _("Thank you! Your study plan now takes this into account."))
        return redirect("personalization:plan")
    return _profile_form_page(request, "personalization/onboarding.html", form)


@student_required
@require_POST
def onboarding_skip(request: HttpRequest) -> HttpResponse:
    """Skip the welcome questions for now: nothing is saved, and they stay on the profile page."""
    request.session[ONBOARDING_SKIPPED] = True
    messages.info(request, _("You can tell us about yourself later on your profile page."))
    return redirect("personalization:plan")


@student_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = profile_get(student=request.user)
    form = ProfileForm(
        request.POST if request.method == "POST" else None, student=request.user, profile=current
    )
    if request.method == "POST" and _save(request, form):
        messages.success(request, _("Your profile is saved. Your study plan is being updated."))
        return redirect("personalization:profile")
    return _profile_form_page(
        request,
        "personalization/profile.html",
        form,
        view=profile_view(student=request.user),
    )


@login_required
@require_GET
def student_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """A learner's profile, read-only, for whoever may see the learner (404 for anyone else)."""
    student = get_object_or_404(student_list_visible(user=request.user), pk=user_id)
    return render(
        request,
        "personalization/profile_student.html",
        {"view": profile_view(student=student, viewer=request.user)},
    )


def _recommendation_school(request: HttpRequest) -> School | None:
    """The current school when the user studies there, else None (all their schools)."""
    context = school_context(request)
    return context.current if Role.STUDENT in context.roles else None


@student_required
@require_GET
def recommendations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "personalization/recommendations.html",
        {
            "recommendations": course_recommendations(
                student=request.user,
                limit=RECOMMENDATIONS_ON_PAGE,
                school=_recommendation_school(request),
            ),
            "needs_onboarding": profile_needs_onboarding(student=request.user),
        },
    )


def recommendations_panel(request: HttpRequest, school: School) -> dict:
    """
    The "Recommended for you" panel of the student's home page (lms.dashboard): the courses
    the study plan recommended (ranked when it was last built, at most a day ago), or, before
    the first plan, a ranking kept for an hour (ranking the catalog is too costly for every
    visit of the home page).
    """
    recommendations = plan_course_recommendations(student=request.user, school=school)
    if recommendations is None:
        key = f"personalization:recommendations:{request.user.pk}:{school.pk}"
        recommendations = cache.get(key)
        if recommendations is None:
            recommendations = course_recommendations(
                student=request.user, limit=RECOMMENDATIONS_ON_PANEL, school=school
            )
            cache.set(key, recommendations, RECOMMENDATIONS_CACHE_SECONDS)
    return {
        "recommendations": recommendations[:RECOMMENDATIONS_ON_PANEL],
        "needs_onboarding": profile_needs_onboarding(student=request.user),
    }
