"""Enrollment management and CSV export by school admins."""

import csv
import io

import pytest
from django.urls import reverse

from courses.models import ClassroomEnrollment, Enrollment
from courses.services.progress import lesson_complete, lesson_progress_record
from lms.models import Role
from tests.courses.conftest import PEOPLE, page_status
from tests.factories import CourseFactory, EnrollmentFactory


@pytest.mark.parametrize("person", list(PEOPLE))
def test_enrollment_management_matrix(as_person, course_world, person):
    course = course_world["course"]
    a = course_world["a"]
    client = as_person(person)
    enrollment = Enrollment.objects.get(student=a[Role.STUDENT])
    posts = [
        (
            reverse("courses:enroll_classroom", args=[course.pk]),
            {"classroom": a["other_classroom"].pk},
        ),
        (reverse("courses:enroll_student", args=[course.pk]), {"student": a["classmate"].pk}),
        (reverse("courses:drop_enrollment", args=[course.pk, enrollment.pk]), {}),
    ]
    for url, data in posts:
        expected = {"anonymous": "login", "school_admin": 302}.get(person, 404)
        assert page_status(client.post(url, data)) == expected, url
    if person != "school_admin":
        assert Enrollment.objects.count() == 1
        assert Enrollment.objects.get().status == "active"
    # the export is of the admin's own school
    response = client.get(reverse("courses:enrollments_export"))
    expected = {"anonymous": "login", "school_admin": 200, "other_school": 200}.get(person, 404)
    assert page_status(response) == expected
    if person == "other_school":
        assert "student_a" not in response.content.decode("utf-8-sig")


def test_admin_enrolls_a_classroom_drops_and_re_enrolls(as_person, course_world):
    course = course_world["course"]
    a = course_world["a"]
    client = as_person("school_admin")
    client.post(
        reverse("courses:enroll_classroom", args=[course.pk]),
        {"classroom": a["other_classroom"].pk},
    )
    assert ClassroomEnrollment.objects.filter(
        course=course, classroom=a["other_classroom"]
    ).exists()
    enrollment = Enrollment.objects.get(student=a["classmate"], course=course)
    assert enrollment.source == "classroom"
    client.post(reverse("courses:drop_enrollment", args=[course.pk, enrollment.pk]))
    enrollment.refresh_from_db()
    assert enrollment.status == "dropped"
    client.post(reverse("courses:enroll_student", args=[course.pk]), {"student": a["classmate"].pk})
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


@pytest.mark.parametrize("bad", [{"classroom": "abc"}, {"classroom": ""}, {}])
def test_enroll_classroom_bad_input_is_404(as_person, course_world, bad):
    course = course_world["course"]
    assert (
        as_person("school_admin")
        .post(reverse("courses:enroll_classroom", args=[course.pk]), bad)
        .status_code
        == 404
    )


def test_classroom_of_another_school_is_404(as_person, course_world):
    course = course_world["course"]
    response = as_person("school_admin").post(
        reverse("courses:enroll_classroom", args=[course.pk]),
        {"classroom": course_world["b"]["classroom"].pk},
    )
    assert response.status_code == 404
    assert not ClassroomEnrollment.objects.exists()


def test_export_has_progress_and_chinese_names(as_person, course_world):
    a = course_world["a"]
    student = a[Role.STUDENT]
    student.display_name = "王小明"
    student.save()
    lesson_complete(student=student, lesson=course_world["lessons"][0])
    lesson_progress_record(student=student, lesson=course_world["lessons"][0], seconds_spent=120)
    response = as_person("school_admin").get(reverse("courses:enrollments_export"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {
            **rows[0],
            "course_code": "MATH-1",
            "username": "student_a",
            "name": "王小明",
            "status": "active",
            "lessons_completed": "1",
            "lessons_total": "4",
            "percent": "25",
            "minutes_spent": "2",
        }
    ]


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "login"),
        ("enrolled_student", 404),
        ("course_teacher", 200),
        ("other_teacher", 404),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_course_roster_export_matrix(as_person, course_world, person, expected):
    url = reverse("courses:course_enrollments_export", args=[course_world["course"].pk])
    assert page_status(as_person(person).get(url)) == expected


def test_export_query_count_is_constant(as_person, course_world, django_assert_max_num_queries):
    from tests.factories import EnrollmentFactory, member

    client = as_person("school_admin")
    url = reverse("courses:enrollments_export")
    with django_assert_max_num_queries(100) as small:
        client.get(url)
    for n in range(30):
        EnrollmentFactory(
            course=course_world["course"],
            student=member(course_world["a"]["school"], Role.STUDENT, username=f"bulk{n}"),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode("utf-8-sig").count("\n") == 32


def test_roster_offers_a_dropped_student_enrolled_elsewhere(as_person, course_world):
    # given: the classmate dropped this course but is active in another course of the school
    course = course_world["course"]
    a = course_world["a"]
    other = CourseFactory(school=a["school"], code="PHYS-1")
    EnrollmentFactory(student=a["classmate"], course=course, status="dropped")
    EnrollmentFactory(student=a["classmate"], course=other)
    # when
    response = as_person("school_admin").get(reverse("courses:roster", args=[course.pk]))
    # then: the classmate can be enrolled again; the active student cannot
    students = list(response.context["students"])
    assert a["classmate"] in students
    assert a[Role.STUDENT] not in students
