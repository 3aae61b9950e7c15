import pytest
from django.urls import reverse

from assessments.models import Attempt
from assessments.services.attempts import attempt_start, attempt_submit
from tests.assessments.conftest import PEOPLE

pytestmark = pytest.mark.django_db


def _status(response):
    if response.status_code == 302 and "/accounts/login/" in response.url:
        return "login"
    return response.status_code


def _sign_in(client, world, person):
    where = PEOPLE[person]
    if where is not None:
        school, key = where
        client.force_login(world[key] if school is None else world[school][key])


# Who sees the assessment's page: its students and its course's editors.
DETAIL = {
    "anonymous": "login",
    "enrolled_student": 200,
    "other_student": 404,
    "course_teacher": 200,
    "other_teacher": 404,
    "school_admin": 200,
    "other_school": 404,
}
RESULTS = {**DETAIL, "enrolled_student": 404}


@pytest.mark.parametrize("person", PEOPLE)
def test_assessment_page_permissions(client, exam_world, person):
    _sign_in(client, exam_world, person)
    response = client.get(reverse("assessments:detail", args=[exam_world["assessment"].pk]))
    assert _status(response) == DETAIL[person]


@pytest.mark.parametrize("person", PEOPLE)
def test_live_results_page_permissions(client, exam_world, person):
    _sign_in(client, exam_world, person)
    response = client.get(reverse("assessments:results", args=[exam_world["assessment"].pk]))
    assert _status(response) == RESULTS[person]


@pytest.mark.parametrize("person", PEOPLE)
def test_only_enrolled_students_can_start(client, exam_world, person):
    _sign_in(client, exam_world, person)
    response = client.post(reverse("assessments:start", args=[exam_world["assessment"].pk]))
    expected = {"anonymous": "login", "enrolled_student": 302}.get(person, 404)
    assert _status(response) == expected
    assert Attempt.objects.exists() == (person == "enrolled_student")


@pytest.mark.parametrize("person", PEOPLE)
def test_an_attempt_is_its_students_alone(client, exam_world, person):
    # given the enrolled student's attempt
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    _sign_in(client, exam_world, person)
    # then
    take = client.get(reverse("assessments:take", args=[attempt.pk]))
    expected = {"anonymous": "login", "enrolled_student": 200}.get(person, 404)
    assert _status(take) == expected


def test_the_take_page_carries_no_answer_keys(client, exam_world):
    client.force_login(exam_world["student"])
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    page = client.get(reverse("assessments:take", args=[attempt.pk])).content.decode()
    assert "attempt-data" in page
    for secret in ('"fraction"', "photosynthesis", "9.81", "Check the sign"):
        assert secret not in page


def test_a_submitted_attempt_shows_its_result_and_the_take_page_redirects(client, exam_world):
    client.force_login(exam_world["student"])
    attempt, _ = attempt_start(assessment=exam_world["assessment"], student=exam_world["student"])
    attempt_submit(attempt=attempt)
    take = client.get(reverse("assessments:take", args=[attempt.pk]))
    assert take.status_code == 302
    result = client.get(take.url)
    assert result.status_code == 200
    assert "0.00" in result.content.decode()


def test_the_course_page_lists_published_tests_for_students(client, exam_world):
    client.force_login(exam_world["student"])
    page = client.get(reverse("courses:course_detail", args=[exam_world["course"].pk]))
    assert exam_world["assessment"].title in page.content.decode()


def test_starting_when_no_attempts_are_left_says_why(client, exam_world):
    client.force_login(exam_world["student"])
    for _ in range(2):
        attempt_submit(
            attempt=attempt_start(
                assessment=exam_world["assessment"], student=exam_world["student"]
            )[0]
        )
    response = client.post(
        reverse("assessments:start", args=[exam_world["assessment"].pk]), follow=True
    )
    assert "used all your attempts" in response.content.decode()
    assert Attempt.objects.count() == 2
