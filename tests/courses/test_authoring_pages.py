"""Course editor pages: only a course's teachers and its school's admins may change it."""

import pytest
from django.urls import reverse

from courses.models import BlockKind, ContentBlock, Course, KnowledgePoint, Lesson, Module
from courses.services.authoring import block_create, knowledge_point_create
from tests.courses.conftest import PEOPLE, page_status

EDITORS = {"course_teacher", "school_admin"}


def _editor_urls(world):
    course = world["course"]
    module = world["modules"][0]
    lesson = world["lessons"][0]
    block = block_create(lesson=lesson, kind=BlockKind.TEXT, body="x")
    kp = knowledge_point_create(course=course, name="Fractions")
    return {
        "get": [
            reverse("courses:course_edit", args=[course.pk]),
            reverse("courses:lesson_edit", args=[lesson.pk]),
            reverse("courses:block_edit", args=[block.pk]),
            reverse("courses:knowledge_points", args=[course.pk]),
            reverse("courses:roster", args=[course.pk]),
            reverse("courses:module_delete", args=[module.pk]),
            reverse("courses:lesson_delete", args=[lesson.pk]),
            reverse("courses:block_delete", args=[block.pk]),
            reverse("courses:course_delete", args=[course.pk]),
            reverse("courses:knowledge_point_delete", args=[course.pk, kp.pk]),
        ],
        "post": [
            (reverse("courses:module_create", args=[course.pk]), {"title": "New"}),
            (reverse("courses:module_rename", args=[module.pk]), {"title": "Renamed"}),
            (reverse("courses:module_move", args=[module.pk]), {"direction": "down"}),
            (
                reverse("courses:lesson_create", args=[module.pk]),
                {"title": "L", "estimated_minutes": 5},
            ),
            (reverse("courses:lesson_move", args=[lesson.pk]), {"direction": "down"}),
            (reverse("courses:lesson_duplicate", args=[lesson.pk]), {}),
            (reverse("courses:block_move", args=[block.pk]), {"direction": "up"}),
            (reverse("courses:course_publish", args=[course.pk]), {"publish": "0"}),
            (reverse("courses:module_duplicate", args=[module.pk]), {}),
        ],
    }


@pytest.mark.parametrize("person", list(PEOPLE))
def test_editor_pages_matrix(as_person, course_world, person):
    urls = _editor_urls(course_world)
    client = as_person(person)
    counts = (Module.objects.count(), Lesson.objects.count(), ContentBlock.objects.count())
    for url in urls["get"]:
        status = page_status(client.get(url))
        expected = "login" if person == "anonymous" else 200 if person in EDITORS else 404
        assert status == expected, url
    for url, data in urls["post"]:
        status = page_status(client.post(url, data))
        expected = "login" if person == "anonymous" else 302 if person in EDITORS else 404
        assert status == expected, url
    if person not in EDITORS:
        assert counts == (
            Module.objects.count(),
            Lesson.objects.count(),
            ContentBlock.objects.count(),
        )
        assert Course.objects.get(pk=course_world["course"].pk).is_published


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("course_teacher", 200),
        ("school_admin", 200),
        ("enrolled_student", 404),
        ("anonymous", "login"),
    ],
)
def test_new_course_page_matrix(as_person, person, expected):
    assert page_status(as_person(person).get(reverse("courses:course_create"))) == expected


def test_teacher_builds_and_publishes_a_course(as_person, course_world):
    client = as_person("course_teacher")
    response = client.post(
        reverse("courses:course_create"),
        {
            "code": "ML-101",
            "title": "Machine learning",
            "subject": "Computer science",
            "level": "university",
            "tags": "ml, python",
            "allows_self_enrollment": "on",
        },
    )
    course = Course.objects.get(code="ML-101")
    assert response.url == reverse("courses:course_edit", args=[course.pk])
    assert list(course.teachers.all()) == [course_world["a"]["teacher"]]
    assert not course.is_published
    # publishing an empty course is refused with a message
    response = client.post(
        reverse("courses:course_publish", args=[course.pk]), {"publish": "1"}, follow=True
    )
    assert "at least one lesson" in response.content.decode()
    client.post(reverse("courses:module_create", args=[course.pk]), {"title": "Linear regression"})
    module = course.modules.get()
    response = client.post(
        reverse("courses:lesson_create", args=[module.pk]),
        {"title": "Least squares", "estimated_minutes": 15},
    )
    lesson = module.lessons.get()
    assert response.url == reverse("courses:lesson_edit", args=[lesson.pk])
    client.post(
        reverse("courses:block_create", args=[lesson.pk]),
        {"block-kind": "text", "block-body": "Minimise $\\sum (y - \\hat y)^2$."},
    )
    assert lesson.blocks.get().body.startswith("Minimise")
    client.post(
        reverse("courses:knowledge_points", args=[course.pk]),
        {"add_kp": "1", "kp-name": "Least squares"},
    )
    kp = course.knowledge_points.get()
    client.post(
        reverse("courses:lesson_edit", args=[lesson.pk]),
        {
            "lesson-title": "Least squares",
            "lesson-estimated_minutes": 20,
            "tags-knowledge_points": [kp.pk],
        },
    )
    assert list(lesson.knowledge_points.all()) == [kp]
    client.post(reverse("courses:course_publish", args=[course.pk]), {"publish": "1"})
    course.refresh_from_db()
    assert course.is_published


