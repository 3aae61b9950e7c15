"""Writes that build courses: courses, modules, lessons, blocks and knowledge points."""

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Model, QuerySet
from django.utils.translation import gettext as _
from PIL import Image

from courses.content import render_code, render_markdown
from courses.graph import path_between
from courses.models import (
    BlockKind,
    ContentBlock,
    Course,
    KnowledgePoint,
    KnowledgePointPrerequisite,
    Lesson,
    Module,
    Tag,
)
from courses.selectors import school_teacher_list
from lms.models import Role, School, User
from lms.selectors import user_has_school_role

COURSE_FIELDS = (
    "code",
    "title",
    "description",
    "subject",
    "level",
    "is_published",
    "allows_self_enrollment",
    "starts_on",
    "ends_on",
    "cover_image",
)


def _outline_changed(course_id: int) -> None:
    """Call after any change to a course's outline: it invalidates the cached outline."""
    Course.objects.filter(pk=course_id).update(content_version=F("content_version") + 1)


def _next_position(queryset: QuerySet) -> int:
    last = queryset.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _save_new(instance: Model) -> Model:
    instance.full_clean()
    instance.save()
    return instance


def _update(instance: Model, fields: dict) -> Model:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save(update_fields=[*fields, "updated_at"])
    return instance


def tag_list_get_or_create(*, school: School, names: Iterable[str]) -> list[Tag]:
    """The school's tags with these names (case-insensitive), creating the missing ones."""
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag = Tag.objects.filter(school=school, name__iexact=name).first()
        tags.append(tag or _save_new(Tag(school=school, name=name)))
    return tags


def _require_teachers(school: School, teachers: Sequence[User]) -> None:
    known = set(
        school_teacher_list(school=school)
        .filter(pk__in=[t.pk for t in teachers])
        .values_list("pk", flat=True)
    )
    outsiders = [t.username for t in teachers if t.pk not in known]
    if outsiders:
        raise ValidationError(
            {
                "teachers": _("Not a teacher of this school: %(users)s.")
                % {"users": ", ".join(outsiders)}
            }
        )


@transaction.atomic
def course_create(
    *,
    school: School,
    code: str,
    title: str,
    subject: str,
    level: str,
    description: str = "",
    teachers: Sequence[User] = (),
    tags: Iterable[str] = (),
    is_published: bool = False,
    allows_self_enrollment: bool = True,
    starts_on: date | None = None,
    ends_on: date | None = None,
    cover_image=None,
    created_by: User | None = None,
) -> Course:
    """A new draft course; `created_by`, when a teacher of the school, is one of its teachers."""
    teachers = list(teachers)
    if (
        created_by is not None
        and created_by not in teachers
        and user_has_school_role(user=created_by, school=school, roles=(Role.TEACHER,))
    ):
        teachers.append(created_by)
    _require_teachers(school, teachers)
    course = _save_new(
        Course(
            school=school,
            code=code.strip(),
            title=title,
            subject=subject.strip(),
            level=level,
            description=description,
            description_html=render_markdown(description),
            is_published=is_published,
            allows_self_enrollment=allows_self_enrollment,
            starts_on=starts_on,
            ends_on=ends_on,
            cover_image=cover_image or "",
        )
    )
    course.teachers.set(teachers)
    course.tags.set(tag_list_get_or_create(school=school, names=tags))
    return course


@transaction.atomic
def course_update(
    *,
    course: Course,
    teachers: Sequence[User] | None = None,
    tags: Iterable[str] | None = None,
    **fields,
) -> Course:
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"course_update() got unknown fields: {sorted(unknown)}")
    if "description" in fields:
        fields["description_html"] = render_markdown(fields["description"])
    _update(course, fields)
    if teachers is not None:
        _require_teachers(course.school, teachers)
        course.teachers.set(teachers)
    if tags is not None:
        course.tags.set(tag_list_get_or_create(school=course.school, names=tags))
    return course


