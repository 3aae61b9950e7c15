import pytest
from django.urls import reverse

from assessments.models import Attempt, AttemptStatus, Response
from tests.assessments.conftest import QUESTIONS

pytestmark = pytest.mark.django_db


def _start(client, assessment):
    return client.post(reverse("assessments-api:attempt-start", args=[assessment.pk]))


def test_a_student_takes_a_test_through_the_api(client, exam_world):
    # given
    client.force_login(exam_world["student"])
    # when the student starts
    started = _start(client, exam_world["assessment"])
    # then the questions arrive without keys
    assert started.status_code == 201
    attempt = started.json()
    assert len(attempt["questions"]) == 6
    assert "fraction" not in started.content.decode()
    # when every answer is saved (twice: a retry) and the test submitted
    for question in attempt["questions"]:
        _, good, _ = QUESTIONS[question["kind"]]
        url = reverse("assessments-api:response-save", args=[attempt["id"], question["question"]])
        for _ in range(2):
            saved = client.put(url, {"answer": good, "seq": 1}, content_type="application/json")
            assert saved.status_code == 200, saved.json()
    submit = reverse("assessments-api:attempt-submit", args=[attempt["id"]])
    result = client.post(submit)
    again = client.post(submit)
    # then the score is full and the second submit returns the same result
    assert result.status_code == 200
    assert result.json()["score"] == "6.00"
    assert again.json() == result.json()
    assert result.json()["questions"][0]["right_answer"] is not None


def test_resuming_returns_the_saved_answers(client, exam_world):
    client.force_login(exam_world["student"])
    attempt = _start(client, exam_world["assessment"]).json()
    question = next(q for q in attempt["questions"] if q["kind"] == "true_false")
    url = reverse("assessments-api:response-save", args=[attempt["id"], question["question"]])
    client.put(url, {"answer": {"value": True}, "seq": 4}, content_type="application/json")
    # when the page reloads
    resumed = _start(client, exam_world["assessment"])
    # then
    assert resumed.status_code == 200
    saved = next(q for q in resumed.json()["questions"] if q["question"] == question["question"])
    assert (saved["answer"], saved["seq"]) == ({"value": True}, 4)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"answer": {"choice": "zz"}, "seq": 1}, 400, None),
        ({"answer": {"choice": "a"}}, 400, None),
        ({"answer": {"choice": "a"}, "seq": "x"}, 400, None),
        ({"answer": {"choice": "a"}, "seq": -1}, 400, None),
        ({"answer": {"choice": "a"}, "seq": 2**63}, 400, None),
        ("not json", 400, None),
    ],
)
def test_bad_saves_get_a_clear_400_and_change_nothing(client, exam_world, body, status, code):
    client.force_login(exam_world["student"])
    attempt = _start(client, exam_world["assessment"]).json()
    question = exam_world["questions"]["single_choice"]
    url = reverse("assessments-api:response-save", args=[attempt["id"], question.pk])
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["errors"][0]["detail"]
    assert not Response.objects.filter(answer__isnull=False).exists()


def test_saving_into_someone_elses_attempt_is_a_404(client, exam_world):
    client.force_login(exam_world["student"])
    attempt = _start(client, exam_world["assessment"]).json()
    question = exam_world["questions"]["single_choice"]
    client.force_login(exam_world["a"]["classmate"])
    url = reverse("assessments-api:response-save", args=[attempt["id"], question.pk])
    response = client.put(
        url, {"answer": {"choice": "a"}, "seq": 1}, content_type="application/json"
    )
    assert response.status_code == 404
    assert (
        client.post(reverse("assessments-api:attempt-submit", args=[attempt["id"]])).status_code
        == 404
    )
    assert Attempt.objects.get().status == AttemptStatus.IN_PROGRESS


def test_saving_after_submit_is_a_409_with_the_reason(client, exam_world):
    client.force_login(exam_world["student"])
    attempt = _start(client, exam_world["assessment"]).json()
    client.post(reverse("assessments-api:attempt-submit", args=[attempt["id"]]))
    question = exam_world["questions"]["single_choice"]
    url = reverse("assessments-api:response-save", args=[attempt["id"], question.pk])
    response = client.put(
        url, {"answer": {"choice": "a"}, "seq": 1}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "attempt_submitted"
