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


# Who is acting, as a key of `course_world`: anonymous, the enrolled student, a student not
# enrolled, the course's teacher, another teacher of the school, the school admin, and a member
# of another school.
PEOPLE = {
    "anonymous": None,
    "enrolled_student": ("a", Role.STUDENT),
    "other_student": ("a", "classmate"),
    "course_teacher": ("a", Role.TEACHER),
    "other_teacher": (None, "other_teacher"),
    "school_admin": ("a", Role.ADMIN),
    "other_school": ("b", Role.ADMIN),
}


@pytest.fixture
def as_person(client, course_world):
    """Sign the test client in as one of PEOPLE."""

    def sign_in(person):
        where = PEOPLE[person]
        if where is not None:
            school, key = where
            client.force_login(course_world[key] if school is None else course_world[school][key])
        return client

    return sign_in


def page_status(response):
    """A page's status, with a redirect to the login page as "login"."""
    if response.status_code == 302 and "/accounts/login/" in response.url:
        return "login"
    return response.status_code
