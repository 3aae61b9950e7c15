"""
Questions pushed to a lecture's viewers. A bank question becomes a one-question assessment of
kind `live`, and each answer an attempt of it, started, saved and submitted at once: graded by
the assessments app like any test, so it reaches the learner's mastery and plan.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Assessment, AssessmentKind, Attempt, Question, ReviewPolicy
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.services.authoring import (
    assessment_create,
    assessment_publish,
    assessment_set_questions,
    assessment_update,
)
from livestream.fanout import publish_on_commit
from livestream.models import Lecture, LectureState, LiveQuestion, LiveQuestionKind, PollVote
from livestream.selectors import live_question_reveal_view, live_question_view
from livestream.services.danmaku import has_control_characters
from lms.exceptions import ApplicationError
from lms.models import User

GRACE = timedelta(seconds=3)  # answers sent just before the timer ran out, still on the wire
MAX_POLL_OPTIONS = 6
MAX_OPTION_TEXT = 80


def _seconds(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 10 <= value <= 600:
        raise ValidationError(
            {"seconds": _("The time to answer is a whole number of seconds from 10 to 600.")}
        )
    return value


def _require_live(lecture: Lecture) -> None:
    if lecture.state != LectureState.LIVE:
        raise ApplicationError(
            _("Questions can only be pushed while the lecture is live."),
            code="not_live",
            status=409,
        )


def live_questions_close_open(*, lecture: Lecture, now: datetime) -> None:
    """Close the lecture's questions still open (one is pushed, or the lecture ends)."""
    for live in LiveQuestion.objects.filter(lecture=lecture, closes_at__gt=now).select_related(
        "assessment"
    ):
        _close(live, now)


def _closed_early(live: LiveQuestion) -> bool:
    """Closed by the teacher (or a newer question) before its timer ran out."""
    return live.closes_at < live.opened_at + timedelta(seconds=live.seconds)


def _close(live: LiveQuestion, now: datetime) -> None:
    """Close now, with no grace: the teacher may reveal the answer the next moment."""
    live.closes_at = max(now, live.opened_at + timedelta(microseconds=1))
    live.save(update_fields=["closes_at", "updated_at"])
    if live.assessment is not None:
        assessment_update(assessment=live.assessment, closes_at=live.closes_at)
    publish_on_commit(live.lecture_id, "question.closed", {"id": live.pk})


def _announce(live: LiveQuestion) -> None:
    publish_on_commit(live.lecture_id, "question", live_question_view(live=live, viewer=None))


@transaction.atomic
def live_question_push(
    *,
    lecture: Lecture,
    question: Question,
    seconds,
    by: User,
    video_time: float | None = None,
    now: datetime | None = None,
) -> LiveQuestion:
    """Push a question of the course's bank to every viewer; an open one closes first."""
    seconds = _seconds(seconds)
    _require_live(lecture)
    if question.course_id != lecture.course_id or question.is_archived:
        raise ApplicationError(
            _("Pick a question from this course's bank."), code="not_found", status=404
        )
    now = now or timezone.now()
    live_questions_close_open(lecture=lecture, now=now)
    closes_at = now + timedelta(seconds=seconds)
    assessment = assessment_create(
        course=lecture.course,
        created_by=by,
        title=_("%(lecture)s: question %(time)s")
        % {"lecture": lecture.title[:150], "time": timezone.localtime(now).strftime("%H:%M")},
        kind=AssessmentKind.LIVE,
        opens_at=now,
        closes_at=closes_at + GRACE,
        attempts_allowed=1,
        review_policy=ReviewPolicy.NEVER,
    )
    assessment_set_questions(assessment=assessment, questions=[question])
    assessment_publish(assessment=assessment, published=True)
    live = LiveQuestion.objects.create(
        lecture=lecture,
        kind=LiveQuestionKind.QUESTION,
        question=question,
        assessment=assessment,
        seconds=seconds,
        video_time=lecture.stream_seconds(now) if video_time is None else video_time,
        opened_at=now,
        closes_at=closes_at,
        pushed_by=by,
    )
    _announce(live)
    return live


def _poll_options(options) -> list[dict]:
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_POLL_OPTIONS:
        raise ValidationError(
            {"options": _("A poll has from 2 to %(n)d options.") % {"n": MAX_POLL_OPTIONS}}
        )
    cleaned = []
    for index, option in enumerate(options):
        if not isinstance(option, str) or not option.strip():
            raise ValidationError({"options": _("Every option needs some text.")})
        if len(option.strip()) > MAX_OPTION_TEXT or has_control_characters(option):
            raise ValidationError(
                {
                    "options": _(
                        "An option is at most %(n)d characters of text, without control characters."
                    )
                    % {"n": MAX_OPTION_TEXT}
                }
            )
        cleaned.append({"id": chr(ord("a") + index), "text": option.strip()})
    return cleaned


