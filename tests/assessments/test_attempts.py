import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assessments.models import Attempt, AttemptStatus, QuestionVersion, Response, Selection
from assessments.selectors import attempt_review, attempt_view
from assessments.services.attempts import (
    GRACE,
    attempt_start,
    attempt_submit,
    attempts_expired_submit,
    question_regrade,
    response_save,
)
from assessments.services.authoring import (
    DrawRuleSpec,
    accommodation_set,
    assessment_set_draw_rules,
    assessment_update,
)
from assessments.services.questions import question_update
from assessments.signals import attempt_submitted
from lms.exceptions import ApplicationError
from lms.models import Role
from tests.assessments.conftest import QUESTIONS, make_question
from tests.factories import EnrollmentFactory, member

pytestmark = pytest.mark.django_db


def _answer_all(attempt, *, right: bool) -> None:
    for response in attempt.responses.select_related("question"):
        _, good, bad = QUESTIONS[response.question.kind]
        response_save(
            attempt=attempt, question_id=response.question_id, answer=good if right else bad, seq=1
        )


class _Received:
    def __init__(self):
        self.calls = []

    def __call__(self, sender, **kwargs):
        self.calls.append(kwargs)


@pytest.fixture
def received():
    receiver = _Received()
    attempt_submitted.connect(receiver, dispatch_uid="test-received")
    yield receiver
    attempt_submitted.disconnect(dispatch_uid="test-received")


def test_start_creates_the_questions_and_starting_again_resumes(exam_world):
    # given
    student, assessment = exam_world["student"], exam_world["assessment"]
    # when
    attempt, created = attempt_start(assessment=assessment, student=student)
    again, created_again = attempt_start(assessment=assessment, student=student)
    # then
    assert created
    assert not created_again
    assert again.pk == attempt.pk
    assert attempt.responses.count() == 6
    assert attempt.max_score == 6
    assert attempt.deadline is None


def test_a_student_not_enrolled_cannot_start(exam_world):
    classmate = exam_world["a"]["classmate"]
    with pytest.raises(ApplicationError, match="enrolled") as refused:
        attempt_start(assessment=exam_world["assessment"], student=classmate)
    assert refused.value.status == 403
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [(timedelta(hours=1), None, "not opened yet"), (None, -timedelta(minutes=1), "closed")],
)
def test_start_outside_the_window_is_refused(exam_world, opens, closes, message):
    # given
    now = timezone.now()
    assessment = exam_world["assessment"]
    assessment_update(
        assessment=assessment,
        opens_at=now + opens if opens else None,
        closes_at=now + closes if closes else None,
    )
    # then
    with pytest.raises(ApplicationError, match=message):
        attempt_start(assessment=assessment, student=exam_world["student"])


def test_attempts_are_limited_and_extra_attempts_lift_the_limit(exam_world):
    # given two attempts allowed, both used
    student, assessment = exam_world["student"], exam_world["assessment"]
    for _ in range(2):
        attempt_submit(attempt=attempt_start(assessment=assessment, student=student)[0])
    with pytest.raises(ApplicationError, match="used all your attempts"):
        attempt_start(assessment=assessment, student=student)
    # when the student's classroom gets one more
    accommodation_set(
        assessment=assessment,
        classroom=exam_world["a"]["classroom"],
        extra_minutes=0,
        extra_attempts=1,
    )
    # then
    attempt, created = attempt_start(assessment=assessment, student=student)
    assert created
    assert attempt.number == 3


def test_deadline_is_the_time_limit_plus_extra_time_but_not_past_the_close(exam_world):
    # given a 30-minute test closing in 40 minutes; the student has 20 extra minutes
    now = timezone.now()
    student, assessment = exam_world["student"], exam_world["assessment"]
    assessment_update(
        assessment=assessment, time_limit_minutes=30, closes_at=now + timedelta(minutes=40)
    )
    accommodation_set(assessment=assessment, student=student, extra_minutes=20, extra_attempts=0)
    # when
    attempt, _ = attempt_start(assessment=assessment, student=student, now=now)
    # then: 30 + 20 = 50 minutes, but the close (moved by the extra time) is at 60
    assert attempt.deadline == now + timedelta(minutes=50)
    # and a classmate without accommodation starting 20 minutes later is cut by the close
    classmate = exam_world["a"]["classmate"]
    EnrollmentFactory(student=classmate, course=assessment.course)
    later = now + timedelta(minutes=20)
    theirs, _ = attempt_start(assessment=assessment, student=classmate, now=later)
    assert theirs.deadline == now + timedelta(minutes=40)


def test_autosave_keeps_the_latest_save_by_sequence(exam_world):
    # given
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    question = exam_world["questions"]["single_choice"]
    # when saves arrive out of order (a replay from an offline queue)
    response_save(attempt=attempt, question_id=question.pk, answer={"choice": "c"}, seq=3)
    stored = response_save(attempt=attempt, question_id=question.pk, answer={"choice": "b"}, seq=2)
    # then the later save stands
    assert stored.answer == {"choice": "c"}
    assert Response.objects.get(attempt=attempt, question=question).answer_seq == 3


