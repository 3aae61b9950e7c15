"""Scheduling lectures, and taking them live and off the air."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course, Enrollment, EnrollmentStatus, KnowledgePoint
from livestream.fanout import publish_on_commit
from livestream.models import Lecture, LectureState
from livestream.serializers import lecture_payload
from livestream.services.questions import live_questions_close_open
from lms.models import User
from lms.services import event_send_on_commit, user_group_name

LECTURE_FIELDS = (
    "title",
    "description",
    "scheduled_at",
    "duration_minutes",
    "stream_url",
    "recording",
    "recording_url",
)


def _knowledge_points(course: Course, points: Iterable[KnowledgePoint]) -> list[KnowledgePoint]:
    points = list(points)
    if any(point.course_id != course.pk for point in points):
        raise ValidationError(
            {"knowledge_points": _("Pick knowledge points of this lecture's course.")}
        )
    return points


@transaction.atomic
def lecture_create(
    *,
    course: Course,
    teacher: User,
    knowledge_points: Iterable[KnowledgePoint] = (),
    **fields,
) -> Lecture:
    unknown = set(fields) - set(LECTURE_FIELDS)
    if unknown:
        raise TypeError(f"unknown lecture fields: {sorted(unknown)}")
    points = _knowledge_points(course, knowledge_points)
    lecture = Lecture(course=course, teacher=teacher, **fields)
    lecture.full_clean()
    lecture.save()
    lecture.knowledge_points.set(points)
    return lecture


@transaction.atomic
def lecture_update(
    *, lecture: Lecture, knowledge_points: Iterable[KnowledgePoint] | None = None, **fields
) -> Lecture:
    unknown = set(fields) - set(LECTURE_FIELDS)
    if unknown:
        raise TypeError(f"unknown lecture fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(lecture, name, value)
    lecture.full_clean()
    lecture.save()
    if knowledge_points is not None:
        lecture.knowledge_points.set(_knowledge_points(lecture.course, knowledge_points))
    _state_changed(lecture)
    return lecture


def _locked(lecture: Lecture) -> Lecture:
    return (
        Lecture.objects.select_for_update(of=("self",)).select_related("course").get(pk=lecture.pk)
    )


def _state_changed(lecture: Lecture) -> None:
    publish_on_commit(lecture.pk, "lecture", lecture_payload(lecture))


@transaction.atomic
def lecture_start(*, lecture: Lecture, now: datetime | None = None) -> Lecture:
    """
    Go live: the room opens for comments, and every student actively enrolled in the course
    hears of it on whatever page they have open. Going live again (after an accidental end)
    keeps the first start time, so video times stay on one clock.
    """
    lecture = _locked(lecture)
    if lecture.state == LectureState.LIVE:
        return lecture
    lecture.state = LectureState.LIVE
    lecture.started_at = lecture.started_at or now or timezone.now()
    lecture.ended_at = None
    lecture.save(update_fields=["state", "started_at", "ended_at", "updated_at"])
    _state_changed(lecture)
    notice = {
        "lecture": lecture.pk,
        "title": lecture.title,
        "course": lecture.course.title,
        "url": reverse("livestream:lecture", args=[lecture.pk]),
    }
    for student_id in Enrollment.objects.filter(
        course_id=lecture.course_id, status=EnrollmentStatus.ACTIVE
    ).values_list("student_id", flat=True):
        event_send_on_commit(
            group=user_group_name(student_id), event="lecture.live", payload=notice
        )
    return lecture


@transaction.atomic
def lecture_end(*, lecture: Lecture, now: datetime | None = None) -> Lecture:
    """Off the air: open questions close, and the room stays open for the replay."""
    lecture = _locked(lecture)
    if lecture.state == LectureState.ENDED:
        return lecture
    if lecture.state == LectureState.SCHEDULED:
        raise ValidationError(_("The lecture has not started yet."))
    now = now or timezone.now()
    lecture.state = LectureState.ENDED
    lecture.ended_at = now
    lecture.save(update_fields=["state", "ended_at", "updated_at"])
    live_questions_close_open(lecture=lecture, now=now)
    _state_changed(lecture)
    return lecture


@transaction.atomic
def lecture_delete(*, lecture: Lecture) -> None:
    if lecture.state == LectureState.LIVE:
        raise ValidationError(_("End the lecture before deleting it."))
    lecture.delete()
