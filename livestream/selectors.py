import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape

from assessments.grading import right_answer
from assessments.models import Attempt, AttemptStatus, Response
from courses.models import Course, Enrollment, EnrollmentStatus
from courses.selectors import course_list_editable
from livestream.models import (
    BlockedWord,
    Danmaku,
    Lecture,
    LectureMute,
    LectureState,
    LiveQuestion,
    LiveQuestionKind,
    PollVote,
)
from livestream.serializers import danmaku_payload
from lms.models import User

BACKFILL_LATEST = 200
BACKFILL_MAX = 2000
WINDOW_MAX = 2000


def _enrolled(user: User) -> Exists:
    """Whether the user is actively enrolled in the row's course."""
    return Exists(
        Enrollment.objects.filter(
            course=OuterRef("course"), student=user, status=EnrollmentStatus.ACTIVE
        )
    )


def lecture_list_editable(*, user: User) -> QuerySet[Lecture]:
    """Lectures of the courses the user may change (its teachers, its school's admins)."""
    if not user.is_authenticated:
        return Lecture.objects.none()
    return Lecture.objects.filter(course__in=course_list_editable(user=user)).select_related(
        "course", "teacher"
    )


def lecture_list_visible(*, user: User) -> QuerySet[Lecture]:
    """Lectures the user may join: as a student actively enrolled in the course, or an editor."""
    if not user.is_authenticated:
        return Lecture.objects.none()
    return Lecture.objects.filter(
        _enrolled(user) | Q(course__in=course_list_editable(user=user))
    ).select_related("course", "course__school", "teacher")


def lecture_list_for_course(*, course: Course, user: User, can_edit: bool) -> QuerySet[Lecture]:
    """The course's lectures for its page: live and upcoming first, then the replays."""
    lectures = Lecture.objects.filter(course=course)
    if not can_edit:
        lectures = lectures.filter(_enrolled(user))
    return lectures.select_related("teacher").order_by("-state", "scheduled_at")


def lecture_list_upcoming(*, user: User, now: datetime | None = None) -> QuerySet[Lecture]:
    """Live lectures, and those scheduled from an hour ago on, that the user may join."""
    now = now or timezone.now()
    return (
        lecture_list_visible(user=user)
        .filter(
            Q(state=LectureState.LIVE)
            | Q(state=LectureState.SCHEDULED, scheduled_at__gte=now - timedelta(hours=1))
        )
        .order_by("scheduled_at", "pk")
    )


@dataclass(frozen=True)
class RoomAccess:
    may_watch: bool
    may_moderate: bool


def lecture_with_access(*, user: User, lecture_id: int) -> tuple[Lecture, RoomAccess] | None:
    """
    The lecture, read fresh, with the user's rights in it, in one query (a lecture's socket
    asks before every write: an enrollment or a teaching role can end mid-lecture).
    """
    if not user.is_authenticated:
        lecture = Lecture.objects.select_related("course").filter(pk=lecture_id).first()
        return None if lecture is None else (lecture, RoomAccess(False, False))
    lecture = (
        Lecture.objects.select_related("course")
        .annotate(
            enrolled=_enrolled(user),
            editable=Exists(course_list_editable(user=user).filter(pk=OuterRef("course_id"))),
        )
        .filter(pk=lecture_id)
        .first()
    )
    if lecture is None:
        return None
    return lecture, RoomAccess(
        may_watch=lecture.enrolled or lecture.editable, may_moderate=lecture.editable
    )


def lecture_access(*, user: User, lecture: Lecture) -> RoomAccess:
    if not user.is_authenticated:
        return RoomAccess(False, False)
    moderate = course_list_editable(user=user).filter(pk=lecture.course_id).exists()
    watch = (
        moderate
        or Enrollment.objects.filter(
            course_id=lecture.course_id, student=user, status=EnrollmentStatus.ACTIVE
        ).exists()
    )
    return RoomAccess(may_watch=watch, may_moderate=moderate)


def _visible(lecture: Lecture) -> QuerySet[Danmaku]:
    return Danmaku.objects.filter(lecture=lecture, hidden_at__isnull=True).select_related("author")


