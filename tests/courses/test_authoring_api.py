"""Authoring API: only a course's teachers and its school's admins change it; bad input is a 4xx."""

import pytest

from courses.models import ContentBlock, Course, KnowledgePoint, Lesson, Module
from courses.services.authoring import block_create, knowledge_point_create
from tests.courses.conftest import PEOPLE

EDITORS = {"course_teacher", "school_admin"}


def _requests(world):
    course = world["course"]
    module = world["modules"][0]
    lesson = world["lessons"][0]
    block = block_create(lesson=lesson, kind="text", body="x")
    kp = knowledge_point_create(course=course, name="Fractions")
    other = knowledge_point_create(course=course, name="Decimals")
    c, m, le, b = course.pk, module.pk, lesson.pk, block.pk
    return [
        ("get", f"/api/v1/courses/manage/{c}/", None),
        ("patch", f"/api/v1/courses/manage/{c}/", {"title": "Renamed"}),
        ("post", f"/api/v1/courses/manage/{c}/publish/", {"published": False}),
        ("get", f"/api/v1/courses/manage/{c}/modules/", None),
        (
            "put",
            f"/api/v1/courses/manage/{c}/modules/order/",
            {"order": [w.pk for w in world["modules"]][::-1]},
        ),
        ("post", f"/api/v1/courses/manage/{c}/modules/", {"title": "M"}),
        ("get", f"/api/v1/courses/manage/{c}/knowledge-points/", None),
        ("post", f"/api/v1/courses/manage/{c}/knowledge-points/", {"name": "New skill"}),
        ("patch", f"/api/v1/courses/modules/{m}/", {"title": "M2"}),
        ("post", f"/api/v1/courses/modules/{m}/lessons/", {"title": "L"}),
        ("get", f"/api/v1/courses/lessons/{le}/manage/", None),
        ("patch", f"/api/v1/courses/lessons/{le}/manage/", {"knowledge_points": [kp.pk]}),
        ("post", f"/api/v1/courses/lessons/{le}/duplicate/", None),
        ("post", f"/api/v1/courses/lessons/{le}/blocks/", {"kind": "code", "body": "print(1)"}),
        ("patch", f"/api/v1/courses/blocks/{b}/", {"body": "y"}),
        (
            "post",
            f"/api/v1/courses/knowledge-points/{kp.pk}/prerequisites/",
            {"prerequisite": other.pk},
        ),
        ("delete", f"/api/v1/courses/blocks/{b}/", None),
        ("post", f"/api/v1/courses/modules/{m}/duplicate/", None),
    ]


def _counts():
    return (
        Module.objects.count(),
        Lesson.objects.count(),
        ContentBlock.objects.count(),
        KnowledgePoint.objects.count(),
    )


@pytest.mark.parametrize("person", list(PEOPLE))
def test_authoring_api_matrix(as_person, course_world, person):
    requests = _requests(course_world)
    client = as_person(person)
    before = _counts()
    for method, url, body in requests:
        response = getattr(client, method)(url, body, content_type="application/json")
        if person == "anonymous":
            assert response.status_code == 401, url
        elif person in EDITORS:
            assert response.status_code in (200, 201, 204), (url, response.content)
        else:
            assert response.status_code == 404, url
    if person not in EDITORS:
        assert _counts() == before
        assert Course.objects.get(pk=course_world["course"].pk).title == "Algebra"