def test_duplicate_course_code_is_shown_on_the_form(as_person):
    response = as_person("course_teacher").post(
        reverse("courses:course_create"),
        {"code": "math-1", "title": "Dup", "subject": "M", "level": "senior"},
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Course.objects.filter(title="Dup").count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"block-kind": "text", "block-body": ""},
        {"block-kind": "video"},
        {"block-kind": "video", "block-url": "javascript:alert(1)"},
        {"block-kind": "bogus", "block-body": "x"},
        {"block-kind": "text", "block-body": "x" * 100_001},
    ],
)
def test_bad_blocks_are_refused_and_save_nothing(as_person, course_world, data):
    lesson = course_world["lessons"][0]
    response = as_person("course_teacher").post(
        reverse("courses:block_create", args=[lesson.pk]), data
    )
    assert response.status_code == 400
    assert not ContentBlock.objects.exists()


def test_prerequisite_cycle_is_refused_on_the_page_naming_it(as_person, course_world):
    course = course_world["course"]
    a = knowledge_point_create(course=course, name="Counting")
    b = knowledge_point_create(course=course, name="Adding")
    client = as_person("course_teacher")
    url = reverse("courses:knowledge_points", args=[course.pk])
    client.post(url, {"add_prereq": "1", "pre-knowledge_point": b.pk, "pre-prerequisite": a.pk})
    response = client.post(
        url, {"add_prereq": "1", "pre-knowledge_point": a.pk, "pre-prerequisite": b.pk}
    )
    assert response.status_code == 400
    assert "cycle: Counting → Adding → Counting" in response.content.decode()
    assert KnowledgePoint.objects.get(pk=a.pk).prerequisites.count() == 0


def test_delete_course_with_students_is_refused(as_person, course_world):
    course = course_world["course"]
    response = as_person("school_admin").post(
        reverse("courses:course_delete", args=[course.pk]), follow=True
    )
    assert "unpublish it instead" in response.content.decode()
    assert Course.objects.filter(pk=course.pk).exists()


def test_moving_and_deleting_lessons(as_person, course_world):
    client = as_person("course_teacher")
    first, second = course_world["lessons"][:2]
    client.post(reverse("courses:lesson_move", args=[first.pk]), {"direction": "down"})
    assert list(first.module.lessons.order_by("position")) == [second, first]
    client.post(reverse("courses:lesson_delete", args=[second.pk]))
    assert not Lesson.objects.filter(pk=second.pk).exists()


def test_renaming_a_knowledge_point_reaches_the_outline(as_person, course_world):
    from courses.services.authoring import lesson_set_knowledge_points

    course = course_world["course"]
    kp = knowledge_point_create(course=course, name="Fractons")
    lesson_set_knowledge_points(lesson=course_world["lessons"][0], knowledge_points=[kp])
    student_page = reverse("courses:course_detail", args=[course.pk])
    assert "Fractons" in as_person("enrolled_student").get(student_page).content.decode()
    teacher = as_person("course_teacher")
    response = teacher.post(
        reverse("courses:knowledge_point_edit", args=[course.pk, kp.pk]), {"name": "Fractions"}
    )
    assert response.status_code == 302
    assert "Fractions" in teacher.get(student_page).content.decode()
    other = knowledge_point_create(course=course, name="Decimals")
    response = teacher.post(
        reverse("courses:knowledge_point_edit", args=[course.pk, other.pk]), {"name": "fractions"}
    )
    assert response.status_code == 400
    assert "already has a knowledge point" in response.content.decode()


@pytest.mark.parametrize(
    ("person", "expected"),
    [("course_teacher", 200), ("other_teacher", 404), ("enrolled_student", 404)],
)
def test_knowledge_point_api_update_matrix(as_person, course_world, person, expected):
    kp = knowledge_point_create(course=course_world["course"], name="Ratios")
    response = as_person(person).patch(
        f"/api/v1/courses/knowledge-points/{kp.pk}/",
        {"name": "Proportions"},
        content_type="application/json",
    )
    assert response.status_code == expected
    kp.refresh_from_db()
    assert kp.name == ("Proportions" if expected == 200 else "Ratios")


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("course_teacher", 302),
        ("school_admin", 302),
        ("other_teacher", 404),
        ("enrolled_student", 404),
    ],
)
def test_course_copy_page_matrix(as_person, course_world, person, expected):
    response = as_person(person).post(
        reverse("courses:course_duplicate", args=[course_world["course"].pk]),
        {"code": "COPY-1", "title": "Copy"},
    )
    assert response.status_code == expected
    assert Course.objects.filter(code="COPY-1").exists() is (expected == 302)


@pytest.mark.parametrize(
    ("person", "expected"), [("course_teacher", 201), ("other_teacher", 404), ("anonymous", 401)]
)
def test_course_copy_api_matrix(as_person, course_world, person, expected):
    response = as_person(person).post(
        f"/api/v1/courses/manage/{course_world['course'].pk}/duplicate/",
        {"code": "COPY-2", "title": "Copy"},
        content_type="application/json",
    )
    assert response.status_code == expected