def danmaku_backfill(*, lecture: Lecture, after: int | None = None) -> dict:
    """
    What a joining viewer needs: the latest comments, or (with `after`, the last sequence
    number the viewer saw) every comment and deletion since. `last_seq` is read first, so
    anything numbered after it reaches the viewer as a live frame.
    """
    last_seq = Lecture.objects.filter(pk=lecture.pk).values_list("last_seq", flat=True).first()
    last_seq = last_seq or 0
    if after is None:
        latest = list(
            _visible(lecture).filter(seq__lte=last_seq).order_by("-seq")[:BACKFILL_LATEST]
        )
        return {
            "messages": [danmaku_payload(d) for d in reversed(latest)],
            "hidden": [],
            "last_seq": last_seq,
        }
    messages = list(
        _visible(lecture).filter(seq__gt=after, seq__lte=last_seq).order_by("seq")[:BACKFILL_MAX]
    )
    if len(messages) == BACKFILL_MAX:  # too far behind: the viewer starts again from here
        last_seq = messages[-1].seq
    hidden = list(
        Danmaku.objects.filter(lecture=lecture, hidden_seq__gt=after, hidden_seq__lte=last_seq)
        .order_by("hidden_seq")
        .values_list("pk", flat=True)
    )
    return {
        "messages": [danmaku_payload(d) for d in messages],
        "hidden": hidden,
        "last_seq": last_seq,
    }


def danmaku_window(*, lecture: Lecture, start: float, end: float) -> list[dict]:
    """Visible comments with start <= video_time < end, in video-time order (replay)."""
    found = (
        _visible(lecture)
        .filter(video_time__gte=start, video_time__lt=end)
        .order_by("video_time", "seq")[:WINDOW_MAX]
    )
    return [danmaku_payload(d) for d in found]


def lecture_is_muted(*, lecture: Lecture, user: User) -> bool:
    return LectureMute.objects.filter(lecture=lecture, user=user).exists()


def blocked_word_list(*, school) -> QuerySet[BlockedWord]:
    return BlockedWord.objects.filter(school=school).order_by("word")


def lecture_mutes(*, lecture: Lecture) -> QuerySet[LectureMute]:
    return LectureMute.objects.filter(lecture=lecture).select_related("user")


# --- Live questions -------------------------------------------------------------------------


