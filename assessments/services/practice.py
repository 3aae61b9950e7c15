"""
Practice sets: personal assessments drawn from a course's question bank for the knowledge points
a student should practise (their study plan asks for them). Only that student sees one; it never
counts towards a grade and may be taken again and again.
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import (
    Assessment,
    AssessmentKind,
    DrawRule,
    GradingMethod,
    ReviewPolicy,
    Selection,
)
from courses.content import render_markdown
from courses.models import Course, KnowledgePoint
from lms.models import User

TITLE_MAX = 200


def _title(points: Sequence[KnowledgePoint]) -> str:
    title = _("Practice: %(points)s") % {"points": ", ".join(p.name for p in points)}
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


@transaction.atomic
def practice_set_save(
    *,
    student: User,
    course: Course,
    draws: Sequence[tuple[KnowledgePoint, int]],
    assessment: Assessment | None = None,
) -> Assessment:
    """
    The student's practice set of the course, drawing per (knowledge point, count) of `draws`
    that many questions: one set per student and course, made the first time and given new
    rules after (attempts already started keep the questions they drew). The caller checks the
    bank holds enough questions (`practice_question_counts`).
    """
    points = [point for point, _count in draws]
    if assessment is None:
        assessment = Assessment.objects.filter(
            course=course, personal_for=student, kind=AssessmentKind.PRACTICE
        ).first()
    if assessment is None:
        assessment = Assessment(
            course=course,
            personal_for=student,
            kind=AssessmentKind.PRACTICE,
            selection=Selection.RANDOM,
            attempts_allowed=0,
            grading_method=GradingMethod.HIGHEST,
            review_policy=ReviewPolicy.IMMEDIATELY,
            shuffle_choices=True,
            is_published=True,
            instructions=_("Made for you by your study plan. Take it as often as you like."),
        )
    assessment.title = _title(points)
    assessment.instructions_html = render_markdown(assessment.instructions)
    assessment.full_clean()
    assessment.save()
    assessment.draw_rules.all().delete()
    DrawRule.objects.bulk_create(
        DrawRule(assessment=assessment, knowledge_point=point, count=count, position=i)
        for i, (point, count) in enumerate(draws)
    )
    return assessment