@transaction.atomic
def module_create(*, course: Course, title: str, description: str = "") -> Module:
    module = _save_new(
        Module(
            course=course,
            title=title,
            description=description,
            position=_next_position(course.modules.all()),
        )
    )
    _outline_changed(course.pk)
    return module


@transaction.atomic
def lesson_create(
    *,
    module: Module,
    title: str,
    estimated_minutes: int = 10,
    knowledge_points: Sequence[KnowledgePoint] = (),
) -> Lesson:
    lesson = _save_new(
        Lesson(
            module=module,
            title=title,
            estimated_minutes=estimated_minutes,
            position=_next_position(module.lessons.all()),
        )
    )
    lesson_set_knowledge_points(lesson=lesson, knowledge_points=knowledge_points)
    _outline_changed(module.course_id)
    return lesson


def lesson_set_knowledge_points(*, lesson: Lesson, knowledge_points: Sequence[KnowledgePoint]):
    course_id = lesson.module.course_id
    foreign = [kp.name for kp in knowledge_points if kp.course_id != course_id]
    if foreign:
        raise ValidationError(
            {
                "knowledge_points": _("Not a knowledge point of this course: %(names)s.")
                % {"names": ", ".join(foreign)}
            }
        )
    lesson.knowledge_points.set(knowledge_points)
    _outline_changed(course_id)


@transaction.atomic
def lesson_set_prerequisites(*, lesson: Lesson, prerequisites: Sequence[Lesson]) -> None:
    """Gate `lesson` behind other lessons of its course; refuses a cycle, naming it."""
    course_id = lesson.module.course_id
    Course.objects.select_for_update().get(pk=course_id)  # one prerequisite edit at a time
    for other in prerequisites:
        if other.module.course_id != course_id:
            raise ValidationError(
                {"prerequisites": _("“%(lesson)s” is in another course.") % {"lesson": other}}
            )
        if other.pk == lesson.pk:
            raise ValidationError({"prerequisites": _("A lesson cannot require itself.")})
    edges = list(
        Lesson.prerequisites.through.objects.filter(from_lesson__module__course_id=course_id)
        .exclude(from_lesson=lesson)
        .values_list("from_lesson_id", "to_lesson_id")
    )
    for other in prerequisites:
        path = path_between(edges, start=other.pk, goal=lesson.pk)
        if path:
            titles = dict(Lesson.objects.filter(pk__in=path).values_list("pk", "title"))
            cycle = " → ".join([lesson.title, *(titles[pk] for pk in path)])
            raise ValidationError(
                {"prerequisites": _("This would make a cycle: %(cycle)s.") % {"cycle": cycle}}
            )
    lesson.prerequisites.set(prerequisites)
    _outline_changed(course_id)


@transaction.atomic
def block_create(
    *,
    lesson: Lesson,
    kind: str,
    title: str = "",
    body: str = "",
    language: str = "",
    url: str = "",
    file=None,
    captions=None,
    alt_text: str = "",
) -> ContentBlock:
    block = ContentBlock(
        lesson=lesson,
        kind=kind,
        title=title,
        body=body,
        language=language,
        url=url,
        alt_text=alt_text,
        position=_next_position(lesson.blocks.all()),
    )
    if file is not None:
        block.file = file
    if captions is not None:
        block.captions = captions
    _validate_block(block)
    block.body_html = _block_html(block)
    return _save_new(block)


def _block_html(block: ContentBlock) -> str:
    if block.kind == BlockKind.TEXT:
        return render_markdown(block.body)
    if block.kind == BlockKind.CODE:
        return render_code(block.body, block.language)
    return ""


def _require_image(upload) -> None:
    """Refuse an "image" that Pillow cannot read (an HTML file renamed .png, say)."""
    try:
        with Image.open(upload) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError({"file": _("This file is not an image.")}) from error
    finally:
        upload.seek(0)


