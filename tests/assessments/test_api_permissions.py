"""
Assessments API permission matrix: every endpoint for every person.

Anonymous callers get 401. Whoever may not see an object gets 404, never 403, so nothing tells a
member of another school, a student or a teacher of another course that it exists. A student's
attempt is theirs alone: teachers and admins read attempts through the results endpoints. A
refused request changes nothing in the database.
"""

import json
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import resolve, reverse

from assessments.api import urls as api_urls
from assessments.services.attempts import attempt_start, attempt_submit
from assessments.services.authoring import assessment_create, assessment_set_questions
from assessments.services.questions import question_archive
from courses.models import KnowledgePoint, Tag
from lms.models import Role
from tests.assessments.conftest import PEOPLE, QUESTIONS, make_question
from tests.factories import KnowledgePointFactory, LessonFactory, ModuleFactory

EDITORS = {"course_teacher", "school_admin"}
# The titles in A's bank, in the list's order (not the archived question).
A_BANK = ["Loose question", *sorted(f"Q {kind}" for kind in QUESTIONS)]

# A GIFT file that imports cleanly: two questions.
CLEAN_GIFT = """\
::Capital::What is the capital of France? {=Paris ~London ~Berlin}

::Earth::The earth is round. {T}
"""


# --- Helpers shared with test_api_bad_input ---------------------------------------------------


def url(name: str, *args) -> str:
    return reverse(f"assessments-api:{name}", args=args)


class Raw(str):
    """A request body sent exactly as written (not JSON-encoded)."""


# Where a body holds INF, the request carries the JSON number 1e400 (Python reads it as inf).
INF = "__1e400__"


def encode(body) -> str:
    if body is None:
        return ""
    if isinstance(body, Raw):
        return str(body)
    return json.dumps(body).replace(f'"{INF}"', "1e400")


def send(client, method: str, path: str, body=None):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, encode(body), content_type="application/json")


