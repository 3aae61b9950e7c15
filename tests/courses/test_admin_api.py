"""Enrollment and import API for school admins: permission matrix and bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from courses.models import ClassroomEnrollment, Enrollment, ImportJob
from lms.models import Role, User
from tests.courses.conftest import PEOPLE


def _expected(person, ok):
    return {"anonymous": 401, "school_admin": ok}.get(person, 404)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_enrollment_api_matrix(as_person, course_world, person):
    course = course_world["course"]
    a = course_world["a"]
    client = as_person(person)
    enrollment = Enrollment.objects.get(student=a[Role.STUDENT])
    roster = client.get(f"/api/v1/courses/manage/{course.pk}/enrollments/")
    assert roster.status_code == (
        200 if person in {"course_teacher", "school_admin"} else _expected(person, 200)
    )
    calls = [
        (
            "post",
            f"/api/v1/courses/manage/{course.pk}/enrollments/",
            {"student": a["classmate"].pk},
            201,
        ),
        (
            "post",
            f"/api/v1/courses/manage/{course.pk}/classrooms/",
            {"classroom": a["other_classroom"].pk},
            200,
        ),
        (
            "delete",
            f"/api/v1/courses/manage/{course.pk}/classrooms/",
            {"classroom": a["other_classroom"].pk},
            204,
        ),
        (
            "post",
            f"/api/v1/courses/manage/{course.pk}/enrollments/{enrollment.pk}/drop/",
            None,
            200,
        ),
    ]
    for method, url, body, ok in calls:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == _expected(person, ok), url
    if person != "school_admin":
        assert Enrollment.objects.count() == 1
        assert Enrollment.objects.get().status == "active"
        assert not ClassroomEnrollment.objects.exists()


@pytest.mark.parametrize("body", [{}, {"student": "x"}, {"student": 0}, {"student": 999999}])
def test_enroll_student_bad_input(as_person, course_world, body):
    course = course_world["course"]
    response = as_person("school_admin").post(
        f"/api/v1/courses/manage/{course.pk}/enrollments/", body, content_type="application/json"
    )
    assert response.status_code in (400, 404)
    assert Enrollment.objects.count() == 1


def test_enrolling_a_teacher_is_a_400(as_person, course_world):
    course = course_world["course"]
    response = as_person("school_admin").post(
        f"/api/v1/courses/manage/{course.pk}/enrollments/",
        {"student": course_world["a"][Role.TEACHER].pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a student" in response.json()["errors"][0]["detail"]


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", ("\ufeff" + text).encode(), content_type="text/csv")


@pytest.mark.parametrize("person", list(PEOPLE))
def test_import_api_matrix(as_person, course_world, person):
    school = course_world["a"]["school"]
    response = as_person(person).post(
        "/api/v1/courses/imports/",
        {"school": school.pk, "file": _csv("username,role\nnew.one,student\n"), "dry_run": "false"},
    )
    assert response.status_code == _expected(person, 202)
    if person == "school_admin":
        body = response.json()
        assert body["status"] == "succeeded"
        assert as_person(person).get(f"/api/v1/courses/imports/{body['id']}/").status_code == 200
        assert User.objects.filter(username="new.one").exists()
    else:
        assert not User.objects.filter(username="new.one").exists()


def test_import_job_of_another_school_is_404(as_person, course_world):
    school = course_world["a"]["school"]
    job_id = (
        as_person("school_admin")
        .post(
            "/api/v1/courses/imports/",
            {"school": school.pk, "file": _csv("username,role\nx1,student\n")},
        )
        .json()["id"]
    )
    other = Client()
    other.force_login(course_world["b"][Role.ADMIN])
    assert other.get(f"/api/v1/courses/imports/{job_id}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"file": "not a file"}, "file"),
        ({}, "file"),
        ({"file": SimpleUploadedFile("people.txt", b"username,role\n")}, "file"),
        ({"file": SimpleUploadedFile("people.csv", b"")}, "file"),
    ],
)
def test_import_bad_files_are_400(as_person, course_world, data, field):
    response = as_person("school_admin").post(
        "/api/v1/courses/imports/", {"school": course_world["a"]["school"].pk, **data}
    )
    assert response.status_code == 400
    assert field in {e["attr"] for e in response.json()["errors"]}
    assert not ImportJob.objects.exists()


def test_import_dry_run_reports_errors_per_row(as_person, course_world):
    response = as_person("school_admin").post(
        "/api/v1/courses/imports/",
        {
            "school": course_world["a"]["school"].pk,
            "file": _csv("username,role,courses\nok.one,student,MATH-1\nbad.one,student,NOPE-9\n"),
        },
    )
    body = response.json()
    assert body["status"] == "failed"
    assert body["report"]["valid"] is False
    [bad] = [row for row in body["report"]["rows"] if row["errors"]]
    assert bad["line"] == 3
    assert "NOPE-9" in bad["errors"][0]
    assert not User.objects.filter(username="ok.one").exists()


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 404),
        ("course_teacher", 404),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_export_api_matrix(as_person, course_world, person, expected):
    response = as_person(person).get(
        "/api/v1/courses/enrollments/export/", {"school": course_world["a"]["school"].pk}
    )
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert "student_a" in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("params", [{}, {"school": "x"}])
def test_export_api_needs_a_school(as_person, params):
    assert (
        as_person("school_admin").get("/api/v1/courses/enrollments/export/", params).status_code
        == 400
    )
