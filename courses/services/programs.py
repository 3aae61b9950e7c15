"""Writes that build programs: ordered courses toward a goal."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import Course, Program, ProgramCourse
from courses.services.authoring import _next_position, _save_new, _update
from lms.models import School


@transaction.atomic
def program_create(
    *, school: School, title: str, audience: str, level: str, goal: str = ""
) -> Program:
    return _save_new(Program(school=school, title=title, audience=audience, level=level, goal=goal))


@transaction.atomic
def program_update(*, program: Program, **fields) -> Program:
    allowed = {"title", "goal", "audience", "level"}
    if set(fields) - allowed:
        raise TypeError(f"program_update() got unknown fields: {sorted(set(fields) - allowed)}")
    return _update(program, fields)


@transaction.atomic
def program_set_published(*, program: Program, published: bool) -> Program:
    if published and not program.steps.exists():
        raise ValidationError(_("Add at least one course before publishing the program."))
    drafts = program.steps.filter(course__is_published=False).values_list("course__code", flat=True)
    if published and drafts:
        raise ValidationError(
            _("Publish these courses first: %(codes)s.") % {"codes": ", ".join(drafts)}
        )
    program.is_published = published
    program.save(update_fields=["is_published", "updated_at"])
    return program


@transaction.atomic
def program_add_course(
    *, program: Program, course: Course, delivery_mode: str, expected_weeks: int
) -> ProgramCourse:
    if course.school_id != program.school_id:
        raise ValidationError(_("The course belongs to another school."))
    if program.steps.filter(course=course).exists():
        raise ValidationError(_("The course is already in the program."))
    return _save_new(
        ProgramCourse(
            program=program,
            course=course,
            delivery_mode=delivery_mode,
            expected_weeks=expected_weeks,
            position=_next_position(program.steps.all()),
        )
    )


@transaction.atomic
def program_remove_course(*, step: ProgramCourse) -> None:
    step.delete()
