"""
Taking an assessment: start, autosave, submit (with grading), auto-submit at the deadline, and
regrading. The server's clock decides every deadline.

Locking: autosaves and the submit of one attempt take the attempt's row lock
(`SELECT … FOR NO KEY UPDATE`), so an answer is either saved before the grading reads it or
refused after; two submits of one attempt grade it once.
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.grading import grade
from assessments.models import (
    Assessment,
    Attempt,
    AttemptStatus,
    Question,
    Response,
    Selection,
)
from assessments.selectors import accommodation_summary
from assessments.signals import attempt_submitted, attempts_regraded, send_in_savepoint
from assessments.spec import answer_clean
from courses.models import Enrollment, EnrollmentStatus
from lms.exceptions import ApplicationError
from lms.models import User
from lms.services import event_send_on_commit

# Saves and submits this late are still on time: the request left the browser before the deadline.
GRACE = timedelta(seconds=10)
MAX_SEQ = 2**62
_CENT = Decimal("0.01")


def assessment_group_name(assessment_id: int) -> str:
    return f"assessment.{assessment_id}"


def _results_changed(attempt: Attempt) -> None:
    """Tell the assessment's live results page (consumers.AssessmentResultsConsumer)."""
    event_send_on_commit(
        group=assessment_group_name(attempt.assessment_id),
        event="results.changed",
        payload={"attempt": attempt.pk, "student": attempt.student_id, "status": attempt.status},
    )


def _deadline(assessment: Assessment, started_at: datetime, extra_minutes: int) -> datetime | None:
    """Start + time limit (+ extra time), but never past the close (moved by the extra time)."""
    candidates = []
    if assessment.time_limit_minutes:
        limit = assessment.time_limit_minutes + extra_minutes
        candidates.append(started_at + timedelta(minutes=limit))
    if assessment.closes_at:
        candidates.append(assessment.closes_at + timedelta(minutes=extra_minutes))
    return min(candidates) if candidates else None


def _draw(assessment: Assessment, rng: random.Random) -> list[Question]:
    if assessment.selection == Selection.FIXED:
        return [
            item.question for item in assessment.items.select_related("question__current_version")
        ]
    chosen: list[Question] = []
    for rule in assessment.draw_rules.select_related("knowledge_point"):
        pool = Question.objects.filter(
            course_id=assessment.course_id,
            is_archived=False,
            difficulty__gte=rule.difficulty_min,
            difficulty__lte=rule.difficulty_max,
        ).exclude(pk__in=[q.pk for q in chosen])
        if rule.knowledge_point_id:
            pool = pool.filter(knowledge_points=rule.knowledge_point_id)
        pool = list(pool.select_related("current_version").order_by("pk"))
        if len(pool) < rule.count:
            raise ApplicationError(
                _(
                    "The question bank has too few questions for this assessment; "
                    "ask your teacher to check it."
                ),
                code="bank_too_small",
                status=409,
            )
        chosen.extend(rng.sample(pool, rule.count))
    return chosen


def _option_order(question: Question, rng: random.Random, shuffle: bool) -> list[str]:
    spec = question.current_version.spec
    if question.kind == "ordering":
        # Always shown out of order: the stored order is the answer.
        ids = [item["id"] for item in spec["items"]]
        shown = ids[:]
        while shown == ids:
            rng.shuffle(shown)
        return shown
    ids = [choice["id"] for choice in spec.get("choices", [])]
    if shuffle:
        rng.shuffle(ids)
    return ids


def _require_enrolled(assessment: Assessment, student: User) -> None:
    enrolled = Enrollment.objects.filter(
        course_id=assessment.course_id, student=student, status=EnrollmentStatus.ACTIVE
    ).exists()
    if not enrolled:
        raise ApplicationError(
            _("Only students enrolled in the course can take this assessment."),
            code="not_enrolled",
            status=403,
        )
    if assessment.personal_for_id not in (None, student.pk):
        raise ApplicationError(
            _("This practice set belongs to another student."), code="not_yours", status=403
        )


def attempt_start(
    *, assessment: Assessment, student: User, now: datetime | None = None
) -> tuple[Attempt, bool]:
    """
    (attempt, created): the student's open attempt, or a new one. Idempotent: starting twice
    (two tabs, a retry) returns the same attempt with the same questions and deadline.
    """
    try:
        return _attempt_start(assessment=assessment, student=student, now=now)
    except IntegrityError:
        # A concurrent start of the same student won the race; resume theirs.
        open_attempt = Attempt.objects.filter(
            assessment=assessment, student=student, status=AttemptStatus.IN_PROGRESS
        ).first()
        if open_attempt is None:
            raise
        return open_attempt, False


