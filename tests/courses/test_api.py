"""Student-side course API: permission matrix and bad input."""

import pytest

from courses.models import Enrollment, LessonProgress
from courses.services.authoring import block_create, lesson_set_prerequisites


def error_code(response):
    return response.json()["errors"][0]["code"]


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", ["Algebra"]),
        ("other_student", ["Algebra"]),
        ("course_teacher", ["Algebra"]),
        ("school_admin", ["Algebra"]),
        ("other_school", 404),
    ],
)
def test_catalog_api_matrix(as_person, course_world, person, expected):
    school = course_world["a"]["school"]
    response = as_person(person).get("/api/v1/courses/", {"school": school.pk})
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert response.status_code == 200
    assert [c["title"] for c in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"school": "abc"},
        {"school": 0},
        {"school": 1, "level": "wizard"},
        {"school": 1, "q": "x" * 101},
    ],
)
def test_catalog_api_bad_filters_are_400(as_person, params):
    response = as_person("enrolled_student").get("/api/v1/courses/", params)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 200),
        ("other_student", 200),
        ("course_teacher", 200),
        ("other_teacher", 200),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_course_detail_api_matrix(as_person, course_world, person, expected):
    response = as_person(person).get(f"/api/v1/courses/{course_world['course'].pk}/")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["lesson_count"] == 4
        assert [len(m["lessons"]) for m in body["modules"]] == [2, 2]


def test_course_detail_api_shows_locks_and_completion(as_person, course_world):
    first, second, *_ = course_world["lessons"]
    lesson_set_prerequisites(lesson=second, prerequisites=[first])
    body = as_person("enrolled_student").get(f"/api/v1/courses/{course_world['course'].pk}/").json()
    lessons = body["modules"][0]["lessons"]
    assert lessons[1]["locked"] is True
    assert lessons[1]["locked_by"] == [first.pk]
    assert body["enrollment_status"] == "active"


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 201),
        ("other_student", 201),
        ("course_teacher", 400),
        ("school_admin", 400),
        ("other_school", 404),
    ],
)
def test_enroll_api_matrix(as_person, course_world, person, expected):
    response = as_person(person).post(f"/api/v1/courses/{course_world['course'].pk}/enroll/")
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 200),
        ("other_student", 403),
        ("course_teacher", 200),
        ("other_teacher", 403),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_lesson_api_matrix(as_person, course_world, person, expected):
    lesson = course_world["lessons"][0]
    block_create(lesson=lesson, kind="text", body="Hello")
    response = as_person(person).get(f"/api/v1/courses/lessons/{lesson.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert [b["body"] for b in response.json()["blocks"]] == ["Hello"]


def test_locked_lesson_api_is_403_for_students(as_person, course_world):
    first, second, *_ = course_world["lessons"]
    lesson_set_prerequisites(lesson=second, prerequisites=[first])
    response = as_person("enrolled_student").get(f"/api/v1/courses/lessons/{second.pk}/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("enrolled_student", 200),
        ("other_student", 400),
        ("course_teacher", 400),
        ("other_school", 404),
    ],
)
def test_progress_api_matrix(as_person, course_world, person, expected):
    lesson = course_world["lessons"][0]
    response = as_person(person).post(
        f"/api/v1/courses/lessons/{lesson.pk}/progress/",
        {"seconds_spent": 30, "video_position": 12.5},
        content_type="application/json",
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    "body",
    [
        {"seconds_spent": -1},
        {"seconds_spent": 10**9},
        {"seconds_spent": "lots"},
        {"video_position": -1},
        {"video_position": "nan"},
        {"video_position": 1e12},
        ["not", "an", "object"],
    ],
)
def test_progress_api_bad_input_is_400_and_saves_nothing(as_person, course_world, body):
    lesson = course_world["lessons"][0]
    response = as_person("enrolled_student").post(
        f"/api/v1/courses/lessons/{lesson.pk}/progress/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not LessonProgress.objects.exists()


def test_complete_api_and_my_enrollments(as_person, course_world):
    client = as_person("enrolled_student")
    lesson = course_world["lessons"][0]
    response = client.post(f"/api/v1/courses/lessons/{lesson.pk}/complete/")
    assert response.status_code == 200
    assert response.json()["completed_at"]
    mine = client.get("/api/v1/courses/enrollments/mine/").json()["results"]
    assert mine == [
        {
            "course_id": course_world["course"].pk,
            "course_title": "Algebra",
            "status": "active",
            "source": "admin",
            "lesson_count": 4,
            "completed_count": 1,
        }
    ]


def test_complete_api_refuses_a_locked_lesson(as_person, course_world):
    first, second, *_ = course_world["lessons"]
    lesson_set_prerequisites(lesson=second, prerequisites=[first])
    response = as_person("enrolled_student").post(f"/api/v1/courses/lessons/{second.pk}/complete/")
    assert response.status_code == 400
    assert "first" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("lesson_id", [999999, 0])
def test_unknown_lesson_is_404(as_person, lesson_id):
    response = as_person("enrolled_student").post(f"/api/v1/courses/lessons/{lesson_id}/complete/")
    assert response.status_code == 404


def test_my_enrollments_never_lists_others(as_person, course_world):
    mine = as_person("other_student").get("/api/v1/courses/enrollments/mine/").json()
    assert mine["results"] == []
    assert Enrollment.objects.count() == 1