def _validate_block(block: ContentBlock) -> None:
    needs = {
        BlockKind.TEXT: bool(block.body.strip()),
        BlockKind.CODE: bool(block.body.strip()),
        BlockKind.VIDEO: bool(block.file or block.url),
        BlockKind.IMAGE: bool(block.file),
        BlockKind.FILE: bool(block.file),
    }
    messages = {
        BlockKind.TEXT: _("A text block needs some text."),
        BlockKind.CODE: _("A code example needs some code."),
        BlockKind.VIDEO: _("A video block needs an uploaded video or a video URL."),
        BlockKind.IMAGE: _("An image block needs an image file."),
        BlockKind.FILE: _("A file block needs a file."),
    }
    if block.kind in needs and not needs[block.kind]:
        raise ValidationError(messages[block.kind])
    unused = {
        BlockKind.TEXT: ("file", "url", "captions"),
        BlockKind.CODE: ("file", "url", "captions"),
        BlockKind.VIDEO: (),
        BlockKind.IMAGE: ("url", "captions"),
        BlockKind.FILE: ("url", "captions"),
    }.get(block.kind, ())
    extra = [name for name in unused if getattr(block, name)]
    if extra:
        raise ValidationError(
            _("A %(kind)s block does not take: %(fields)s.")
            % {"kind": block.get_kind_display().lower(), "fields": ", ".join(extra)}
        )
    if block.kind == BlockKind.IMAGE and block.file and not block.file._committed:
        _require_image(block.file)
    if block.kind == BlockKind.IMAGE and block.file and not block.alt_text.strip():
        raise ValidationError({"alt_text": _("Describe the image for students who cannot see it.")})


