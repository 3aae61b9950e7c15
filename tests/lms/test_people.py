"""School admins manage people, roles and classrooms; nobody else can."""

import pytest
from django.urls import reverse

from lms.models import ClassroomStudent, Membership, User
from tests.helpers import PEOPLE


def _status(response):
    if response.status_code == 302 and "/accounts/login/" in response.url:
        return "login"
    return response.status_code


@pytest.mark.parametrize("person", PEOPLE)
def test_admin_pages_matrix(as_person, school_world, person):
    a = school_world["a"]
    client = as_person(person)
    # lists: every admin sees their own school's (checked for isolation below)
    lists = [reverse("school_people"), reverse("school_classrooms")]
    expected = {"anonymous": "login", "admin": 200, "other_school_admin": 200}.get(person, 404)
    for url in lists:
        response = client.get(url)
        assert _status(response) == expected, url
        if person == "other_school_admin":
            assert "student_a" not in response.content.decode()
            assert "Class A1" not in response.content.decode()
    # school A's objects: only A's admin
    objects = [
        reverse("school_person", args=[a["student"].pk]),
        reverse("school_classroom", args=[a["classroom"].pk]),
    ]
    expected = {"anonymous": "login", "admin": 200}.get(person, 404)
    for url in objects:
        assert _status(client.get(url)) == expected, url
    seats = ClassroomStudent.objects.count()
    response = client.post(
        reverse("school_classroom_remove_student", args=[a["classroom"].pk, a["student"].pk])
    )
    assert _status(response) == ({"anonymous": "login", "admin": 302}.get(person, 404))
    if person != "admin":
        assert ClassroomStudent.objects.count() == seats


def test_admin_adds_a_person_with_a_role(as_person, school_world):
    response = as_person("admin").post(
        reverse("school_people"),
        {
            "username": "new.kid",
            "display_name": "新同学",
            "email": "kid@example.org",
            "role": "student",
        },
    )
    user = User.objects.get(username="new.kid")
    assert response.url == reverse("school_person", args=[user.pk])
    assert Membership.objects.filter(
        user=user, school=school_world["a"]["school"], role="student"
    ).exists()
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    "data",
    [
        {"username": "", "role": "student"},
        {"username": "student_a", "role": "student"},  # taken
        {"username": "ok", "role": "wizard"},
        {"username": "ok", "role": "student", "email": "not-an-email"},
        {"username": "x" * 151, "role": "student"},
        {"username": "bad name!", "role": "student"},
    ],
)
def test_bad_person_is_refused_and_changes_nothing(as_person, school_world, data):
    users = User.objects.count()
    response = as_person("admin").post(reverse("school_people"), data)
    assert response.status_code == 400
    assert User.objects.count() == users


def test_people_list_shows_only_this_schools_members(as_person, school_world):
    html = as_person("admin").get(reverse("school_people")).content.decode()
    assert "student_a" in html
    assert "student_b" not in html
    assert (
        _status(
            as_person("admin").get(reverse("school_person", args=[school_world["b"]["student"].pk]))
        )
        == 404
    )


def test_roles_are_changed_and_the_last_admin_is_kept(as_person, school_world):
    a = school_world["a"]
    client = as_person("admin")
    client.post(
        reverse("school_person", args=[a["student"].pk]),
        {"display_name": "S", "roles": ["student", "teacher"]},
    )
    assert set(Membership.objects.filter(user=a["student"]).values_list("role", flat=True)) == {
        "student",
        "teacher",
    }
    response = client.post(
        reverse("school_person", args=[a["admin"].pk]), {"display_name": "A", "roles": ["teacher"]}
    )
    assert response.status_code == 400
    assert "at least one admin" in response.content.decode()
    assert Membership.objects.filter(user=a["admin"], role="admin").exists()


def test_admin_creates_a_classroom_and_seats_students(as_person, school_world):
    a = school_world["a"]
    client = as_person("admin")
    response = client.post(
        reverse("school_classrooms"),
        {"name": "Grade 11 · Class 2", "homeroom_teachers": [a["teacher"].pk]},
    )
    classroom = a["school"].classrooms.get(name="Grade 11 · Class 2")
    assert response.url == reverse("school_classroom", args=[classroom.pk])
    client.post(
        reverse("school_classroom", args=[classroom.pk]),
        {"add": "1", "students": [a["student"].pk, a["classmate"].pk]},
    )
    assert classroom.students.count() == 2
    # a student of another school is not offered and is refused
    response = client.post(
        reverse("school_classroom", args=[classroom.pk]),
        {"add": "1", "students": [school_world["b"]["student"].pk]},
    )
    assert response.status_code == 400
    assert classroom.students.count() == 2


def test_classroom_name_must_be_unique_in_the_school(as_person, school_world):
    response = as_person("admin").post(reverse("school_classrooms"), {"name": "Class A1"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