def live_question_active(*, lecture: Lecture, now: datetime | None = None) -> LiveQuestion | None:
    """The question on screen: the open one, else the last one if revealed in the last minute."""
    now = now or timezone.now()
    latest = (
        LiveQuestion.objects.filter(lecture=lecture)
        .select_related("question__current_version", "assessment")
        .order_by("-opened_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    if latest.closes_at > now:
        return latest
    if latest.revealed_at and (now - latest.revealed_at).total_seconds() < 60:
        return latest
    return None


def _options(live: LiveQuestion) -> tuple[str | None, str, list[dict], str]:
    """(question kind, stem html, options as shown, unit)."""
    if live.kind == LiveQuestionKind.POLL:
        options = [{"id": o["id"], "html": str(escape(o["text"]))} for o in live.options]
        return None, str(escape(live.prompt)), options, ""
    version = live.question.current_version if live.question else None
    if version is None:
        return None, "", [], ""
    spec = version.spec
    kind = live.question.kind
    entries = spec.get("choices", spec.get("items", []))
    options = [{"id": entry["id"], "html": entry["html"]} for entry in entries]
    if kind == "ordering":  # shown shuffled, the same way for everyone, never in the right order
        rng = random.Random(live.pk)
        shown = options[:]
        while len(shown) > 1 and shown == options:
            rng.shuffle(shown)
        options = shown
    return kind, version.stem_html, options, spec.get("unit", "")


def live_question_tally(*, live: LiveQuestion) -> dict:
    """How the room answered: answered, correct (None for polls), counts per option."""
    if live.kind == LiveQuestionKind.POLL:
        counts = Counter(
            PollVote.objects.filter(live_question=live).values_list("option", flat=True)
        )
        return {
            "id": live.pk,
            "answered": sum(counts.values()),
            "correct": None,
            "counts": {o["id"]: counts.get(o["id"], 0) for o in live.options},
        }
    responses = Response.objects.filter(
        attempt__assessment_id=live.assessment_id, attempt__status=AttemptStatus.SUBMITTED
    ).values_list("answer", "fraction")
    answered = correct = 0
    counts: Counter = Counter()
    for answer, fraction in responses:
        answered += 1
        correct += fraction is not None and fraction >= 1
        if isinstance(answer, dict):
            if "choice" in answer:
                counts[answer["choice"]] += 1
            for choice in answer.get("choices", []):
                counts[choice] += 1
            if "value" in answer and isinstance(answer["value"], bool):
                counts["true" if answer["value"] else "false"] += 1
    return {"id": live.pk, "answered": answered, "correct": correct, "counts": dict(counts)}


def _your_answer(live: LiveQuestion, viewer: User) -> tuple[bool, dict | None]:
    if live.kind == LiveQuestionKind.POLL:
        option = (
            PollVote.objects.filter(live_question=live, voter=viewer)
            .values_list("option", flat=True)
            .first()
        )
        return option is not None, {"choice": option} if option else None
    response = (
        Response.objects.filter(
            attempt__assessment_id=live.assessment_id,
            attempt__student=viewer,
            attempt__status=AttemptStatus.SUBMITTED,
        )
        .values("answer", "fraction")
        .first()
    )
    if response is None:
        return False, None
    return True, response["answer"]


def live_question_reveal_view(*, live: LiveQuestion) -> dict:
    tally = live_question_tally(live=live)
    if live.kind == LiveQuestionKind.POLL or live.question is None:
        correct, explanation = None, ""
    else:
        version = live.question.current_version
        correct = right_answer(live.question.kind, version.spec)
        explanation = version.explanation_html
    return {
        "id": live.pk,
        "correct": correct,
        "explanation_html": explanation,
        "counts": tally["counts"],
        "answered": tally["answered"],
        "correct_count": tally["correct"],
    }


def live_question_view(
    *,
    live: LiveQuestion,
    viewer: User | None,
    moderator: bool = False,
    now: datetime | None = None,
) -> dict:
    """The question card: for everyone (`viewer` None), or for one viewer with their answer."""
    kind, stem_html, options, unit = _options(live)
    answered, yours = _your_answer(live, viewer) if viewer is not None else (False, None)
    return {
        "id": live.pk,
        "kind": live.kind,
        "question_kind": kind,
        "stem_html": stem_html,
        "options": options,
        "unit": unit,
        "seconds": live.seconds,
        "closes_at": live.closes_at.isoformat(),
        "server_now": (now or timezone.now()).isoformat(),
        "answered": answered,
        "your_answer": yours,
        "revealed": live_question_reveal_view(live=live) if live.revealed_at else None,
        "tally": live_question_tally(live=live) if moderator else None,
    }


def live_question_list(*, lecture: Lecture) -> list[dict]:
    """Every question of the lecture with its tally (the teacher's report)."""
    questions = LiveQuestion.objects.filter(lecture=lecture).select_related(
        "question__current_version", "assessment"
    )
    return [{"question": live, "tally": live_question_tally(live=live)} for live in questions]


def my_live_attempts(*, lecture: Lecture, user: User) -> QuerySet[Attempt]:
    return Attempt.objects.filter(assessment__live_question__lecture=lecture, student=user)


# --- The confusion meter ---------------------------------------------------------------------


def confusion_timeline(*, lecture: Lecture, bucket_seconds: int = 30) -> dict:
    """
    Comments per `bucket_seconds` of video time, with those that signal confusion, and the
    spikes: buckets where confused comments stand out (at least 3, and above the lecture's
    mean by two standard deviations, or at least a third of a busy bucket).
    """
    rows = Danmaku.objects.filter(lecture=lecture, hidden_at__isnull=True).values_list(
        "video_time", "confused"
    )
    total: Counter = Counter()
    confused: Counter = Counter()
    for video_time, is_confused in rows:
        index = int(video_time // bucket_seconds)
        total[index] += 1
        confused[index] += is_confused
    last = max(total, default=-1)
    buckets = [
        {"start": i * bucket_seconds, "total": total[i], "confused": confused[i]}
        for i in range(last + 1)
    ]
    counts = [b["confused"] for b in buckets]
    mean = statistics.fmean(counts) if counts else 0
    spread = statistics.pstdev(counts) if len(counts) > 1 else 0
    threshold = max(3, math.ceil(mean + 2 * spread))
    points = [point.name for point in lecture.knowledge_points.all()]
    spikes = [
        {
            "start": b["start"],
            "end": b["start"] + bucket_seconds,
            "confused": b["confused"],
            "total": b["total"],
            "knowledge_points": points,
        }
        for b in buckets
        if b["confused"] >= 3
        and (b["confused"] >= threshold or b["confused"] * 3 >= b["total"] >= 6)
    ]
    return {"bucket_seconds": bucket_seconds, "buckets": buckets, "spikes": spikes}
