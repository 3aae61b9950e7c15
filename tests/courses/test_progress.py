import pytest
from django.core.exceptions import ValidationError

from courses.models import Enrollment, LessonProgress
from courses.selectors import course_outline
from courses.services.authoring import lesson_set_prerequisites
from courses.services.progress import lesson_complete, lesson_progress_record
from lms.models import Role


def test_progress_accumulates_time_and_keeps_the_video_position(course_world):
    student = course_world["a"][Role.STUDENT]
    lesson = course_world["lessons"][0]
    lesson_progress_record(student=student, lesson=lesson, seconds_spent=30, video_position=12.5)
    progress = lesson_progress_record(student=student, lesson=lesson, seconds_spent=20)
    assert progress.time_spent_seconds == 50
    assert progress.video_position_seconds == 12.5


@pytest.mark.parametrize(
    "fields", [{"seconds_spent": -1}, {"seconds_spent": 10**6}, {"video_position": -3.0}]
)
def test_absurd_progress_is_refused(course_world, fields):
    with pytest.raises(ValidationError):
        lesson_progress_record(
            student=course_world["a"][Role.STUDENT], lesson=course_world["lessons"][0], **fields
        )
    assert not LessonProgress.objects.exists()


def test_progress_needs_an_enrollment(course_world):
    with pytest.raises(ValidationError, match="not enrolled"):
        lesson_complete(student=course_world["a"]["classmate"], lesson=course_world["lessons"][0])


def test_locked_lesson_cannot_be_completed_until_its_prerequisite_is(course_world):
    student = course_world["a"][Role.STUDENT]
    first, second, *_ = course_world["lessons"]
    lesson_set_prerequisites(lesson=second, prerequisites=[first])
    with pytest.raises(ValidationError, match=f"Complete “{first.title}” first"):
        lesson_complete(student=student, lesson=second)
    lesson_complete(student=student, lesson=first)
    lesson_complete(student=student, lesson=second)
    outline = course_outline(course=course_world["course"], user=student)
    assert outline.completed_count == 2
    assert outline.percent == 50


def test_completing_every_lesson_completes_the_course(course_world):
    student = course_world["a"][Role.STUDENT]
    for lesson in course_world["lessons"]:
        lesson_complete(student=student, lesson=lesson)
        lesson_complete(student=student, lesson=lesson)  # twice changes nothing
    enrollment = Enrollment.objects.get(student=student, course=course_world["course"])
    assert enrollment.status == "completed"
    assert enrollment.completed_at is not None