def db_state() -> dict:
    """Every row of the assessments app (m2m tables too), tags and knowledge points."""
    models = [
        *apps.get_app_config("assessments").get_models(include_auto_created=True),
        Tag,
        KnowledgePoint,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def assert_error(response, status: int) -> dict:
    """The response is `status` with the one error shape and a non-empty detail."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["type"] in ("validation_error", "client_error"), body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, body
        assert error["code"], body
        assert isinstance(error["detail"], str), body
        assert error["detail"].strip(), body
    return body


def error_codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.fixture
def api_world(exam_world):
    return api_world_build(exam_world)


def api_world_build(exam_world: dict) -> dict:
    """
    exam_world plus: a draft assessment and a question in no assessment in A's course, an archived
    question, and school B's own module, lesson, knowledge point, question and published quiz.
    """
    course, other_course = exam_world["course"], exam_world["other_course"]
    b = exam_world["b"]
    b_module = ModuleFactory(course=other_course, position=0)
    b_lesson = LessonFactory(module=b_module, position=0)
    b_point = KnowledgePointFactory(course=other_course, name="B's skill")
    b_question = make_question(other_course, "true_false", title="B's question")
    b_assessment = assessment_create(course=other_course, title="B's quiz", kind="practice")
    assessment_set_questions(assessment=b_assessment, questions=[b_question])
    b_assessment.is_published = True
    b_assessment.save()
    draft = assessment_create(course=course, title="Draft quiz", kind="practice")
    loose = make_question(course, "true_false", title="Loose question")
    archived = question_archive(
        question=make_question(course, "short_text", title="Old question"), archived=True
    )
    return {
        **exam_world,
        "draft": draft,
        "loose": loose,
        "archived": archived,
        "b_module": b_module,
        "b_lesson": b_lesson,
        "b_point": b_point,
        "b_question": b_question,
        "b_assessment": b_assessment,
        "b_student": b[Role.STUDENT],
        "b_classroom": b["classroom"],
    }


def open_attempt(world):
    """The enrolled student's attempt at the unit test, in progress."""
    attempt, _created = attempt_start(assessment=world["assessment"], student=world["student"])
    return attempt


def submitted_attempt(world):
    return attempt_submit(attempt=open_attempt(world))


# --- The matrix -------------------------------------------------------------------------------

Request = tuple[str, str, object]  # method, path, body

ENDPOINTS: dict[str, Callable[[dict], Request]] = {
    # Students taking an assessment
    "attempt-start": lambda w: ("post", url("attempt-start", w["assessment"].pk), None),
    "draft-attempt-start": lambda w: ("post", url("attempt-start", w["draft"].pk), None),
    "attempt-detail": lambda w: ("get", url("attempt-detail", open_attempt(w).pk), None),
    "response-save": lambda w: (
        "put",
        url("response-save", open_attempt(w).pk, w["questions"]["single_choice"].pk),
        {"answer": QUESTIONS["single_choice"][1], "seq": 1},
    ),
    "attempt-submit": lambda w: ("post", url("attempt-submit", open_attempt(w).pk), None),
    "attempt-result": lambda w: ("get", url("attempt-result", submitted_attempt(w).pk), None),
    # Assessments
    "assessment-list": lambda w: ("get", url("assessment-list"), None),
    "assessment-create": lambda w: (
        "post",
        url("assessment-list"),
        {"course": w["course"].pk, "title": "Quiz 2", "kind": "practice"},
    ),
    "assessment-detail": lambda w: ("get", url("assessment-detail", w["assessment"].pk), None),
    "draft-assessment-detail": lambda w: ("get", url("assessment-detail", w["draft"].pk), None),
    "assessment-update": lambda w: (
        "put",
        url("assessment-detail", w["assessment"].pk),
        {"title": "Unit test 1 (revised)", "kind": "unit_test", "attempts_allowed": 3},
    ),
    "assessment-publish": lambda w: (
        "post",
        url("assessment-publish", w["assessment"].pk),
        {"published": False},
    ),
    "assessment-questions": lambda w: (
        "put",
        url("assessment-questions", w["draft"].pk),
        {"questions": [w["loose"].pk, w["questions"]["numeric"].pk]},
    ),
    "assessment-draw-rules": lambda w: (
        "put",
        url("assessment-draw-rules", w["draft"].pk),
        {"rules": [{"count": 2, "knowledge_point": w["point"].pk}]},
    ),
    "assessment-accommodations": lambda w: (
        "put",
        url("assessment-accommodations", w["assessment"].pk),
        {"student": w["student"].pk, "extra_minutes": 15, "extra_attempts": 1},
    ),
    "assessment-results": lambda w: (
        "get",
        url("assessment-results", submitted_attempt(w).assessment_id),
        None,
    ),
    "assessment-item-analysis": lambda w: (
        "get",
        url("assessment-item-analysis", submitted_attempt(w).assessment_id),
        None,
    ),
    # The question bank
    "question-list": lambda w: ("get", f"{url('question-list')}?course={w['course'].pk}", None),
    "question-create": lambda w: (
        "post",
        url("question-list"),
        {
            "course": w["course"].pk,
            "kind": "true_false",
            "stem": "The sum of two odd numbers is even.",
            "spec": {"answer": True},
            "tags": ["parity"],
            "knowledge_points": [w["point"].pk],
        },
    ),
    "question-detail": lambda w: ("get", url("question-detail", w["loose"].pk), None),
    "question-update": lambda w: (
        "put",
        url("question-detail", w["loose"].pk),
        {"stem": "The earth is flat.", "spec": {"answer": False}, "difficulty": 1},
    ),
    "question-delete": lambda w: ("delete", url("question-detail", w["loose"].pk), None),
    "question-archive": lambda w: (
        "post",
        url("question-archive", w["loose"].pk),
        {"archived": True},
    ),
    "question-regrade": lambda w: (
        "post",
        url("question-regrade", w["questions"]["single_choice"].pk),
        {"assessment": submitted_attempt(w).assessment_id},
    ),
    "question-import": lambda w: (
        "post",
        url("question-import"),
        {"course": w["course"].pk, "format": "gift", "text": CLEAN_GIFT, "dry_run": False},
    ),
    "question-export": lambda w: (
        "get",
        f"{url('question-export')}?course={w['course'].pk}",
        None,
    ),
}

# Requests that change the database when they succeed.
WRITES = {
    "attempt-start",
    "response-save",
    "attempt-submit",
    "assessment-create",
    "assessment-update",
    "assessment-publish",
    "assessment-questions",
    "assessment-draw-rules",
    "assessment-accommodations",
    "question-create",
    "question-update",
    "question-delete",
    "question-archive",
    "question-regrade",
    "question-import",
}

STUDENT_ONLY = (401, 200, 404, 404, 404, 404, 404)
EDITORS_ONLY = (401, 404, 404, 200, 404, 200, 404)

# Expected status for each person, in the order of PEOPLE:
#   anonymous, enrolled_student, other_student, course_teacher, other_teacher, school_admin,
#   other_school
MATRIX: dict[str, tuple[int, ...]] = {
    "attempt-start": (401, 201, 404, 404, 404, 404, 404),
    "draft-attempt-start": (401, 404, 404, 404, 404, 404, 404),
    "attempt-detail": STUDENT_ONLY,
    "response-save": STUDENT_ONLY,
    "attempt-submit": STUDENT_ONLY,
    "attempt-result": STUDENT_ONLY,
    "assessment-list": (401, 200, 200, 200, 200, 200, 200),
    "assessment-create": (401, 404, 404, 201, 404, 201, 404),
    "assessment-detail": (401, 200, 404, 200, 404, 200, 404),
    "draft-assessment-detail": EDITORS_ONLY,
    "assessment-update": EDITORS_ONLY,
    "assessment-publish": EDITORS_ONLY,
    "assessment-questions": (401, 404, 404, 204, 404, 204, 404),
    "assessment-draw-rules": (401, 404, 404, 204, 404, 204, 404),
    "assessment-accommodations": (401, 404, 404, 204, 404, 204, 404),
    "assessment-results": EDITORS_ONLY,
    "assessment-item-analysis": EDITORS_ONLY,
    "question-list": EDITORS_ONLY,
    "question-create": (401, 404, 404, 201, 404, 201, 404),
    "question-detail": EDITORS_ONLY,
    "question-update": EDITORS_ONLY,
    "question-delete": (401, 404, 404, 204, 404, 204, 404),
    "question-archive": EDITORS_ONLY,
    "question-regrade": EDITORS_ONLY,
    "question-import": EDITORS_ONLY,
    "question-export": EDITORS_ONLY,
}


def test_the_matrix_covers_every_method_of_every_route(api_world):
    # given every operation the API's views implement
    operations = {
        (pattern.name, method)
        for pattern in api_urls.urlpatterns
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    }

    # when
    covered = set()
    for build in ENDPOINTS.values():
        with transaction.atomic():
            method, path, _body = build(api_world)
            transaction.set_rollback(True)
        covered.add((resolve(path.split("?")[0]).url_name, method))

    # then
    assert covered == operations
    assert set(MATRIX) == set(ENDPOINTS)


@pytest.mark.parametrize(
    ("endpoint", "person", "expected"),
    [
        pytest.param(endpoint, person, status, id=f"{endpoint}-{person}")
        for endpoint, row in MATRIX.items()
        for person, status in zip(PEOPLE, row, strict=True)
    ],
)
def test_assessments_api_matrix(as_person, api_world, endpoint, person, expected):
    # given
    method, path, body = ENDPOINTS[endpoint](api_world)
    client = as_person(person)
    before = db_state()

    # when
    response = send(client, method, path, body)

    # then
    if expected >= 400:
        assert_error(response, expected)
        assert db_state() == before
    else:
        assert response.status_code == expected, response.content
        if endpoint in WRITES:
            assert db_state() != before


# --- What each person sees in the lists --------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "titles"),
    [
        ("enrolled_student", ["Unit test 1"]),
        ("other_student", []),
        ("course_teacher", ["Unit test 1", "Draft quiz"]),
        ("other_teacher", []),
        ("school_admin", ["Unit test 1", "Draft quiz"]),
        ("other_school", ["B's quiz"]),
    ],
)
def test_assessment_list_shows_only_what_the_person_may_open(as_person, api_world, person, titles):
    # when
    response = as_person(person).get(url("assessment-list"))

    # then
    assert response.status_code == 200
    assert [a["title"] for a in response.json()] == titles


