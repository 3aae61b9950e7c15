"""The "may this user edit it, else 404" lookup of an assessment (of a course: courses.views)."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from assessments.models import Assessment
from assessments.selectors import assessment_list_editable


def editable_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    return get_object_or_404(
        assessment_list_editable(user=request.user).select_related("course__school"),
        pk=assessment_id,
    )