@transaction.atomic
def _attempt_start(
    *, assessment: Assessment, student: User, now: datetime | None
) -> tuple[Attempt, bool]:
    now = now or timezone.now()
    open_attempt = Attempt.objects.filter(
        assessment=assessment, student=student, status=AttemptStatus.IN_PROGRESS
    ).first()
    if open_attempt is not None:
        return open_attempt, False
    if not assessment.is_published:
        raise ApplicationError(_("This assessment is not open."), code="not_open", status=409)
    _require_enrolled(assessment, student)
    extra_minutes, extra_attempts = accommodation_summary(assessment=assessment, user=student)
    if assessment.opens_at and now < assessment.opens_at:
        raise ApplicationError(
            _("This assessment has not opened yet."), code="not_open", status=409
        )
    if assessment.closes_at and now >= assessment.closes_at + timedelta(minutes=extra_minutes):
        raise ApplicationError(_("This assessment has closed."), code="closed", status=409)
    done = (
        Attempt.objects.filter(assessment=assessment, student=student).aggregate(
            last=Max("number")
        )["last"]
        or 0
    )
    if assessment.attempts_allowed and done >= assessment.attempts_allowed + extra_attempts:
        raise ApplicationError(
            _("You have used all your attempts at this assessment."), code="no_attempts", status=409
        )
    number = done + 1
    # The same student, assessment and attempt number always draw and shuffle the same way.
    rng = random.Random(f"{assessment.pk}:{student.pk}:{number}")
    questions = _draw(assessment, rng)
    if not questions:
        raise ApplicationError(
            _("This assessment has no questions yet."), code="no_questions", status=409
        )
    if assessment.shuffle_questions:
        rng.shuffle(questions)
    attempt = Attempt.objects.create(
        assessment=assessment,
        student=student,
        number=number,
        started_at=now,
        deadline=_deadline(assessment, now, extra_minutes),
        max_score=sum(q.current_version.points for q in questions),
    )
    Response.objects.bulk_create(
        Response(
            attempt=attempt,
            question=question,
            version=question.current_version,
            position=position,
            points=question.current_version.points,
            option_order=_option_order(question, rng, assessment.shuffle_choices),
        )
        for position, question in enumerate(questions)
    )
    _results_changed(attempt)
    return attempt, True


def _require_open(attempt: Attempt, now: datetime) -> None:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ApplicationError(
            _("This attempt has been submitted; answers can no longer change."),
            code="attempt_submitted",
            status=409,
        )
    if attempt.deadline and now > attempt.deadline + GRACE:
        raise ApplicationError(
            _("Time is up: answers given after the deadline are not saved."),
            code="deadline_passed",
            status=409,
        )


def _locked_attempt(attempt: Attempt, student: User | None) -> Attempt:
    """
    The attempt's row under lock (call inside `transaction.atomic`); only `attempt.pk` is read.
    With `student`, only that student's attempt: the API hands over the id from the URL and
    the lock doubles as the ownership check (no second read of the row).
    """
    attempts = Attempt.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "assessment"
    )
    if student is not None:
        attempts = attempts.filter(student=student)
    found = attempts.filter(pk=attempt.pk).first()
    if found is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return found