@pytest.mark.parametrize(
    ("person", "course", "titles"),
    [
        ("enrolled_student", None, []),
        ("other_student", None, []),
        ("other_teacher", None, []),
        ("course_teacher", None, A_BANK),
        ("course_teacher", "course", A_BANK),
        ("school_admin", "course", A_BANK),
        ("other_school", None, ["B's question"]),
        ("other_school", "other_course", ["B's question"]),
    ],
)
def test_question_list_shows_only_editable_banks(as_person, api_world, person, course, titles):
    # given
    path = url("question-list")
    if course:
        path += f"?course={api_world[course].pk}"

    # when
    response = as_person(person).get(path)

    # then
    assert response.status_code == 200
    assert [q["title"] for q in response.json()["results"]] == titles


def test_results_show_the_students_attempt_that_the_attempt_endpoints_hide(as_person, api_world):
    # given
    attempt = submitted_attempt(api_world)
    client = as_person("course_teacher")

    # when
    own_view = client.get(url("attempt-result", attempt.pk))
    results = client.get(url("assessment-results", attempt.assessment_id))

    # then
    assert_error(own_view, 404)
    assert results.status_code == 200
    students = results.json()["students"]
    assert [(s["student"], s["status"]) for s in students] == [
        (api_world["student"].pk, "submitted")
    ]