def test_create_course_through_the_api(as_person, course_world):
    school = course_world["a"]["school"]
    response = as_person("course_teacher").post(
        "/api/v1/courses/manage/",
        {
            "school": school.pk,
            "code": "ML-1",
            "title": "ML",
            "subject": "CS",
            "level": "university",
            "tags": ["ml"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["teachers"] == [course_world["a"]["teacher"].pk]
    assert body["tags"] == ["ml"]
    assert body["is_published"] is False


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("enrolled_student", 404),
        ("other_school", 404),
        ("course_teacher", 201),
        ("school_admin", 201),
    ],
)
def test_create_course_matrix(as_person, course_world, person, expected):
    school = course_world["a"]["school"]
    response = as_person(person).post(
        "/api/v1/courses/manage/",
        {"school": school.pk, "code": "NEW", "title": "New", "subject": "S", "level": "senior"},
        content_type="application/json",
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"school": "x", "code": "A", "title": "A", "subject": "S", "level": "senior"},
        {"school": 1, "code": "A" * 33, "title": "A", "subject": "S", "level": "senior"},
        {"school": 1, "code": "A", "title": "A", "subject": "S", "level": "wizard"},
        {"school": 1, "code": "MATH-1", "title": "dup", "subject": "S", "level": "senior"},
        {
            "school": 1,
            "code": "A",
            "title": "A",
            "subject": "S",
            "level": "senior",
            "teachers": [999999],
        },
        {
            "school": 1,
            "code": "A",
            "title": "A",
            "subject": "S",
            "level": "senior",
            "starts_on": "2026-09-01",
            "ends_on": "2026-01-01",
        },
        ["not", "an", "object"],
    ],
)
def test_create_course_bad_input_is_400(as_person, course_world, body):
    if isinstance(body, dict) and body.get("school") == 1:
        body = {**body, "school": course_world["a"]["school"].pk}
    before = Course.objects.count()
    response = as_person("school_admin").post(
        "/api/v1/courses/manage/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert Course.objects.count() == before


def test_cyclic_prerequisite_is_a_400_naming_the_cycle(as_person, course_world):
    course = course_world["course"]
    a = knowledge_point_create(course=course, name="A")
    b = knowledge_point_create(course=course, name="B")
    client = as_person("course_teacher")
    assert (
        client.post(
            f"/api/v1/courses/knowledge-points/{b.pk}/prerequisites/",
            {"prerequisite": a.pk},
            content_type="application/json",
        ).status_code
        == 200
    )
    response = client.post(
        f"/api/v1/courses/knowledge-points/{a.pk}/prerequisites/",
        {"prerequisite": b.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "A → B → A" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "text", "body": ""},
        {"kind": "nope", "body": "x"},
        {"kind": "video", "url": "javascript:alert(1)"},
        {"kind": "text", "body": "x" * 100_001},
        {"kind": "image"},
    ],
)
def test_bad_block_is_400(as_person, course_world, body):
    lesson = course_world["lessons"][0]
    response = as_person("course_teacher").post(
        f"/api/v1/courses/lessons/{lesson.pk}/blocks/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not ContentBlock.objects.exists()


@pytest.mark.parametrize("order", [[], [1, 1], [999999, 999998], ["a"]])
def test_bad_order_is_400(as_person, course_world, order):
    course = course_world["course"]
    response = as_person("course_teacher").put(
        f"/api/v1/courses/manage/{course.pk}/modules/order/",
        {"order": order},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_lesson_knowledge_points_of_another_course_are_refused(as_person, course_world):
    foreign = knowledge_point_create(course=course_world["other_course"], name="Elsewhere")
    lesson = course_world["lessons"][0]
    response = as_person("school_admin").patch(
        f"/api/v1/courses/lessons/{lesson.pk}/manage/",
        {"knowledge_points": [foreign.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not lesson.knowledge_points.exists()


def test_delete_course_with_students_is_400(as_person, course_world):
    course = course_world["course"]
    response = as_person("school_admin").delete(f"/api/v1/courses/manage/{course.pk}/")
    assert response.status_code == 400
    assert Course.objects.filter(pk=course.pk).exists()


def test_managed_course_list_shows_only_editable_courses(as_person, course_world):
    titles = [c["title"] for c in as_person("other_teacher").get("/api/v1/courses/manage/").json()]
    assert titles == []
    titles = [c["title"] for c in as_person("course_teacher").get("/api/v1/courses/manage/").json()]
    assert titles == ["Algebra"]
