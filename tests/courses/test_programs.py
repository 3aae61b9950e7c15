"""Programs: admins build them, students enroll and see their progress through them."""

import pytest
from django.urls import reverse

from courses.models import Enrollment, Program, ProgramCourse
from courses.services.progress import lesson_complete
from tests.courses.conftest import PEOPLE, page_status
from tests.factories import CourseFactory, LessonFactory


@pytest.fixture
def program(course_world):
    school = course_world["a"]["school"]
    program = Program.objects.create(
        school=school, title="Data path", audience="engineers", level="senior", is_published=True
    )
    second = CourseFactory(school=school, title="Statistics")
    LessonFactory(module__course=second)
    ProgramCourse.objects.create(program=program, course=course_world["course"], position=0)
    ProgramCourse.objects.create(program=program, course=second, position=1)
    return program


@pytest.mark.parametrize("person", list(PEOPLE))
def test_program_editor_matrix(as_person, program, person):
    client = as_person(person)
    expected = {"anonymous": "login", "school_admin": 200}.get(person, 404)
    assert page_status(client.get(reverse("courses:program_edit", args=[program.pk]))) == expected
    response = client.post(reverse("courses:program_publish", args=[program.pk]), {"publish": "0"})
    assert page_status(response) == {"anonymous": "login", "school_admin": 302}.get(person, 404)
    program.refresh_from_db()
    assert program.is_published is (person != "school_admin")


def test_admin_builds_a_program(as_person, course_world):
    client = as_person("school_admin")
    response = client.post(
        reverse("courses:program_list"),
        {"title": "Maths track", "audience": "school_students", "level": "senior"},
    )
    program = Program.objects.get(title="Maths track")
    assert response.url == reverse("courses:program_edit", args=[program.pk])
    response = client.post(
        reverse("courses:program_publish", args=[program.pk]), {"publish": "1"}, follow=True
    )
    assert "at least one course" in response.content.decode()
    client.post(
        reverse("courses:program_edit", args=[program.pk]),
        {
            "add": "1",
            "course": course_world["course"].pk,
            "delivery_mode": "blended",
            "expected_weeks": 6,
        },
    )
    client.post(reverse("courses:program_publish", args=[program.pk]), {"publish": "1"})
    program.refresh_from_db()
    assert program.is_published
    assert program.steps.get().delivery_mode == "blended"
    # a course of another school cannot be added
    response = client.post(
        reverse("courses:program_edit", args=[program.pk]),
        {
            "add": "1",
            "course": course_world["other_course"].pk,
            "delivery_mode": "online",
            "expected_weeks": 2,
        },
    )
    assert response.status_code == 400
    assert program.steps.count() == 1


def test_student_enrolls_in_a_program_and_sees_progress(as_person, course_world, program):
    client = as_person("other_student")
    student = course_world["a"]["classmate"]
    client.post(reverse("courses:program_enroll", args=[program.pk]))
    assert Enrollment.objects.filter(student=student, course=course_world["course"]).exists()
    lesson_complete(student=student, lesson=course_world["lessons"][0])
    html = client.get(reverse("courses:program_detail", args=[program.pk])).content.decode()
    assert 'data-status="active"' in html
    assert "25%" in html
    assert "Up next" in html


def test_program_of_another_school_is_404(as_person, program):
    assert (
        page_status(
            as_person("other_school").get(reverse("courses:program_detail", args=[program.pk]))
        )
        == 404
    )
    assert (
        page_status(
            as_person("other_school").post(reverse("courses:program_enroll", args=[program.pk]))
        )
        == 404
    )


def test_teacher_cannot_enroll_in_a_program(as_person, program):
    response = as_person("course_teacher").post(
        reverse("courses:program_enroll", args=[program.pk]), follow=True
    )
    assert "Only students" in response.content.decode()
    assert not program.enrollments.exists()


def test_unpublished_program_is_hidden(as_person, program):
    program.is_published = False
    program.save()
    assert (
        page_status(
            as_person("other_student").get(reverse("courses:program_detail", args=[program.pk]))
        )
        == 404
    )


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 200),
        ("other_student", 200),
        ("course_teacher", 200),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_program_api_matrix(as_person, course_world, program, person, expected):
    client = as_person(person)
    listing = client.get("/api/v1/courses/programs/", {"school": course_world["a"]["school"].pk})
    assert listing.status_code == expected
    detail = client.get(f"/api/v1/courses/programs/{program.pk}/")
    assert detail.status_code == expected
    if expected == 200:
        assert [p["title"] for p in listing.json()] == ["Data path"]
        assert [s["course_title"] for s in detail.json()["steps"]] == ["Algebra", "Statistics"]


def test_program_api_enroll_and_progress(as_person, course_world, program):
    client = as_person("other_student")
    assert client.post(f"/api/v1/courses/programs/{program.pk}/enroll/").status_code == 201
    steps = client.get(f"/api/v1/courses/programs/{program.pk}/").json()["steps"]
    assert [s["status"] for s in steps] == ["active", None]
    teacher = as_person("course_teacher")
    assert teacher.post(f"/api/v1/courses/programs/{program.pk}/enroll/").status_code == 400


@pytest.mark.parametrize("params", [{}, {"school": "x"}, {"school": 0}])
def test_program_list_api_needs_a_school(as_person, params):
    assert as_person("enrolled_student").get("/api/v1/courses/programs/", params).status_code == 400
