"""
Sections on a course page contributed by higher apps (assessments, live lectures). They register
in `AppConfig.ready()`, so the course page shows them without `courses` importing those apps.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from courses.models import Course


@dataclass(frozen=True)
class Section:
    template: str
    # Returns the section's context, or None to leave the section out for this user.
    context: Callable[[HttpRequest, Course, bool], dict | None]
    order: int


_sections: list[Section] = []


def register_course_section(
    *,
    template: str,
    context: Callable[[HttpRequest, Course, bool], dict | None],
    order: int = 50,
) -> None:
    if not any(s.template == template for s in _sections):
        _sections.append(Section(template=template, context=context, order=order))
        _sections.sort(key=lambda s: s.order)


@dataclass(frozen=True)
class RenderedSection:
    template: str
    data: dict


def sections_for(*, request: HttpRequest, course: Course, can_edit: bool) -> list[RenderedSection]:
    rendered = []
    for section in _sections:
        data = section.context(request, course, can_edit)
        if data is not None:
            rendered.append(RenderedSection(template=section.template, data=data))
    return rendered


@dataclass(frozen=True)
class EditorLink:
    label: str  # a lazy translation
    url_name: str  # reversed with the course's id


_editor_links: list[tuple[int, EditorLink]] = []


def register_editor_link(*, label: str, url_name: str, order: int = 50) -> None:
    """A link in the course editor's navigation to a higher app's page for the course."""
    if all(link.url_name != url_name for _order, link in _editor_links):
        _editor_links.append((order, EditorLink(label=label, url_name=url_name)))
        _editor_links.sort(key=lambda item: item[0])


def editor_links() -> list[EditorLink]:
    return [link for _order, link in _editor_links]