@pytest.mark.parametrize(
    ("question_key", "answer", "seq", "error"),
    [
        ("single_choice", {"choice": "nope"}, 1, ValidationError),
        ("single_choice", {"choice": "a"}, 0, ValidationError),
        ("single_choice", {"choice": "a"}, True, ValidationError),
        ("numeric", {"value": "1e999"}, 1, ValidationError),
        ("short_text", {"text": "x" * 5000}, 1, ValidationError),
        ("ordering", {"order": ["1", "1", "2"]}, 1, ValidationError),
    ],
)
def test_malformed_saves_are_refused_and_change_nothing(
    exam_world, question_key, answer, seq, error
):
    # given
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    question = exam_world["questions"][question_key]
    # when / then
    with pytest.raises(error):
        response_save(attempt=attempt, question_id=question.pk, answer=answer, seq=seq)
    stored = Response.objects.get(attempt=attempt, question=question)
    assert stored.answer is None
    assert stored.answer_seq == 0


def test_a_question_outside_the_attempt_is_refused(exam_world):
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    stranger = make_question(exam_world["course"])
    with pytest.raises(ApplicationError, match="not part of your attempt") as refused:
        response_save(attempt=attempt, question_id=stranger.pk, answer={"choice": "a"}, seq=1)
    assert refused.value.status == 404


def test_saves_after_the_deadline_are_refused_but_the_grace_period_is_honoured(exam_world):
    # given a 10-minute attempt
    now = timezone.now()
    assessment_update(assessment=exam_world["assessment"], time_limit_minutes=10)
    attempt, _ = attempt_start(
        assessment=exam_world["assessment"], student=exam_world["student"], now=now
    )
    question = exam_world["questions"]["true_false"]
    # when a save arrives just inside the grace period
    inside = attempt.deadline + GRACE - timedelta(seconds=1)
    response_save(
        attempt=attempt, question_id=question.pk, answer={"value": True}, seq=1, now=inside
    )
    # then it counts; one after it does not
    with pytest.raises(ApplicationError, match="Time is up") as refused:
        response_save(
            attempt=attempt,
            question_id=question.pk,
            answer={"value": False},
            seq=2,
            now=attempt.deadline + GRACE + timedelta(seconds=1),
        )
    assert refused.value.status == 409
    assert Response.objects.get(attempt=attempt, question=question).answer == {"value": True}


def test_submit_grades_every_type_and_is_idempotent(
    exam_world, django_capture_on_commit_callbacks, received
):
    # given all six answered right
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    _answer_all(attempt, right=True)
    # when submitted twice
    with django_capture_on_commit_callbacks(execute=True):
        first = attempt_submit(attempt=attempt)
    with django_capture_on_commit_callbacks(execute=True):
        second = attempt_submit(attempt=attempt)
    # then
    assert first.status == AttemptStatus.SUBMITTED
    assert first.score == Decimal("6.00")
    assert (second.score, second.submitted_at) == (first.score, first.submitted_at)
    assert [call["attempt_id"] for call in received.calls] == [attempt.pk]
    assert received.calls[0]["course_id"] == exam_world["course"].pk


def test_wrong_answers_earn_nothing_and_saving_after_submit_is_refused(exam_world):
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    _answer_all(attempt, right=False)
    attempt = attempt_submit(attempt=attempt)
    assert attempt.score == 0
    with pytest.raises(ApplicationError, match="submitted"):
        response_save(
            attempt=attempt,
            question_id=exam_world["questions"]["true_false"].pk,
            answer={"value": True},
            seq=9,
        )


def test_review_shows_answers_only_when_the_policy_allows(exam_world):
    # given a test whose answers are shown after it closes
    now = timezone.now()
    assessment = exam_world["assessment"]
    assessment_update(
        assessment=assessment, review_policy="after_close", closes_at=now + timedelta(hours=1)
    )
    attempt, _ = attempt_start(assessment=assessment, student=exam_world["student"])
    _answer_all(attempt, right=False)
    attempt = attempt_submit(attempt=attempt)
    # then before the close: the score, nothing else
    before = attempt_review(attempt=attempt, now=now)
    assert before["score"] == "0.00"
    assert before["questions"] == []
    assert not before["review_available"]
    # after the close: right answers and feedback
    after = attempt_review(attempt=attempt, now=now + timedelta(hours=2))
    single = next(q for q in after["questions"] if q["kind"] == "single_choice")
    assert single["right_answer"] == {"choice": "a"}
    assert single["feedback_html"] == ["<p>Check the sign.</p>"]


def test_the_attempt_view_never_carries_answer_keys(exam_world):
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    text = str(attempt_view(attempt=attempt))
    for secret in ("fraction", "feedback", "right_answer", "photosynthesis", "9.81", "tolerance"):
        assert secret not in text


