"""The study plan's rules: what goes in, in which order, with which reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, Question
from assessments.selectors import assessment_list_for_student
from assessments.services.attempts import attempt_start
from courses.models import LessonProgress
from personalization.models import (
    ItemKind,
    ItemStatus,
    LearnerProfile,
    MasteryEstimate,
    PlanItem,
)
from personalization.selectors import plan_steps
from personalization.services.items import plan_item_set_status, plan_item_teacher_action
from personalization.services.learner import learner_refresh
from personalization.services.plan import MASTERED_AT, plan_rebuild, recall
from tests.factories import EnrollmentFactory
from tests.personalization.conftest import take, true_false


def _steps(plan):
    return {step.item.key: step for step in plan_steps(plan=plan, viewer=plan.student)}


def _refresh_after(world, answers):
    take(world["student"], world["test"], answers)
    return learner_refresh(student_id=world["student"].pk)


def test_a_weak_point_gets_a_review_with_its_reason_and_a_practice_set(plan_world):
    # when the student gets every Equations question wrong
    plan = _refresh_after(plan_world, [False, False, False, True])
    # then
    steps = _steps(plan)
    review = steps[f"review:kp:{plan_world['equations'].pk}"]
    estimate = MasteryEstimate.objects.get(knowledge_point=plan_world["equations"])
    assert review.item.kind == ItemKind.REVIEW
    assert f"{estimate.mastery:.2f}" in review.reason
    assert "Unit test 1" in review.reason
    assert "1.1" in review.reason  # the lesson that teaches it
    practice = steps[f"practice:course:{plan_world['course'].pk}"]
    assessment = practice.item.assessment
    assert assessment.personal_for == plan_world["student"]
    assert assessment.kind == AssessmentKind.PRACTICE
    assert assessment.is_published
    assert [r.knowledge_point_id for r in assessment.draw_rules.all()] == [
        plan_world["equations"].pk
    ]
    assert "4 questions" in practice.reason  # the bank holds four on Equations


def test_a_practice_set_is_seen_only_by_its_student(plan_world):
    # given
    plan = _refresh_after(plan_world, [False, False, False, False])
    practice = next(
        s for s in plan_steps(plan=plan, viewer=plan.student) if s.item.kind == ItemKind.PRACTICE
    )
    classmate = plan_world["a"]["classmate"]
    EnrollmentFactory(student=classmate, course=plan_world["course"])
    # then
    assert practice.item.assessment in assessment_list_for_student(user=plan_world["student"])
    assert practice.item.assessment not in assessment_list_for_student(user=classmate)


def test_the_next_lesson_waits_until_its_prerequisite_points_are_mastered(plan_world):
    # given lessons 1.1 and 1.2 completed, so that 2.1 (Quadratics, after Equations) is next
    student, lessons = plan_world["student"], plan_world["lessons"]
    for lesson in lessons[:2]:
        LessonProgress.objects.create(student=student, lesson=lesson, completed_at=timezone.now())
    lesson_key = f"lesson:{lessons[2].pk}"
    # when Equations is weak
    weak = _refresh_after(plan_world, [False, False, False, True])
    # then 2.1 is held back
    assert lesson_key not in _steps(weak)
    # when Equations is mastered
    for _ in range(2):
        mastered = _refresh_after(plan_world, [True, True, True, True])
    # then 2.1 is ready, and says why
    step = _steps(mastered)[lesson_key]
    assert step.item.kind == ItemKind.NEXT_LESSON
    assert step.item.reason_code == "ready"
    assert "Equations" in step.reason


def test_completed_lessons_close_their_steps(plan_world):
    # given lesson 1.1 is a next step
    plan = _refresh_after(plan_world, [True, True, True, True])
    key = f"lesson:{plan_world['lessons'][0].pk}"
    assert _steps(plan)[key].item.status == ItemStatus.OPEN
    # when the student completes it and the plan is rebuilt
    LessonProgress.objects.create(
        student=plan_world["student"], lesson=plan_world["lessons"][0], completed_at=timezone.now()
    )
    plan = plan_rebuild(student=plan_world["student"], trigger={"reason": "test"})
    # then
    assert PlanItem.objects.get(plan=plan, key=key).status == ItemStatus.DONE


def test_spaced_review_falls_due_as_recall_decays(plan_world):
    # given Equations mastered today
    for _ in range(2):
        plan = _refresh_after(plan_world, [True, True, True, True])
    key = f"spaced:kp:{plan_world['equations'].pk}"
    assert key not in _steps(plan)
    # when three weeks pass
    later = timezone.now() + timedelta(days=21)
    plan = plan_rebuild(student=plan_world["student"], trigger={"reason": "test"}, now=later)
    # then a spaced review is due, with the days and the recall in its reason
    step = _steps(plan)[key]
    assert step.item.kind == ItemKind.SPACED_REVIEW
    assert "21 days ago" in step.reason


def test_recall_decays_slower_after_more_correct_answers():
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    assert recall(0.9, 0, week_ago, now) < recall(0.9, 6, week_ago, now) < 0.9
    assert recall(0.9, 6, now, now) == pytest.approx(0.9)
    assert MASTERED_AT < 0.9


def test_a_dismissed_step_stays_dismissed_until_there_is_new_evidence(plan_world):
    # given a review step the student dismisses
    plan = _refresh_after(plan_world, [False, False, False, True])
    key = f"review:kp:{plan_world['equations'].pk}"
    item = PlanItem.objects.get(plan=plan, key=key)
    plan_item_set_status(item=item, status=ItemStatus.DISMISSED, student=plan_world["student"])
    # when the plan is rebuilt with nothing new
    plan_rebuild(student=plan_world["student"], trigger={"reason": "test"})
    # then
    assert PlanItem.objects.get(pk=item.pk).status == ItemStatus.DISMISSED
    # when a new test shows the point is still weak
    _refresh_after(plan_world, [False, False, False, True])
    # then the step is back
    assert PlanItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


def test_teachers_pins_survive_rebuilds_and_removed_steps_never_return(plan_world):
    # given
    plan = _refresh_after(plan_world, [False, False, False, True])
    teacher = plan_world["teacher"]
    review = PlanItem.objects.get(plan=plan, key=f"review:kp:{plan_world['equations'].pk}")
    practice = PlanItem.objects.get(plan=plan, kind=ItemKind.PRACTICE)
    lesson = PlanItem.objects.get(plan=plan, key=f"lesson:{plan_world['lessons'][0].pk}")
    # when the teacher pins the lesson and removes the review
    plan_item_teacher_action(item=lesson, action="pin", teacher=teacher)
    plan_item_teacher_action(item=review, action="remove", teacher=teacher)
    # and the student then gets everything right
    for _ in range(2):
        plan = _refresh_after(plan_world, [True, True, True, True])
    steps = _steps(plan)
    # then the pinned lesson leads the plan; the removed review stays removed
    first = min(
        (s for s in steps.values() if s.item.status == ItemStatus.OPEN),
        key=lambda s: (not s.item.pinned, s.item.position),
    )
    assert first.item.pk == lesson.pk
    assert steps[review.key].item.status == ItemStatus.REMOVED
    # the practice set is no longer called for
    assert not PlanItem.objects.filter(pk=practice.pk, status=ItemStatus.OPEN).exists()


def test_the_weekly_study_time_decides_what_fits_this_week(plan_world):
    # given a student with 15 minutes a week
    LearnerProfile.objects.create(student=plan_world["student"], weekly_minutes=15)
    # when
    plan = _refresh_after(plan_world, [False, False, False, False])
    # then the first steps fit, the rest wait
    steps = sorted(
        (s for s in plan_steps(plan=plan, viewer=plan.student) if s.item.kind != ItemKind.COURSE),
        key=lambda s: s.item.position,
    )
    fitting = [s for s in steps if s.item.within_budget]
    assert fitting
    assert sum(s.item.estimated_minutes for s in fitting) <= 15
    assert any(not s.item.within_budget for s in steps)


def test_preferring_practice_puts_practice_sets_first(plan_world):
    # given
    LearnerProfile.objects.create(student=plan_world["student"], preferred_formats=["practice"])
    # when
    plan = _refresh_after(plan_world, [False, False, False, False])
    # then
    first = min(plan_steps(plan=plan, viewer=plan.student), key=lambda s: s.item.position)
    assert first.item.kind == ItemKind.PRACTICE


def test_an_exam_soon_is_named_in_the_reason(plan_world):
    # given an exam in ten days for this course
    LearnerProfile.objects.create(
        student=plan_world["student"],
        exam_date=timezone.localdate() + timedelta(days=10),
        target_course=plan_world["course"],
    )
    # when
    plan = _refresh_after(plan_world, [False, False, False, True])
    # then
    review = _steps(plan)[f"review:kp:{plan_world['equations'].pk}"]
    assert "exam is in 10 days" in review.reason


def test_one_practice_set_per_course_stays_while_its_points_are_weak(plan_world):
    # given
    plan = _refresh_after(plan_world, [False, False, False, True])
    practice = PlanItem.objects.get(plan=plan, kind=ItemKind.PRACTICE)
    # when the student takes it, still getting everything wrong
    take(plan_world["student"], practice.assessment, [False] * 10)
    plan = learner_refresh(student_id=plan_world["student"].pk)
    # then the step stays, with the same set to take again (it draws afresh each time)
    practice.refresh_from_db()
    assert practice.status == ItemStatus.OPEN
    assert Assessment.objects.filter(personal_for=plan_world["student"]).count() == 1
    # when the student masters Equations
    for _ in range(3):
        _refresh_after(plan_world, [True, True, True, True])
    # then the step goes, and a later weakness brings back the same set
    assert not PlanItem.objects.filter(plan=plan, kind=ItemKind.PRACTICE).exists()
    for _ in range(4):
        plan = _refresh_after(plan_world, [False, False, False, True])
    again = PlanItem.objects.get(plan=plan, kind=ItemKind.PRACTICE)
    assert again.assessment_id == practice.assessment_id


def test_a_practice_set_never_asks_the_bank_for_more_than_it_holds(plan_world):
    # given three questions each testing both points (and nothing else on Quadratics)
    course = plan_world["course"]
    Question.objects.filter(course=course).update(is_archived=True)
    for i in range(3):
        question = true_false(course, plan_world["equations"], f"Both {i}")
        question.knowledge_points.add(plan_world["quadratics"])
    test = plan_world["test"]
    # when both points are weak
    take(plan_world["student"], test, [False] * 4)
    plan = learner_refresh(student_id=plan_world["student"].pk)
    # then the practice set can be started: its rules fit the bank
    practice = PlanItem.objects.get(plan=plan, kind=ItemKind.PRACTICE)
    attempt, _created = attempt_start(assessment=practice.assessment, student=plan_world["student"])
    assert attempt.responses.count() == 3
