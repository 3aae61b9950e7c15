import pytest
from django.core.exceptions import ValidationError

from courses.models import Enrollment, EnrollmentStatus, ProgramCourse
from courses.services import enrollment as services
from courses.services.progress import lesson_complete
from lms.models import Role
from lms.services import classroom_add_students
from tests.factories import CourseFactory, LessonFactory, member


def test_self_enrollment_is_idempotent(course_world):
    student = course_world["a"]["classmate"]
    first = services.enrollment_self_enroll(student=student, course=course_world["course"])
    again = services.enrollment_self_enroll(student=student, course=course_world["course"])
    assert first.pk == again.pk
    assert first.source == "self"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_published": False}, "not open"),
        ({"allows_self_enrollment": False}, "Ask your school"),
    ],
)
def test_self_enrollment_refused_when_the_course_does_not_allow_it(course_world, change, message):
    course = course_world["course"]
    for name, value in change.items():
        setattr(course, name, value)
    course.save()
    with pytest.raises(ValidationError, match=message):
        services.enrollment_self_enroll(student=course_world["a"]["classmate"], course=course)


@pytest.mark.parametrize("who", ["teacher", "other_school_student"])
def test_only_students_of_the_school_can_be_enrolled(course_world, who):
    user = course_world["a"][Role.TEACHER] if who == "teacher" else course_world["b"]["student"]
    with pytest.raises(ValidationError, match="not a student"):
        services.enrollment_create(student=user, course=course_world["course"], source="admin")


def test_drop_and_re_enroll_keeps_progress(course_world):
    student = course_world["a"][Role.STUDENT]
    lesson = course_world["lessons"][0]
    lesson_complete(student=student, lesson=lesson)
    enrollment = Enrollment.objects.get(student=student, course=course_world["course"])
    services.enrollment_drop(enrollment=enrollment)
    assert enrollment.status == EnrollmentStatus.DROPPED
    again = services.enrollment_create(
        student=student, course=course_world["course"], source="admin"
    )
    assert again.pk == enrollment.pk
    assert again.status == EnrollmentStatus.ACTIVE
    assert lesson.progress.get(student=student).completed_at is not None


def test_classroom_enrollment_includes_students_who_join_later(course_world):
    a = course_world["a"]
    course = course_world["course"]
    added = services.classroom_enroll(classroom=a["other_classroom"], course=course)
    assert added == 1  # the classmate
    newcomer = member(a["school"], Role.STUDENT, username="newcomer")
    classroom_add_students(classroom=a["other_classroom"], students=[newcomer])
    enrollment = Enrollment.objects.get(student=newcomer, course=course)
    assert enrollment.source == "classroom"


def test_classroom_of_another_school_cannot_be_enrolled(course_world):
    with pytest.raises(ValidationError, match="different schools"):
        services.classroom_enroll(
            classroom=course_world["b"]["classroom"], course=course_world["course"]
        )


def test_program_enrolls_in_courses_one_after_another(course_world):
    from courses.models import Program

    a = course_world["a"]
    first = CourseFactory(school=a["school"])
    first_lesson = LessonFactory(module__course=first)
    second = CourseFactory(school=a["school"])
    program = Program.objects.create(
        school=a["school"],
        title="ML engineer",
        audience="engineers",
        level="university",
        is_published=True,
    )
    ProgramCourse.objects.create(program=program, course=first, position=0)
    ProgramCourse.objects.create(program=program, course=second, position=1)
    student = a["classmate"]
    # when the student enrolls in the program
    services.program_enroll(student=student, program=program)
    # then only the first course is open to them
    assert set(Enrollment.objects.filter(student=student).values_list("course", flat=True)) == {
        first.pk
    }
    # when they complete the first course, the second one follows
    lesson_complete(student=student, lesson=first_lesson)
    assert Enrollment.objects.get(student=student, course=first).status == "completed"
    assert Enrollment.objects.filter(student=student, course=second, status="active").exists()
