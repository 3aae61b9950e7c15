"""
Sections on a course page, and links in its editor, contributed by higher apps (assessments,
live lectures). They register in `AppConfig.ready()`, so courses never imports those apps.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from courses.models import Course
from lms.registry import Registry

# Returns the section's context, or None to leave the section out for this user.
SectionContext = Callable[[HttpRequest, Course, bool], dict | None]


@dataclass(frozen=True)
class Section:
    template: str
    context: SectionContext


@dataclass(frozen=True)
class RenderedSection:
    template: str
    data: dict


@dataclass(frozen=True)
class EditorLink:
    label: str  # a lazy translation
    url_name: str  # reversed with the course's id


_sections: Registry[Section] = Registry()
_editor_links: Registry[EditorLink] = Registry()


def register_course_section(*, template: str, context: SectionContext, order: int = 50) -> None:
    _sections.add(Section(template=template, context=context), key=template, order=order)


def sections_for(*, request: HttpRequest, course: Course, can_edit: bool) -> list[RenderedSection]:
    rendered = []
    for section in _sections:
        data = section.context(request, course, can_edit)
        if data is not None:
            rendered.append(RenderedSection(template=section.template, data=data))
    return rendered


def register_editor_link(*, label: str, url_name: str, order: int = 50) -> None:
    """A link in the course editor's navigation to a higher app's page for the course."""
    _editor_links.add(EditorLink(label=label, url_name=url_name), key=url_name, order=order)


def editor_links() -> list[EditorLink]:
    return list(_editor_links)