@transaction.atomic
def poll_push(
    *,
    lecture: Lecture,
    prompt,
    options,
    seconds,
    by: User,
    video_time: float | None = None,
    now: datetime | None = None,
) -> LiveQuestion:
    """A quick poll: no right answer, not graded, counted here."""
    seconds = _seconds(seconds)
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt.strip()) > 300:
        raise ValidationError({"prompt": _("Ask something, in at most 300 characters.")})
    if has_control_characters(prompt):
        raise ValidationError({"prompt": _("The prompt contains control characters.")})
    cleaned = _poll_options(options)
    _require_live(lecture)
    now = now or timezone.now()
    live_questions_close_open(lecture=lecture, now=now)
    live = LiveQuestion.objects.create(
        lecture=lecture,
        kind=LiveQuestionKind.POLL,
        prompt=prompt.strip(),
        options=cleaned,
        seconds=seconds,
        video_time=lecture.stream_seconds(now) if video_time is None else video_time,
        opened_at=now,
        closes_at=now + timedelta(seconds=seconds),
        pushed_by=by,
    )
    _announce(live)
    return live


def _require_open(live: LiveQuestion, now: datetime) -> None:
    """Open until the timer runs out (with a grace for answers on the wire), or it is closed."""
    grace = timedelta(0) if live.revealed_at or _closed_early(live) else GRACE
    if now > live.closes_at + grace:
        raise ApplicationError(_("Time is up for this question."), code="closed", status=409)


def _already() -> ApplicationError:
    return ApplicationError(
        _("You have already answered this question."), code="already_answered", status=409
    )


def live_answer(
    *, live: LiveQuestion, student: User, answer, now: datetime | None = None
) -> Attempt | PollVote:
    """
    Record a viewer's answer: a graded, submitted attempt for a bank question, a vote for a poll.
    Once only; the caller has checked that the student may watch the lecture.
    """
    now = now or timezone.now()
    if answer is None:
        raise ValidationError({"answer": _("Give an answer.")})
    _require_open(live, now)
    try:
        with transaction.atomic():
            if live.kind == LiveQuestionKind.POLL:
                result = _vote(live, student, answer)
            else:
                result = _answer(live, student, answer, now)
    except IntegrityError as error:
        raise _already() from error
    publish_on_commit(live.lecture_id, "question.answered", {"id": live.pk}, staff=True)
    return result


def _vote(live: LiveQuestion, student: User, answer) -> PollVote:
    choice = answer.get("choice") if isinstance(answer, dict) else None
    if not isinstance(choice, str) or choice not in {option["id"] for option in live.options}:
        raise ValidationError({"answer": _("Pick one of the poll's options.")})
    return PollVote.objects.create(live_question=live, voter=student, option=choice)


def _answer(live: LiveQuestion, student: User, answer, now: datetime) -> Attempt:
    assessment: Assessment | None = live.assessment
    if assessment is None or live.question_id is None:
        raise ApplicationError(
            _("This question is no longer available."), code="closed", status=409
        )
    if Attempt.objects.filter(assessment=assessment, student=student).exists():
        raise _already()
    attempt, _created = attempt_start(assessment=assessment, student=student, now=now)
    response_save(
        attempt=attempt,
        question_id=live.question_id,
        answer=answer,
        seq=1,
        student=student,
        now=now,
    )
    return attempt_submit(attempt=attempt, student=student, now=now)


@transaction.atomic
def live_question_close(*, live: LiveQuestion, now: datetime | None = None) -> LiveQuestion:
    now = now or timezone.now()
    live = (
        LiveQuestion.objects.select_for_update(of=("self",))
        .select_related("assessment")
        .get(pk=live.pk)
    )
    if live.closes_at > now:
        _close(live, now)
    return live


@transaction.atomic
def live_question_reveal(*, live: LiveQuestion, now: datetime | None = None) -> LiveQuestion:
    """Close the question and show everyone the right answer and how the room answered."""
    now = now or timezone.now()
    live = (
        LiveQuestion.objects.select_for_update(of=("self",))
        .select_related("assessment")
        .get(pk=live.pk)
    )
    if live.closes_at > now:
        _close(live, now)
    if live.revealed_at is None:
        live.revealed_at = now
        live.save(update_fields=["revealed_at", "updated_at"])
    publish_on_commit(live.lecture_id, "question.revealed", live_question_reveal_view(live=live))
    return live
