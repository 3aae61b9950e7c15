import pytest

from lms.models import Role
from tests.factories import CourseFactory, EnrollmentFactory, LessonFactory, ModuleFactory, member


@pytest.fixture
def course_world(school_world):
    """
    School A's course taught by A's teacher, with two modules of two lessons each, the first
    student enrolled; a second teacher of A who does not teach it; and school B's own course.
    """
    a, b = school_world["a"], school_world["b"]
    course = CourseFactory(school=a["school"], code="MATH-1", title="Algebra")
    course.teachers.add(a[Role.TEACHER])
    modules = [ModuleFactory(course=course, position=i) for i in range(2)]
    lessons = [LessonFactory(module=m, position=i) for m in modules for i in range(2)]
    EnrollmentFactory(student=a[Role.STUDENT], course=course)
    other_course = CourseFactory(school=b["school"], code="MATH-1", title="B's algebra")
    other_course.teachers.add(b[Role.TEACHER])
    return {
        **school_world,
        "course": course,
        "modules": modules,
        "lessons": lessons,
        "other_teacher": member(a["school"], Role.TEACHER, username="teacher_a2"),
        "other_course": other_course,
    }
