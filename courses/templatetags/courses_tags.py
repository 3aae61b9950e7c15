from django import template
from django.urls import reverse

from courses.sections import editor_links
from courses.selectors import progress_percent

register = template.Library()


@register.simple_tag
def percent_of(part: int, whole: int) -> int:
    return progress_percent(part, whole)


@register.simple_tag
def course_editor_links(course) -> list[tuple[str, str]]:
    """(label, url) of the editor pages other apps add for this course (courses.sections)."""
    return [(link.label, reverse(link.url_name, args=[course.pk])) for link in editor_links()]
