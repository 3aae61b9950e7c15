"""Writes that set assessments up: settings, their questions or draw rules, accommodations."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import (
    Accommodation,
    Assessment,
    AssessmentQuestion,
    DrawRule,
    Question,
    Selection,
)
from courses.content import render_markdown
from courses.models import Course, Enrollment, KnowledgePoint, Lesson, Module
from lms.models import Classroom, User

SETTINGS_FIELDS = (
    "title",
    "kind",
    "instructions",
    "module",
    "lesson",
    "opens_at",
    "closes_at",
    "time_limit_minutes",
    "attempts_allowed",
    "grading_method",
    "shuffle_questions",
    "shuffle_choices",
    "review_policy",
    "layout",
    "selection",
)
MAX_QUESTIONS = 500


def _check_place(course: Course, module: Module | None, lesson: Lesson | None) -> None:
    if module is not None and module.course_id != course.pk:
        raise ValidationError({"module": _("The module must belong to the assessment's course.")})
    if lesson is not None and lesson.module.course_id != course.pk:
        raise ValidationError({"lesson": _("The lesson must belong to the assessment's course.")})


# Dates outside these years are typing mistakes (and 9999-12-31 plus extra time overflows).
YEARS = range(2000, 2200)


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and value.year not in YEARS:
            raise ValidationError({name: _("Choose a date between the years 2000 and 2199.")})
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The assessment must close after it opens.")})


@transaction.atomic
def assessment_create(*, course: Course, created_by: User | None = None, **settings) -> Assessment:
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown assessment settings: {sorted(unknown)}")
    _check_place(course, settings.get("module"), settings.get("lesson"))
    _check_window(settings.get("opens_at"), settings.get("closes_at"))
    assessment = Assessment(course=course, created_by=created_by, **settings)
    assessment.instructions_html = render_markdown(assessment.instructions)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_update(*, assessment: Assessment, **settings) -> Assessment:
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown assessment settings: {sorted(unknown)}")
    if (
        "selection" in settings
        and settings["selection"] != assessment.selection
        and assessment.attempts.exists()
    ):
        raise ValidationError(
            {"selection": _("Students have started this assessment: its selection is fixed.")}
        )
    for name, value in settings.items():
        setattr(assessment, name, value)
    _check_place(assessment.course, assessment.module, assessment.lesson)
    _check_window(assessment.opens_at, assessment.closes_at)
    assessment.instructions_html = render_markdown(assessment.instructions)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_publish(*, assessment: Assessment, published: bool) -> Assessment:
    """Publish or unpublish; publishing needs questions (held against a concurrent removal)."""
    if published and not _has_questions(_locked(assessment)):
        raise ValidationError(_("Add questions before publishing the assessment."))
    assessment.is_published = published
    assessment.save(update_fields=["is_published", "updated_at"])
    return assessment


def _has_questions(assessment: Assessment) -> bool:
    if assessment.selection == Selection.FIXED:
        return assessment.items.exists()
    return assessment.draw_rules.exists()


def _locked(assessment: Assessment) -> Assessment:
    """
    The assessment's row, held until the transaction ends (call inside `transaction.atomic`), so
    changes to its questions or rules (and publishing) by two editors at once apply one after
    the other.
    """
    locked = Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
    if locked is None:
        raise ValidationError(_("This assessment has just been deleted."))
    return locked


def _fixed_list(assessment: Assessment) -> list[Question]:
    items = assessment.items.select_related("question").order_by("position", "pk")
    return [item.question for item in items]


def _questions_replace(assessment: Assessment, questions: Sequence[Question]) -> None:
    """Replace the fixed list (call while holding the assessment's row lock)."""
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(
            _("An assessment holds at most %(n)d questions.") % {"n": MAX_QUESTIONS}
        )
    if len({q.pk for q in questions}) != len(questions):
        raise ValidationError(_("A question is listed twice."))
    foreign = [q.pk for q in questions if q.course_id != assessment.course_id]
    if foreign:
        raise ValidationError(_("Questions must come from the course's own bank."))
    archived = [q.title for q in questions if q.is_archived]
    if archived:
        raise ValidationError(
            _("Archived questions cannot be added: %(titles)s.") % {"titles": ", ".join(archived)}
        )
    assessment.items.all().delete()
    AssessmentQuestion.objects.bulk_create(
        AssessmentQuestion(assessment=assessment, question=question, position=position)
        for position, question in enumerate(questions)
    )


@transaction.atomic
def assessment_set_questions(*, assessment: Assessment, questions: Sequence[Question]) -> None:
    """Replace the fixed list, in the order given. Attempts already started keep theirs."""
    _questions_replace(_locked(assessment), questions)


def _not_listed() -> ValidationError:
    return ValidationError(_("This question is not in the assessment's list."))


@transaction.atomic
def assessment_question_add(*, assessment: Assessment, question: Question) -> None:
    """Put the question at the end of the fixed list."""
    assessment = _locked(assessment)
    _questions_replace(assessment, [*_fixed_list(assessment), question])


@transaction.atomic
def assessment_question_remove(*, assessment: Assessment, question_id: int) -> None:
    assessment = _locked(assessment)
    questions = _fixed_list(assessment)
    kept = [q for q in questions if q.pk != question_id]
    if len(kept) == len(questions):
        raise _not_listed()
    _questions_replace(assessment, kept)


@transaction.atomic
def assessment_question_move(*, assessment: Assessment, question_id: int, offset: int) -> None:
    """Move the question `offset` places in the fixed list (-1: up one); the ends stay put."""
    assessment = _locked(assessment)
    questions = _fixed_list(assessment)
    ids = [q.pk for q in questions]
    if question_id not in ids:
        raise _not_listed()
    here = ids.index(question_id)
    there = here + offset
    if 0 <= there < len(questions):
        questions[here], questions[there] = questions[there], questions[here]
    _questions_replace(assessment, questions)


@dataclass(frozen=True)
class DrawRuleSpec:
    count: int
    knowledge_point: KnowledgePoint | None = None
    difficulty_min: int = 1
    difficulty_max: int = 5


def _rules_replace(assessment: Assessment, rules: Sequence[DrawRuleSpec]) -> None:
    """
    Replace the random-draw rules (call while holding the assessment's row lock); refused when
    the bank cannot satisfy them.
    """
    if sum(rule.count for rule in rules) > MAX_QUESTIONS:
        raise ValidationError(
            _("An assessment holds at most %(n)d questions.") % {"n": MAX_QUESTIONS}
        )
    made = []
    for position, rule in enumerate(rules):
        point = rule.knowledge_point
        if point is not None and point.course_id != assessment.course_id:
            raise ValidationError(_("Knowledge points must come from the assessment's course."))
        draw = DrawRule(
            assessment=assessment,
            knowledge_point=point,
            difficulty_min=rule.difficulty_min,
            difficulty_max=rule.difficulty_max,
            count=rule.count,
            position=position,
        )
        draw.full_clean(exclude=["assessment"])
        if draw.difficulty_min > draw.difficulty_max:
            raise ValidationError(_("The lowest difficulty must not be above the highest."))
        available = Question.objects.filter(
            course_id=assessment.course_id,
            is_archived=False,
            difficulty__gte=draw.difficulty_min,
            difficulty__lte=draw.difficulty_max,
        )
        if point is not None:
            available = available.filter(knowledge_points=point)
        found = available.count()
        if found < draw.count:
            raise ValidationError(
                _("Rule %(n)d asks for %(count)d questions but the bank has only %(found)d.")
                % {"n": position + 1, "count": draw.count, "found": found}
            )
        made.append(draw)
    assessment.draw_rules.all().delete()
    DrawRule.objects.bulk_create(made)


def _current_rules(assessment: Assessment) -> list[DrawRuleSpec]:
    return [
        DrawRuleSpec(
            count=rule.count,
            knowledge_point=rule.knowledge_point,
            difficulty_min=rule.difficulty_min,
            difficulty_max=rule.difficulty_max,
        )
        for rule in assessment.draw_rules.select_related("knowledge_point").order_by(
            "position", "pk"
        )
    ]


@transaction.atomic
def assessment_set_draw_rules(*, assessment: Assessment, rules: Sequence[DrawRuleSpec]) -> None:
    """Replace the random-draw rules; refused when the bank cannot satisfy them."""
    _rules_replace(_locked(assessment), rules)


@transaction.atomic
def assessment_draw_rule_add(*, assessment: Assessment, rule: DrawRuleSpec) -> None:
    """Add a rule after the others; refused when the bank cannot satisfy them all."""
    assessment = _locked(assessment)
    _rules_replace(assessment, [*_current_rules(assessment), rule])


@transaction.atomic
def assessment_draw_rule_remove(*, assessment: Assessment, position: int) -> None:
    """Remove the rule at `position` (1 for the first)."""
    assessment = _locked(assessment)
    rules = _current_rules(assessment)
    if not 1 <= position <= len(rules):
        raise ValidationError(_("There is no such draw rule."))
    _rules_replace(assessment, rules[: position - 1] + rules[position:])


@transaction.atomic
def accommodation_set(
    *,
    assessment: Assessment,
    extra_minutes: int,
    extra_attempts: int,
    student: User | None = None,
    classroom: Classroom | None = None,
) -> Accommodation | None:
    """Give a student or a classroom extra time and attempts; zero for both removes it."""
    if (student is None) == (classroom is None):
        raise ValidationError(_("Choose either a student or a classroom."))
    school_id = assessment.course.school_id
    if classroom is not None and classroom.school_id != school_id:
        raise ValidationError({"classroom": _("The classroom must be in the course's school.")})
    target = {"student": student} if student is not None else {"classroom": classroom}
    if not extra_minutes and not extra_attempts:
        Accommodation.objects.filter(assessment=assessment, **target).delete()
        return None
    if (
        student is not None
        and not Enrollment.objects.filter(course_id=assessment.course_id, student=student).exists()
    ):
        raise ValidationError({"student": _("The student is not enrolled in the course.")})
    accommodation = Accommodation.objects.filter(assessment=assessment, **target).first()
    accommodation = accommodation or Accommodation(assessment=assessment, **target)
    accommodation.extra_minutes, accommodation.extra_attempts = extra_minutes, extra_attempts
    accommodation.full_clean()
    accommodation.save()
    return accommodation