def test_a_students_own_attempt_is_readable_by_them_alone(as_person, api_world):
    # given
    attempt = submitted_attempt(api_world)

    # when
    mine = as_person("enrolled_student").get(url("attempt-detail", attempt.pk))
    theirs = as_person("other_student").get(url("attempt-detail", attempt.pk))

    # then
    assert mine.status_code == 200
    assert mine.json()["id"] == attempt.pk
    assert_error(theirs, 404)


@pytest.mark.parametrize("person", ["course_teacher", "school_admin"])
def test_editors_of_one_school_cannot_reach_another_schools_objects(as_person, api_world, person):
    # given
    client = as_person(person)
    w = api_world
    before = db_state()
    requests = [
        ("get", url("assessment-detail", w["b_assessment"].pk), None),
        ("put", url("assessment-detail", w["b_assessment"].pk), {"title": "x", "kind": "exam"}),
        ("post", url("assessment-publish", w["b_assessment"].pk), {"published": False}),
        ("put", url("assessment-questions", w["b_assessment"].pk), {"questions": []}),
        ("put", url("assessment-draw-rules", w["b_assessment"].pk), {"rules": []}),
        ("get", url("assessment-results", w["b_assessment"].pk), None),
        ("get", url("assessment-item-analysis", w["b_assessment"].pk), None),
        ("get", url("question-detail", w["b_question"].pk), None),
        ("delete", url("question-detail", w["b_question"].pk), None),
        ("post", url("question-archive", w["b_question"].pk), {"archived": True}),
        ("post", url("question-regrade", w["b_question"].pk), {}),
        ("get", f"{url('question-export')}?course={w['other_course'].pk}", None),
        ("post", url("attempt-start", w["b_assessment"].pk), None),
    ]

    # when
    responses = [(path, send(client, method, path, body)) for method, path, body in requests]

    # then
    for path, response in responses:
        assert response.status_code == 404, path
        assert_error(response, 404)
    assert db_state() == before