@transaction.atomic
def response_save(
    *,
    attempt: Attempt,
    question_id: int,
    answer,
    seq: int,
    student: User | None = None,
    now: datetime | None = None,
) -> Response:
    """
    Save one answer (None clears it). `seq` orders the saves of one question: a save whose seq is
    not above the stored one changes nothing and returns what is stored (a replay or a retry).
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < MAX_SEQ:
        raise ValidationError({"seq": _("seq must be a positive whole number.")})
    attempt = _locked_attempt(attempt, student)
    _require_open(attempt, now or timezone.now())
    response = (
        Response.objects.select_related("version", "question")
        .filter(attempt=attempt, question_id=question_id)
        .first()
    )
    if response is None:
        raise ApplicationError(
            _("This question is not part of your attempt."), code="not_in_attempt", status=404
        )
    cleaned = (
        None
        if answer is None
        else answer_clean(response.question.kind, response.version.spec, answer)
    )
    if seq <= response.answer_seq:
        return response
    response.answer, response.answer_seq, response.answered_at = cleaned, seq, timezone.now()
    response.save(update_fields=["answer", "answer_seq", "answered_at"])
    return response


def _grade_responses(responses: Iterable[Response]) -> Decimal:
    """Grade each response and store its credit; returns the total score."""
    total = Decimal(0)
    by_result: dict[tuple[Decimal, Decimal], list[int]] = defaultdict(list)
    for response in responses:
        result = grade(response.question.kind, response.version.spec, response.answer)
        response.fraction = result.fraction
        response.score = (response.points * result.fraction).quantize(_CENT, ROUND_HALF_UP)
        total += response.score
        by_result[response.fraction, response.score].append(response.pk)
    # One UPDATE per distinct result (a handful per attempt): `bulk_update` builds a CASE per
    # row and field, and measured ~20% more server CPU per submit in bench/exam_rush.py.
    for (fraction, score), ids in by_result.items():
        Response.objects.filter(pk__in=ids).update(fraction=fraction, score=score)
    return total


@transaction.atomic
def attempt_submit(
    *,
    attempt: Attempt,
    student: User | None = None,
    auto: bool = False,
    now: datetime | None = None,
) -> Attempt:
    """
    Grade and close the attempt with what was saved (with `student`: only that student's).
    Idempotent: a submitted attempt comes back as it is. Submitting past the deadline closes it
    the same way the auto-submit would (with the answers saved in time), marked auto-submitted.
    """
    attempt = _locked_attempt(attempt, student)
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    now = now or timezone.now()
    late = bool(attempt.deadline and now > attempt.deadline + GRACE)
    # Prefetched rather than read apart, so the review of the result (selectors.attempt_review)
    # reuses these graded responses instead of reading them again.
    prefetch_related_objects(
        [attempt],
        Prefetch("responses", queryset=Response.objects.select_related("version", "question")),
    )
    attempt.score = _grade_responses(attempt.responses.all())
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = min(now, attempt.deadline + GRACE) if late else now
    attempt.auto_submitted = auto or late
    attempt.save(update_fields=["score", "status", "submitted_at", "auto_submitted", "updated_at"])
    payload = {
        "attempt_id": attempt.pk,
        "student_id": attempt.student_id,
        "assessment_id": attempt.assessment_id,
        "course_id": attempt.assessment.course_id,
    }
    # Inside the transaction: a listener's outbox row commits with the grade or not at all.
    send_in_savepoint(attempt_submitted, sender=Attempt, **payload)
    _results_changed(attempt)
    return attempt


def attempts_expired_submit(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Submit attempts whose deadline (plus grace) has passed; returns their ids."""
    now = now or timezone.now()
    due = list(
        Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline__lt=now - GRACE)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    for attempt_id in due:
        attempt_submit(attempt=Attempt(pk=attempt_id), auto=True, now=now)
    return due


@transaction.atomic
def question_regrade(*, question: Question, assessment: Assessment | None = None) -> list[int]:
    """
    Grade every submitted answer to the question again against its current version (after a
    correction), and update the attempts' scores. Answers that no longer fit the corrected
    question (a removed choice) earn nothing. Returns the ids of the attempts regraded.
    """
    responses = Response.objects.select_related("question").filter(
        question=question, attempt__status=AttemptStatus.SUBMITTED
    )
    if assessment is not None:
        responses = responses.filter(attempt__assessment=assessment)
    version = question.current_version
    changed = []
    for response in responses.select_for_update(of=("self",)):
        response.version = version
        response.points = version.points
        try:
            response.answer = (
                None
                if response.answer is None
                else answer_clean(question.kind, version.spec, response.answer)
            )
        except ValidationError:
            response.answer = None
        changed.append(response)
    _grade_responses(changed)
    Response.objects.bulk_update(changed, ["version", "points", "answer"])
    attempt_ids = sorted({response.attempt_id for response in changed})
    for attempt in Attempt.objects.select_for_update().filter(pk__in=attempt_ids):
        totals = attempt.responses.aggregate(score=Sum("score"), max_score=Sum("points"))
        attempt.score, attempt.max_score = totals["score"] or 0, totals["max_score"] or 0
        attempt.save(update_fields=["score", "max_score", "updated_at"])
        _results_changed(attempt)
    send_in_savepoint(
        attempts_regraded, sender=Attempt, attempt_ids=attempt_ids, course_id=question.course_id
    )
    return attempt_ids
