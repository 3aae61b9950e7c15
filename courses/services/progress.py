"""Writes that record a student's way through lessons."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import (
    Enrollment,
    EnrollmentStatus,
    Lesson,
    LessonProgress,
    ProgramEnrollment,
)
from courses.selectors import lesson_lock_reason
from courses.services.enrollment import program_advance
from lms.models import User

# One heartbeat can add at most this much study time (a tab left open overnight is not study).
MAX_SECONDS_PER_UPDATE = 5 * 60
MAX_VIDEO_POSITION_SECONDS = 24 * 60 * 60


def _active_enrollment(*, student: User, lesson: Lesson) -> Enrollment:
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(student=student, course_id=lesson.module.course_id)
        .exclude(status=EnrollmentStatus.DROPPED)
        .first()
    )
    if enrollment is None:
        raise ValidationError(_("You are not enrolled in this course."))
    return enrollment


@transaction.atomic
def lesson_progress_record(
    *, student: User, lesson: Lesson, seconds_spent: int = 0, video_position: float | None = None
) -> LessonProgress:
    """Record time spent in a lesson and where its video stands, to resume there."""
    _active_enrollment(student=student, lesson=lesson)
    if not 0 <= seconds_spent <= MAX_SECONDS_PER_UPDATE:
        raise ValidationError(
            {"seconds_spent": _("Must be between 0 and %(max)d.") % {"max": MAX_SECONDS_PER_UPDATE}}
        )
    if video_position is not None and not 0 <= video_position <= MAX_VIDEO_POSITION_SECONDS:
        raise ValidationError({"video_position": _("Not a position in a video.")})
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        student=student, lesson=lesson
    )
    progress.time_spent_seconds += seconds_spent
    fields = ["time_spent_seconds", "updated_at"]
    if video_position is not None:
        progress.video_position_seconds = video_position
        fields.append("video_position_seconds")
    progress.save(update_fields=fields)
    return progress


@transaction.atomic
def lesson_complete(*, student: User, lesson: Lesson) -> LessonProgress:
    """
    Mark a lesson completed (once; completing again changes nothing). Completing the last lesson
    completes the course, and moves the student on in any program that contains it.
    """
    enrollment = _active_enrollment(student=student, lesson=lesson)
    reason = lesson_lock_reason(student=student, lesson=lesson)
    if reason:
        raise ValidationError(reason)
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        student=student, lesson=lesson
    )
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at", "updated_at"])
        _complete_course_if_done(enrollment=enrollment)
    return progress


def _complete_course_if_done(*, enrollment: Enrollment) -> None:
    course_lessons = Lesson.objects.filter(module__course_id=enrollment.course_id)
    done = LessonProgress.objects.filter(
        student_id=enrollment.student_id,
        lesson__in=course_lessons,
        completed_at__isnull=False,
    ).count()
    if done < course_lessons.count() or enrollment.status == EnrollmentStatus.COMPLETED:
        return
    enrollment.status = EnrollmentStatus.COMPLETED
    enrollment.completed_at = timezone.now()
    enrollment.save(update_fields=["status", "completed_at", "updated_at"])
    programs = ProgramEnrollment.objects.filter(
        student_id=enrollment.student_id,
        status=EnrollmentStatus.ACTIVE,
        program__steps__course_id=enrollment.course_id,
    ).select_related("program")
    for program_enrollment in programs:
        program_advance(student=enrollment.student, program=program_enrollment.program)
