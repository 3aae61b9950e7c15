"""The profile API: reading and saving one's own profile, bad input, a teacher's read."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.models import Role
from personalization.services.profile import profile_update
from tests.personalization.test_profile import profile_world, rows

__all__ = ["profile_world"]

URL = "/api/v1/personalization/profile/"


def put(client, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.put(URL, data, content_type="application/json")


def assert_error(response, status: int, attr: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] in ("validation_error", "client_error")
    assert all(error["detail"].strip() for error in body["errors"])
    if attr is not None:
        assert any((error["attr"] or "").startswith(attr) for error in body["errors"]), body


def test_url_is_where_the_brief_says():
    assert reverse("personalization-api:profile") == URL
    assert reverse("personalization-api:recommendations") == (
        "/api/v1/personalization/recommendations/"
    )
    assert reverse("personalization-api:student_profile", args=[7]) == (
        "/api/v1/personalization/students/7/profile/"
    )


def test_get_before_any_save_gives_defaults_and_the_choices(as_person, profile_world):
    # when
    body = as_person("enrolled_student").get(URL).json()
    # then
    assert body["onboarded_at"] is None
    assert body["interest_tags"] == []
    assert body["target_course"] is None
    assert body["choices"]["subjects"] == ["Mathematics", "Physics"]
    assert [t["name"] for t in body["choices"]["tags"]] == ["algebra", "space"]
    assert {c["title"] for c in body["choices"]["courses"]} == {"Algebra", "Mechanics"}


def test_put_saves_the_fields_given_and_keeps_the_others(as_person, profile_world):
    # given
    client = as_person("enrolled_student")
    exam = (timezone.localdate() + timedelta(days=10)).isoformat()
    put(client, {"weekly_minutes": 300, "goal_text": "Stars"})
    # when
    response = put(
        client,
        {
            "interest_subjects": ["Physics"],
            "interest_tags": [profile_world["space_tag"].pk, profile_world["space_tag"].pk],
            "target_course": profile_world["physics"].pk,
            "exam_date": exam,
            "preferred_formats": ["practice", "video"],
            "study_days": [7, 6],
            "education_level": "undergraduate",
        },
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["weekly_minutes"] == 300
    assert body["goal_text"] == "Stars"
    assert body["interest_subjects"] == ["Physics"]
    assert body["interest_tags"] == [{"id": profile_world["space_tag"].pk, "name": "space"}]
    assert body["target_course"]["title"] == "Mechanics"
    assert body["exam_date"] == exam
    assert body["preferred_formats"] == ["video", "practice"]
    assert body["study_days"] == [6, 7]
    assert body["education_level"] == "undergraduate"
    assert body["onboarded_at"] is not None
    # and clearing
    cleared = put(client, {"target_course": None, "exam_date": None, "interest_tags": []}).json()
    assert cleared["target_course"] is None
    assert cleared["exam_date"] is None
    assert cleared["interest_tags"] == []


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"weekly_minutes": "lots"}, "weekly_minutes"),
        ({"weekly_minutes": 14}, "weekly_minutes"),
        ({"weekly_minutes": 2401}, "weekly_minutes"),
        ({"weekly_minutes": True}, "weekly_minutes"),
        ({"weekly_minutes": 2**70}, "weekly_minutes"),
        ({"study_days": [0]}, "study_days"),
        ({"study_days": [8]}, "study_days"),
        ({"study_days": "1"}, "study_days"),
        ({"study_days": [1, 2, 3, 4, 5, 6, 7, 1]}, "study_days"),
        ({"study_days": [{"day": 1}]}, "study_days"),
        ({"preferred_formats": ["dancing"]}, "preferred_formats"),
        ({"preferred_formats": "video"}, "preferred_formats"),
        ({"interest_subjects": ["Alchemy"]}, "interest_subjects"),
        ({"interest_subjects": ["History"]}, "interest_subjects"),
        ({"interest_subjects": ["x" * 81]}, "interest_subjects"),
        ({"interest_subjects": [["Physics"]]}, "interest_subjects"),
        ({"interest_tags": ["abc"]}, "interest_tags"),
        ({"interest_tags": [0]}, "interest_tags"),
        ({"interest_tags": [999_999_999]}, "interest_tags"),
        ({"interest_tags": list(range(1, 60))}, "interest_tags"),
        ({"target_course": 999_999_999}, "target_course"),
        ({"target_course": "Mechanics"}, "target_course"),
        ({"exam_date": "2026-02-30"}, "exam_date"),
        ({"exam_date": "1999-01-01"}, "exam_date"),
        ({"exam_date": "2000-01-01"}, "exam_date"),  # in the past
        ({"exam_date": 20300101}, "exam_date"),
        ({"goal_text": "x" * 2001}, "goal_text"),
        ({"goal_text": ["a"]}, "goal_text"),
        ({"education_level": "wizard"}, "education_level"),
        ("[1, 2]", None),
        ('{"weekly_minutes": ', None),
        ("[[[[[[[[[[" * 200 + "]]]]]]]]]]" * 200, None),
    ],
)
def test_put_refuses_bad_input_with_a_400_and_changes_nothing(as_person, profile_world, body, attr):
    # given
    client = as_person("enrolled_student")
    profile_update(student=profile_world["student"], weekly_minutes=90)
    before = rows()
    # when
    response = put(client, body)
    # then
    assert_error(response, 400, attr)
    assert rows() == before


def test_put_refuses_another_schools_topic_and_course_like_an_unknown_one(as_person, profile_world):
    # given
    client = as_person("enrolled_student")
    before = rows()
    # when
    foreign_tag = put(client, {"interest_tags": [profile_world["b_tag"].pk]})
    unknown_tag = put(client, {"interest_tags": [999_999_999]})
    foreign_course = put(client, {"target_course": profile_world["b_course"].pk})
    draft_course = put(client, {"target_course": profile_world["draft"].pk})
    # then
    assert_error(foreign_tag, 400, "interest_tags")
    assert foreign_tag.json() == unknown_tag.json()
    assert_error(foreign_course, 400, "target_course")
    assert_error(draft_course, 400, "target_course")
    assert rows() == before


def test_teacher_reads_only_the_topics_and_course_of_their_own_schools(as_person, profile_world):
    # given a student of both schools, with a topic and a target course in B
    student = profile_world["student"]
    b = profile_world["b"]["school"]
    from tests.factories import MembershipFactory

    MembershipFactory(user=student, school=b, role=Role.STUDENT)
    profile_update(
        student=student,
        interest_tags=[profile_world["space_tag"], profile_world["b_tag"]],
        target_course=profile_world["b_course"],
        interest_subjects=["History", "Physics"],
    )
    # when
    teacher = as_person("course_teacher").get(
        reverse("personalization-api:student_profile", args=[student.pk])
    )
    own = as_person("enrolled_student").get(URL)
    # then
    assert [t["name"] for t in teacher.json()["interest_tags"]] == ["space"]
    assert teacher.json()["target_course"] is None
    assert "choices" not in teacher.json()
    assert [t["name"] for t in own.json()["interest_tags"]] == ["b-topic", "space"]
    assert own.json()["target_course"]["title"] == "B's history"


def test_teacher_reads_a_profile_not_yet_saved(as_person, profile_world):
    response = as_person("school_admin").get(
        reverse("personalization-api:student_profile", args=[profile_world["student"].pk])
    )
    assert response.status_code == 200
    assert response.json()["onboarded_at"] is None
    assert response.json()["updated_at"] is None
