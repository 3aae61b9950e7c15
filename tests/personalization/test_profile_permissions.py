"""
Who may open the profile and recommendation pages and endpoints: every one of PEOPLE.

Only students have a profile and recommendations: anyone else gets a 403 that says so. A
learner's profile is read by the learner, their course teachers, homeroom teachers and school
admins; anybody else gets a 404, so that nothing tells them the learner exists.
"""

import pytest
from django.urls import reverse

from lms.models import Role
from personalization.models import LearnerProfile, PlanRefresh
from personalization.services.profile import profile_update
from tests.courses.conftest import page_status

STUDENTS_ONLY = {
    "anonymous": "login",
    "enrolled_student": 200,
    "other_student": 200,
    "course_teacher": 403,
    "other_teacher": 403,
    "school_admin": 403,
    "other_school": 403,
}
API_STUDENTS_ONLY = {**STUDENTS_ONLY, "anonymous": 401}
# Reading the enrolled student's profile.
ENROLLED_STUDENTS_PROFILE = {
    "anonymous": "login",
    "enrolled_student": 200,  # their own
    "other_student": 404,
    "course_teacher": 200,  # teaches the course, and is the homeroom teacher
    "other_teacher": 404,
    "school_admin": 200,
    "other_school": 404,
}
# Reading the profile of the classmate, enrolled in nothing and in no homeroom teacher's class.
CLASSMATES_PROFILE = {
    "anonymous": "login",
    "enrolled_student": 404,
    "other_student": 200,
    "course_teacher": 404,
    "other_teacher": 404,
    "school_admin": 200,
    "other_school": 404,
}


def matrix(expected: dict) -> list[tuple[str, object]]:
    return list(expected.items())


@pytest.fixture
def profiles(course_world):
    """Both students of A have a profile."""
    for student in (course_world["a"][Role.STUDENT], course_world["a"]["classmate"]):
        profile_update(student=student, weekly_minutes=120, goal_text="Learn")
    return course_world


@pytest.mark.parametrize("name", ["onboarding", "profile", "recommendations"])
@pytest.mark.parametrize(("person", "expected"), matrix(STUDENTS_ONLY))
def test_student_pages_matrix(as_person, course_world, name, person, expected):
    response = as_person(person).get(reverse(f"personalization:{name}"))
    assert page_status(response) == expected


@pytest.mark.parametrize(
    ("person", "expected"), matrix({**STUDENTS_ONLY, "enrolled_student": 302, "other_student": 302})
)
def test_onboarding_skip_matrix(as_person, course_world, person, expected):
    response = as_person(person).post(reverse("personalization:onboarding_skip"))
    assert page_status(response) == expected
    assert not LearnerProfile.objects.exists()


@pytest.mark.parametrize(
    ("person", "expected"), matrix({**STUDENTS_ONLY, "enrolled_student": 302, "other_student": 302})
)
def test_profile_save_matrix(as_person, course_world, person, expected):
    # when
    response = as_person(person).post(reverse("personalization:profile"), {"weekly_minutes": "60"})
    # then
    assert page_status(response) == expected
    assert LearnerProfile.objects.exists() == (expected == 302)


@pytest.mark.parametrize(("person", "expected"), matrix(ENROLLED_STUDENTS_PROFILE))
def test_student_profile_page_matrix(as_person, profiles, person, expected):
    student = profiles["a"][Role.STUDENT]
    response = as_person(person).get(reverse("personalization:student_profile", args=[student.pk]))
    assert page_status(response) == expected


@pytest.mark.parametrize(("person", "expected"), matrix(CLASSMATES_PROFILE))
def test_classmate_profile_page_matrix(as_person, profiles, person, expected):
    student = profiles["a"]["classmate"]
    response = as_person(person).get(reverse("personalization:student_profile", args=[student.pk]))
    assert page_status(response) == expected


def test_student_profile_page_of_an_unknown_user_is_a_404(as_person, course_world):
    response = as_person("school_admin").get(
        reverse("personalization:student_profile", args=[2**31])
    )
    assert response.status_code == 404


# --- API ------------------------------------------------------------------------------------


def api(name: str, *args) -> str:
    return reverse(f"personalization-api:{name}", args=args)


@pytest.mark.parametrize("name", ["profile", "recommendations"])
@pytest.mark.parametrize(("person", "expected"), matrix(API_STUDENTS_ONLY))
def test_api_student_endpoints_matrix(as_person, course_world, name, person, expected):
    # when
    response = as_person(person).get(api(name))
    # then
    assert response.status_code == expected
    if expected == 403:
        assert "Only students" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(("person", "expected"), matrix(API_STUDENTS_ONLY))
def test_api_profile_update_matrix(as_person, course_world, person, expected):
    # when
    response = as_person(person).put(
        api("profile"), {"weekly_minutes": 60}, content_type="application/json"
    )
    # then
    assert response.status_code == expected
    assert LearnerProfile.objects.exists() == (expected == 200)
    assert PlanRefresh.objects.exists() == (expected == 200)


@pytest.mark.parametrize(
    ("person", "expected"), matrix({**ENROLLED_STUDENTS_PROFILE, "anonymous": 401})
)
def test_api_student_profile_matrix(as_person, profiles, person, expected):
    # given
    student = profiles["a"][Role.STUDENT]
    # when
    response = as_person(person).get(api("student_profile", student.pk))
    # then
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["goal_text"] == "Learn"


@pytest.mark.parametrize(("person", "expected"), matrix({**CLASSMATES_PROFILE, "anonymous": 401}))
def test_api_classmate_profile_matrix(as_person, profiles, person, expected):
    student = profiles["a"]["classmate"]
    response = as_person(person).get(api("student_profile", student.pk))
    assert response.status_code == expected


@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
def test_api_student_profile_is_read_only(as_person, profiles, method):
    # given
    student = profiles["a"][Role.STUDENT]
    before = list(LearnerProfile.objects.values())
    # when
    response = getattr(as_person("school_admin"), method)(
        api("student_profile", student.pk), {"goal_text": "Hacked"}, content_type="application/json"
    )
    # then
    assert response.status_code == 405
    assert list(LearnerProfile.objects.values()) == before
