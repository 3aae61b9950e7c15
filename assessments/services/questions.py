"""Writes to the question bank: questions, their versions, imports."""

import copy
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.formats import ParsedQuestion
from assessments.models import Question, QuestionVersion, Response
from assessments.selectors import question_is_answered
from assessments.spec import spec_clean
from courses.content import render_markdown
from courses.models import Course, KnowledgePoint, Tag
from courses.services.authoring import tag_list_get_or_create
from lms.models import User

MAX_STEM = 20_000
MAX_EXPLANATION = 20_000


def _render_spec(kind: str, spec: dict) -> dict:
    """The cleaned spec with each option's Markdown rendered beside it (`html`, `feedback_html`)."""
    rendered = copy.deepcopy(spec)
    for option in rendered.get("choices", []) + rendered.get("items", []):
        option["html"] = render_markdown(option["text"])
        if option.get("feedback"):
            option["feedback_html"] = render_markdown(option["feedback"])
    for option in rendered.get("answers", []):
        if option.get("feedback"):
            option["feedback_html"] = render_markdown(option["feedback"])
    if kind == "true_false":
        for key in ("feedback_true", "feedback_false"):
            if rendered[key]:
                rendered[f"{key}_html"] = render_markdown(rendered[key])
    return rendered


def _texts(stem: str, explanation: str) -> tuple[str, str]:
    stem, explanation = (stem or "").strip(), (explanation or "").strip()
    if not stem:
        raise ValidationError({"stem": _("Write the question.")})
    if len(stem) > MAX_STEM:
        raise ValidationError({"stem": _("The question is too long.")})
    if len(explanation) > MAX_EXPLANATION:
        raise ValidationError({"explanation": _("The explanation is too long.")})
    return stem, explanation


def _knowledge_points(course: Course, points: Iterable[KnowledgePoint]) -> list[KnowledgePoint]:
    points = list(points)
    if any(point.course_id != course.pk for point in points):
        raise ValidationError(
            {"knowledge_points": _("Knowledge points must come from the question's course.")}
        )
    return points


def _tags(course: Course, names: Iterable[str]) -> list[Tag]:
    """The school's tags of these names (created when new), via the courses app's service."""
    names = [name.strip() for name in names if name and name.strip()]
    if any(len(name) > 50 for name in names):
        raise ValidationError({"tags": _("A tag is at most 50 characters.")})
    return tag_list_get_or_create(school=course.school, names=names) if names else []


def _version_fields(
    kind: str, *, stem: str, spec: dict, explanation: str, points: Decimal | int
) -> dict:
    """A question version's content fields, with its Markdown rendered."""
    return {
        "stem": stem,
        "stem_html": render_markdown(stem),
        "spec": _render_spec(kind, spec),
        "explanation": explanation,
        "explanation_html": render_markdown(explanation),
        "points": Decimal(points),
    }


def _version_new(question: Question, fields: dict) -> QuestionVersion:
    last = question.versions.order_by("-number").values_list("number", flat=True).first()
    version = QuestionVersion(question=question, number=(last or 0) + 1, **fields)
    version.full_clean(exclude=["question"])
    version.save()
    return version


@transaction.atomic
def question_create(
    *,
    course: Course,
    kind: str,
    stem: str,
    spec: dict,
    title: str = "",
    explanation: str = "",
    points: Decimal | int = 1,
    difficulty: int = 3,
    knowledge_points: Sequence[KnowledgePoint] = (),
    tags: Iterable[str] = (),
    created_by: User | None = None,
) -> Question:
    stem, explanation = _texts(stem, explanation)
    spec = spec_clean(kind, spec)
    question = Question(
        school_id=course.school_id,
        course=course,
        kind=kind,
        title=(title or "").strip() or _title_from(stem),
        difficulty=difficulty,
        created_by=created_by,
    )
    question.full_clean(exclude=["current_version"])
    question.save()
    question.current_version = _version_new(
        question,
        _version_fields(kind, stem=stem, spec=spec, explanation=explanation, points=points),
    )
    question.save(update_fields=["current_version"])
    question.knowledge_points.set(_knowledge_points(course, knowledge_points))
    question.tags.set(_tags(course, tags))
    return question


def _title_from(stem: str) -> str:
    first_line = " ".join(stem.split())
    return first_line if len(first_line) <= 80 else first_line[:79] + "…"


@transaction.atomic
def question_update(
    *,
    question: Question,
    stem: str,
    spec: dict,
    title: str = "",
    explanation: str = "",
    points: Decimal | int = 1,
    difficulty: int = 3,
    knowledge_points: Sequence[KnowledgePoint] = (),
    tags: Iterable[str] = (),
) -> Question:
    """
    Change a question. Its current version is edited in place only while no attempt has shown
    it; otherwise the change becomes a new version, and attempts keep the one they saw (until a
    teacher regrades them, see `attempts.question_regrade`).
    """
    question = Question.objects.select_for_update().get(pk=question.pk)
    stem, explanation = _texts(stem, explanation)
    spec = spec_clean(question.kind, spec)
    fields = _version_fields(
        question.kind, stem=stem, spec=spec, explanation=explanation, points=points
    )
    if question_is_answered(question=question):
        question.current_version = _version_new(question, fields)
    else:
        current = question.current_version
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean(exclude=["question"])
        current.save(update_fields=[*fields])
    question.title = (title or "").strip() or _title_from(stem)
    question.difficulty = difficulty
    question.full_clean(exclude=["current_version"])
    question.save(update_fields=["title", "difficulty", "current_version", "updated_at"])
    question.knowledge_points.set(_knowledge_points(question.course, knowledge_points))
    question.tags.set(_tags(question.course, tags))
    return question


def question_archive(*, question: Question, archived: bool = True) -> Question:
    """Archived questions leave the bank's lists and random draws; attempts keep them."""
    question.is_archived = archived
    question.save(update_fields=["is_archived", "updated_at"])
    return question


@transaction.atomic
def question_import(
    *, course: Course, parsed: Sequence[ParsedQuestion], tags: Iterable[str], user: User
) -> list[Question]:
    """
    Create the parsed questions in the course's bank, all or none. A GIFT category becomes a
    tag (its last part), so a Moodle bank keeps its organisation.
    """
    created = []
    for item in parsed:
        category = item.category.rsplit("/", 1)[-1].strip()
        try:
            created.append(
                question_create(
                    course=course,
                    kind=item.kind,
                    title=item.title[:200],
                    stem=item.stem,
                    spec=item.spec,
                    explanation=item.explanation,
                    tags=[*tags, *([category[:50]] if category else [])],
                    created_by=user,
                )
            )
        except ValidationError as error:
            raise ValidationError(
                _("Line %(line)d: %(errors)s")
                % {"line": item.line, "errors": "; ".join(error.messages)}
            ) from error
    return created


def question_as_parsed(*, question: Question) -> ParsedQuestion:
    """The question's current version in the shape the exporters take."""
    version = question.current_version
    return ParsedQuestion(
        kind=question.kind,
        title=question.title,
        stem=version.stem,
        spec=version.spec,
        explanation=version.explanation,
        category="",
        line=0,
    )


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Delete a question nobody has answered and no assessment lists; otherwise archive it."""
    if Response.objects.filter(question=question).exists() or question.assessments.exists():
        raise ValidationError(
            _("This question is used by an assessment or has been answered: archive it instead.")
        )
    Question.objects.filter(pk=question.pk).update(current_version=None)
    question.delete()