@transaction.atomic
def block_update(*, block: ContentBlock, **fields) -> ContentBlock:
    allowed = {"title", "body", "language", "url", "file", "captions", "alt_text"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"block_update() got unknown fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(block, name, value)
    _validate_block(block)
    block.body_html = _block_html(block)
    block.full_clean()
    block.save(update_fields=[*fields, "body_html", "updated_at"])
    return block


@transaction.atomic
def reorder(*, items: QuerySet, order: Sequence[int]) -> None:
    """
    Give the rows of `items` (the modules of a course, the lessons of a module, the blocks of a
    lesson) the positions of their ids in `order`, which must list each of them exactly once.
    """
    rows = {row.pk: row for row in items.select_for_update()}
    if sorted(order) != sorted(rows) or len(set(order)) != len(order):
        raise ValidationError(_("The new order must list every item exactly once."))
    if not rows:
        return
    for position, pk in enumerate(order):
        rows[pk].position = position
    items.model.objects.bulk_update(rows.values(), ["position"])
    first = next(iter(rows.values()))
    if isinstance(first, Module):
        _outline_changed(first.course_id)
    elif isinstance(first, Lesson):
        _outline_changed(first.module.course_id)


@transaction.atomic
def lesson_duplicate(*, lesson: Lesson) -> Lesson:
    """A copy of `lesson` (blocks, knowledge points, gates) placed right after it."""
    module = lesson.module
    Lesson.objects.filter(module=module, position__gt=lesson.position).update(
        position=F("position") + 1
    )
    lessons = [
        Lesson.objects.prefetch_related("knowledge_points", "prerequisites", "blocks").get(
            pk=lesson.pk
        )
    ]
    copy = _copy_lessons(lessons, into=module)[lesson.pk]
    copy.title = _("%(title)s (copy)") % {"title": lesson.title[: Lesson.TITLE_MAX_LENGTH - 10]}
    copy.position = lesson.position + 1
    copy.save(update_fields=["title", "position", "updated_at"])
    copy.prerequisites.set(lesson.prerequisites.all())
    _outline_changed(module.course_id)
    return copy


@transaction.atomic
def knowledge_point_create(*, course: Course, name: str, description: str = "") -> KnowledgePoint:
    return _save_new(KnowledgePoint(course=course, name=name.strip(), description=description))


@transaction.atomic
def knowledge_point_add_prerequisite(
    *, knowledge_point: KnowledgePoint, prerequisite: KnowledgePoint
) -> None:
    """
    Record that `knowledge_point` requires `prerequisite`. Both belong to the same school; an
    edge that would close a cycle is refused with a message naming the cycle.
    """
    school = knowledge_point.course.school
    if prerequisite.course.school_id != school.pk:
        raise ValidationError(_("A prerequisite must belong to the same school."))
    if prerequisite.pk == knowledge_point.pk:
        raise ValidationError(_("A knowledge point cannot require itself."))
    School.objects.select_for_update().get(pk=school.pk)  # one graph edit per school at a time
    edges = KnowledgePointPrerequisite.objects.filter(
        knowledge_point__course__school=school
    ).values_list("knowledge_point_id", "prerequisite_id")
    path = path_between(list(edges), start=prerequisite.pk, goal=knowledge_point.pk)
    if path:
        names = dict(KnowledgePoint.objects.filter(pk__in=path).values_list("pk", "name"))
        cycle = " → ".join([knowledge_point.name, *(names[pk] for pk in path)])
        raise ValidationError(
            _("This prerequisite would make a cycle: %(cycle)s.") % {"cycle": cycle}
        )
    KnowledgePointPrerequisite.objects.get_or_create(
        knowledge_point=knowledge_point, prerequisite=prerequisite
    )


@transaction.atomic
def knowledge_point_remove_prerequisite(
    *, knowledge_point: KnowledgePoint, prerequisite: KnowledgePoint
) -> None:
    KnowledgePointPrerequisite.objects.filter(
        knowledge_point=knowledge_point, prerequisite=prerequisite
    ).delete()


def item_move(*, items: QuerySet, item_id: int, offset: int) -> None:
    """Move one row of an ordered set (modules, lessons, blocks) up (-1) or down (+1)."""
    order = list(items.order_by("position", "pk").values_list("pk", flat=True))
    if item_id not in order:
        raise ValidationError(_("Unknown item."))
    index = order.index(item_id)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    reorder(items=items, order=order)


@transaction.atomic
def module_update(*, module: Module, title: str, description: str = "") -> Module:
    _update(module, {"title": title, "description": description})
    _outline_changed(module.course_id)
    return module


@transaction.atomic
def lesson_update(*, lesson: Lesson, title: str, estimated_minutes: int) -> Lesson:
    _update(lesson, {"title": title, "estimated_minutes": estimated_minutes})
    _outline_changed(lesson.module.course_id)
    return lesson


@transaction.atomic
def module_delete(*, module: Module) -> None:
    module.delete()
    _outline_changed(module.course_id)


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    course_id = lesson.module.course_id
    lesson.delete()
    _outline_changed(course_id)


@transaction.atomic
def block_delete(*, block: ContentBlock) -> None:
    block.delete()


@transaction.atomic
def knowledge_point_delete(*, knowledge_point: KnowledgePoint) -> None:
    knowledge_point.delete()
    _outline_changed(knowledge_point.course_id)


@transaction.atomic
def course_delete(*, course: Course) -> None:
    """Delete a course nobody has enrolled in; one with students is unpublished instead."""
    if course.enrollments.exists():
        raise ValidationError(
            _("Students are enrolled in this course: unpublish it instead of deleting it.")
        )
    course.delete()


@transaction.atomic
def course_set_published(*, course: Course, published: bool) -> Course:
    if published and not Lesson.objects.filter(module__course=course).exists():
        raise ValidationError(_("Add at least one lesson before publishing the course."))
    return _update(course, {"is_published": published})


@transaction.atomic
def knowledge_point_update(
    *, knowledge_point: KnowledgePoint, name: str, description: str = ""
) -> KnowledgePoint:
    _update(knowledge_point, {"name": name.strip(), "description": description})
    _outline_changed(knowledge_point.course_id)  # outlines show the names
    return knowledge_point


def _copy_lessons(
    lessons: Sequence[Lesson], *, into: Module, points: dict[int, KnowledgePoint] | None = None
) -> dict[int, Lesson]:
    """
    Copy lessons (blocks, knowledge-point tags, gates) into a module. `points` maps original
    knowledge points to their copies (a course copy); gates between copied lessons point at the
    copies. Returns the copies by original id.
    """
    copies: dict[int, Lesson] = {}
    for lesson in lessons:
        new = Lesson.objects.create(
            module=into,
            title=lesson.title,
            position=lesson.position,
            estimated_minutes=lesson.estimated_minutes,
        )
        new.knowledge_points.set(
            [(points or {}).get(kp.pk, kp) for kp in lesson.knowledge_points.all()]
        )
        ContentBlock.objects.bulk_create(
            [
                ContentBlock(
                    lesson=new,
                    kind=b.kind,
                    position=b.position,
                    title=b.title,
                    body=b.body,
                    body_html=b.body_html,
                    language=b.language,
                    file=b.file.name,
                    url=b.url,
                    captions=b.captions.name,
                    alt_text=b.alt_text,
                )
                for b in lesson.blocks.all()
            ]
        )
        copies[lesson.pk] = new
    return copies


def _copy_gates(lessons: Sequence[Lesson], copies: dict[int, Lesson]) -> None:
    for lesson in lessons:
        copies[lesson.pk].prerequisites.set(
            [copies.get(p.pk, p) for p in lesson.prerequisites.all()]
        )


def _lessons_of(module: Module) -> list[Lesson]:
    return list(
        module.lessons.order_by("position", "pk").prefetch_related(
            "knowledge_points", "prerequisites", "blocks"
        )
    )


@transaction.atomic
def module_duplicate(*, module: Module) -> Module:
    """
    A copy of `module` placed right after it: its lessons with their blocks and knowledge
    points; gates between lessons of the module point at the copies.
    """
    course = module.course
    Module.objects.filter(course=course, position__gt=module.position).update(
        position=F("position") + 1
    )
    title = _("%(title)s (copy)") % {"title": module.title[:190]}
    copy = _save_new(
        Module(
            course=course,
            title=title,
            description=module.description,
            position=module.position + 1,
        )
    )
    lessons = _lessons_of(module)
    _copy_gates(lessons, _copy_lessons(lessons, into=copy))
    _outline_changed(course.pk)
    return copy


@transaction.atomic
def course_duplicate(*, course: Course, code: str, title: str) -> Course:
    """
    A new draft course in the same school with everything of `course`: settings, teachers,
    tags, knowledge points and their prerequisites, modules, lessons, blocks and gates. No
    students: enrollments stay with the original.
    """
    copy = course_create(
        school=course.school,
        code=code,
        title=title,
        subject=course.subject,
        level=course.level,
        description=course.description,
        teachers=list(course.teachers.all()),
        tags=[tag.name for tag in course.tags.all()],
        allows_self_enrollment=course.allows_self_enrollment,
        cover_image=course.cover_image.name or None,
    )
    originals = list(course.knowledge_points.prefetch_related("prerequisites"))
    points = {
        kp.pk: KnowledgePoint.objects.create(course=copy, name=kp.name, description=kp.description)
        for kp in originals
    }
    KnowledgePointPrerequisite.objects.bulk_create(
        [
            KnowledgePointPrerequisite(
                knowledge_point=points[kp.pk], prerequisite=points.get(p.pk, p)
            )
            for kp in originals
            for p in kp.prerequisites.all()
        ]
    )
    all_lessons, copies = [], {}
    for module in course.modules.order_by("position", "pk"):
        new_module = _save_new(
            Module(
                course=copy,
                title=module.title,
                description=module.description,
                position=module.position,
            )
        )
        lessons = _lessons_of(module)
        copies.update(_copy_lessons(lessons, into=new_module, points=points))
        all_lessons += lessons
    _copy_gates(all_lessons, copies)
    _outline_changed(copy.pk)
    copy.refresh_from_db()
    return copy