def test_expired_attempts_are_auto_submitted_with_what_was_saved(exam_world, received):
    # given a 5-minute attempt with one right answer saved
    now = timezone.now()
    assessment_update(assessment=exam_world["assessment"], time_limit_minutes=5)
    attempt, _ = attempt_start(
        assessment=exam_world["assessment"], student=exam_world["student"], now=now
    )
    question = exam_world["questions"]["true_false"]
    response_save(attempt=attempt, question_id=question.pk, answer={"value": True}, seq=1)
    # when the sweep runs before and after the deadline
    assert attempts_expired_submit(now=now + timedelta(minutes=4)) == []
    swept = attempts_expired_submit(now=now + timedelta(minutes=5) + GRACE * 2)
    # then
    attempt.refresh_from_db()
    assert swept == [attempt.pk]
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.auto_submitted
    assert attempt.score == 1


def test_editing_an_answered_question_makes_a_new_version_and_old_attempts_keep_theirs(exam_world):
    # given an attempt that saw version 1 of the true/false question (answer: true)
    student, assessment = exam_world["student"], exam_world["assessment"]
    question = exam_world["questions"]["true_false"]
    attempt, _ = attempt_start(assessment=assessment, student=student)
    response_save(attempt=attempt, question_id=question.pk, answer={"value": True}, seq=1)
    # when the teacher flips the answer
    question_update(question=question, stem="Is it false?", spec={"answer": False})
    # then a new version exists, and the attempt is still graded against the old one
    question.refresh_from_db()
    assert question.current_version.number == 2
    assert QuestionVersion.objects.filter(question=question).count() == 2
    attempt = attempt_submit(attempt=attempt)
    assert Response.objects.get(attempt=attempt, question=question).score == 1
    # and a regrade applies the correction
    assert question_regrade(question=question) == [attempt.pk]
    attempt.refresh_from_db()
    assert attempt.score == 0
    assert Response.objects.get(attempt=attempt, question=question).version.number == 2


def test_editing_an_unanswered_question_changes_it_in_place(exam_world):
    question = make_question(exam_world["course"], "true_false")
    question_update(question=question, stem="Changed", spec={"answer": False})
    question.refresh_from_db()
    assert question.current_version.number == 1
    assert question.current_version.stem == "Changed"


def test_random_draws_are_stored_per_student_and_differ_between_students(exam_world):
    # given a bank of 8 questions on one knowledge point, 3 drawn per student
    course, point = exam_world["course"], exam_world["point"]
    for i in range(2):
        make_question(course, "true_false", title=f"Extra {i}", knowledge_points=[point])
    assessment = exam_world["assessment"]
    assessment_update(assessment=assessment, selection=Selection.RANDOM)
    assessment_set_draw_rules(
        assessment=assessment, rules=[DrawRuleSpec(count=3, knowledge_point=point)]
    )
    students = [exam_world["student"]]
    for i in range(9):
        student = member(course.school, Role.STUDENT, username=f"drawn{i}")
        EnrollmentFactory(student=student, course=course)
        students.append(student)
    # when
    draws = []
    for student in students:
        attempt, _ = attempt_start(assessment=assessment, student=student)
        shown = [q["question"] for q in attempt_view(attempt=attempt)["questions"]]
        again = [q["question"] for q in attempt_view(attempt=attempt)["questions"]]
        assert shown == again
        assert len(set(shown)) == 3
        draws.append(tuple(sorted(shown)))
    # then
    assert len(set(draws)) > 1


def test_draw_rules_the_bank_cannot_satisfy_are_refused(exam_world):
    with pytest.raises(ValidationError, match="only 6"):
        assessment_set_draw_rules(
            assessment=exam_world["assessment"],
            rules=[DrawRuleSpec(count=7, knowledge_point=exam_world["point"])],
        )


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_grade_once(exam_world, received):
    # given
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    _answer_all(attempt, right=True)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(attempt_submit(attempt=Attempt(pk=attempt.pk)))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert {(r.score, r.submitted_at) for r in results} == {
        (Decimal("6.00"), results[0].submitted_at)
    }
    assert len(received.calls) == 1


def test_a_failing_listener_never_undoes_a_submission(exam_world):
    # given a listener whose database write fails (a duplicate attempt number)
    def broken(sender, *, attempt_id, **kwargs):
        attempt = Attempt.objects.get(pk=attempt_id)
        Attempt.objects.create(
            assessment=attempt.assessment,
            student=attempt.student,
            number=attempt.number,
            started_at=attempt.started_at,
        )

    attempt_submitted.connect(broken, dispatch_uid="test-broken")
    try:
        attempt, _ = attempt_start(
            assessment=exam_world["assessment"], student=exam_world["student"]
        )
        _answer_all(attempt, right=True)
        # when
        with transaction.atomic():
            submitted = attempt_submit(attempt=attempt)
            # then the transaction is still usable, and the grade is kept
            assert Attempt.objects.filter(pk=attempt.pk).exists()
    finally:
        attempt_submitted.disconnect(dispatch_uid="test-broken")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == (AttemptStatus.SUBMITTED, submitted.score)
    assert Attempt.objects.filter(student=exam_world["student"]).count() == 1
