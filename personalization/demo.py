"""
Demo data for `seed_demo`: learner profiles, three weeks of practice for every demo student (so
the mastery charts have a history and some reviews fall due), a model trained on those answers,
and each student's plan with its recommendations.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.spec import answer_clean
from courses.models import Course
from lms.demo import DemoSchool
from personalization.models import LearnerProfile, StudyFormat
from personalization.services.learner import learner_refresh
from personalization.services.profile import profile_update
from personalization.services.training import interactions_from_database, model_train

# Days ago of each wave of practice; each student gets better from one to the next.
WAVES = (21, 12, 5)
FORMATS = ([StudyFormat.VIDEO], [StudyFormat.PRACTICE], [StudyFormat.READING, StudyFormat.PRACTICE])
LEVELS = ("middle", "high", "high", "undergraduate")


def _right_answer(kind: str, spec: dict) -> dict:
    match kind:
        case "single_choice":
            return {"choice": next(c["id"] for c in spec["choices"] if c.get("fraction", 0) >= 1)}
        case "multiple_choice":
            return {"choices": [c["id"] for c in spec["choices"] if c.get("fraction", 0) > 0]}
        case "true_false":
            return {"value": spec["answer"]}
        case "numeric":
            return {"value": str(spec["answers"][0]["value"]), "unit": spec.get("unit", "")}
        case "short_text":
            return {"text": spec["answers"][0]["text"]}
        case _:
            return {"order": [item["id"] for item in spec["items"]]}


def _practise(assessment: Assessment, student, skill: float, when, rng) -> None:
    attempt, _ = attempt_start(assessment=assessment, student=student, now=when)
    for response in attempt.responses.select_related("question", "version"):
        if rng.random() >= skill:
            continue  # left unanswered: counts as wrong
        kind, spec = response.question.kind, response.version.spec
        response_save(
            attempt=attempt,
            question_id=response.question_id,
            answer=answer_clean(kind, spec, _right_answer(kind, spec)),
            seq=1,
            now=when + timedelta(minutes=3),
        )
    attempt_submit(attempt=attempt, now=when + timedelta(minutes=8))


def _profile(demo: DemoSchool, n: int, student, courses: list[Course]) -> None:
    subjects = sorted({c.subject for c in courses})
    profile_update(
        student=student,
        education_level=LEVELS[n % len(LEVELS)],
        interest_subjects=[subjects[n % len(subjects)]],
        preferred_formats=FORMATS[n % len(FORMATS)],
        weekly_minutes=(60, 120, 180, 300)[n % 4],
        study_days=[1, 3, 5] if n % 2 else [2, 4, 6, 7],
        exam_date=timezone.localdate() + timedelta(days=18) if n % 5 == 0 else None,
        target_course=courses[n % len(courses)] if n % 5 == 0 else None,
        goal_text="Pass the end-of-term exam" if n % 5 == 0 else "",
    )


@transaction.atomic
def seed_demo_personalization(demo: DemoSchool) -> list[str]:
    if LearnerProfile.objects.filter(student__in=demo.students).exists():
        return []
    rng = random.Random(11)
    courses = list(Course.objects.filter(school=demo.school).order_by("code"))
    practice = list(
        Assessment.objects.filter(
            course__in=courses, kind=AssessmentKind.PRACTICE, personal_for__isnull=True
        ).order_by("course__code")
    )
    for n, student in enumerate(demo.students):
        _profile(demo, n, student, courses)
    now = timezone.now()
    for wave, days_ago in enumerate(WAVES):
        when = now - timedelta(days=days_ago)
        for n, student in enumerate(demo.students):
            skill = min(0.95, 0.3 + 0.5 * n / len(demo.students) + 0.12 * wave)
            for assessment in practice:
                if assessment.course.enrollments.filter(student=student).exists():
                    _practise(assessment, student, skill, when + timedelta(minutes=n), rng)
            learner_refresh(student_id=student.pk, now=when + timedelta(minutes=n + 10))
    result = model_train(
        sequences=interactions_from_database(), kind="classical", source="demo answers"
    )
    for student in demo.students:
        learner_refresh(student_id=student.pk)
    auc = result.version.metrics["auc"]
    return [
        f"  personalization: {len(demo.students)} profiles, {len(WAVES)} weeks of practice, "
        f"a classical model (validation AUC {auc:.3f}"
        f"{', active' if result.activated else ''}), plans for every student"
        if auc is not None
        else "  personalization: profiles, practice and plans (too little data to score a model)"
    ]
