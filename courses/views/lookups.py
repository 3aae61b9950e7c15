"""The "may this user edit it, else 404" lookup shared by every app's teacher pages."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from courses.models import Course
from courses.selectors import course_list_editable


def editable_course(request: HttpRequest, course_id: int) -> Course:
    """The course, when the signed-in user may change it (its teachers, its school's admins)."""
    return get_object_or_404(
        course_list_editable(user=request.user).select_related("school"), pk=course_id
    )
