"""Course recommendations: which courses, in which order, for which reason, at what cost."""

import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import EnrollmentStatus, KnowledgePointPrerequisite, Tag
from lms.models import Role
from personalization.models import MasteryEstimate
from personalization.recommend import (
    COLLABORATIVE_MIN_ENROLLMENTS,
    Recommendation,
    course_recommendations,
    recommendation_reason_text,
)
from personalization.services.profile import profile_update
from personalization.views.profile import recommendations_panel
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    KnowledgePointFactory,
    MembershipFactory,
    member,
)


@pytest.fixture
def world(course_world):
    """course_world, seen from A's enrolled student (enrolled in "Algebra", Mathematics)."""
    return {**course_world, "student": course_world["a"][Role.STUDENT]}


def course(world, title, subject="General", **fields):
    return CourseFactory(school=world["a"]["school"], title=title, subject=subject, **fields)


def titles(recommendations) -> list[str]:
    return [r.course.title for r in recommendations]


def test_only_courses_the_student_may_enroll_in_and_is_not_enrolled_in(world):
    # given
    today = timezone.localdate()
    course(world, "Open")
    course(
        world, "Ends next week", starts_on=today - timedelta(days=9), ends_on=today + timedelta(7)
    )
    course(world, "Draft", is_published=False)
    course(world, "Enrolled by the school only", allows_self_enrollment=False)
    course(world, "Ended", starts_on=today - timedelta(days=90), ends_on=today - timedelta(1))
    dropped = course(world, "Dropped")
    EnrollmentFactory(student=world["student"], course=dropped, status=EnrollmentStatus.DROPPED)
    completed = course(world, "Completed")
    EnrollmentFactory(student=world["student"], course=completed, status=EnrollmentStatus.COMPLETED)
    CourseFactory(school=world["b"]["school"], title="Other school's")
    # when
    recommendations = course_recommendations(student=world["student"], limit=50)
    # then
    assert sorted(titles(recommendations)) == ["Ends next week", "Open"]


def test_nobody_but_a_student_gets_recommendations_and_each_of_their_own_school(world):
    course(world, "Open")
    assert course_recommendations(student=world["a"][Role.TEACHER]) == []
    assert titles(course_recommendations(student=world["b"][Role.STUDENT])) == ["B's algebra"]
    assert course_recommendations(student=world["student"], limit=0) == []


def test_a_subject_of_interest_moves_its_courses_up(world):
    # given
    course(world, "Mechanics", "Physics", description="Forces and motion.")
    course(world, "Essays", "English", description="Writing clearly.")
    course(world, "Painting", "Art")
    student = world["student"]
    # when
    profile_update(student=student, interest_subjects=["Physics"])
    physics_first = course_recommendations(student=student)
    profile_update(student=student, interest_subjects=["English"])
    english_first = course_recommendations(student=student)
    # then
    assert physics_first[0].course.title == "Mechanics"
    assert physics_first[0].reason_code == "interest"
    assert physics_first[0].reason_args == {"topic": "Physics"}
    assert physics_first[0].reason == "Matches your interest in “Physics”."
    assert english_first[0].course.title == "Essays"
    assert english_first[0].score > english_first[1].score


def test_a_topic_of_interest_matches_the_courses_tag_and_similar_text(world):
    # given
    school = world["a"]["school"]
    poetry = Tag.objects.create(school=school, name="Poetry")
    verse = course(world, "Verse", "Literature")
    verse.tags.add(poetry)
    course(world, "Poetry in songs", "Music")
    course(world, "Woodwork", "Crafts")
    profile_update(student=world["student"], interest_tags=[poetry])
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert titles(recommendations)[:2] == ["Verse", "Poetry in songs"]
    assert recommendations[0].reason_args == {"topic": "Poetry"}
    assert recommendations[1].reason_code == "interest"
    assert recommendations[0].score > recommendations[1].score  # the exact match counts more


def test_goals_and_an_upcoming_exam_give_the_reason(world):
    # given
    course(world, "Organic chemistry", "Chemistry", description="Carbon compounds.")
    course(world, "Woodwork", "Crafts")
    exam = timezone.localdate() + timedelta(days=20)
    student = world["student"]
    profile_update(student=student, goal_text="Pass my chemistry exam", exam_date=exam)
    # when
    goal_only = course_recommendations(student=student)
    profile_update(student=student, interest_subjects=["Chemistry"])
    with_interest = course_recommendations(student=student)
    # then
    assert goal_only[0].course.title == "Organic chemistry"
    assert goal_only[0].reason_code == "goal"
    assert goal_only[0].reason_args == {"exam_date": exam.isoformat()}
    assert "exam on" in goal_only[0].reason
    assert with_interest[0].reason_code == "interest"
    assert with_interest[0].reason_args == {"topic": "Chemistry", "exam_date": exam.isoformat()}
    assert with_interest[0].reason.startswith("Matches your interest in “Chemistry” and your goal")
    assert goal_only[1].reason_code != "goal"  # woodwork does not match


def test_the_target_course_comes_first_and_courses_it_requires_prepare_for_it(world):
    # given
    calculus = course(world, "Calculus", "Analysis")
    precalculus = course(world, "Precalculus", "Functions")
    course(world, "Woodwork", "Crafts")
    limits = KnowledgePointFactory(course=calculus, name="Limits")
    sequences = KnowledgePointFactory(course=precalculus, name="Sequences")
    KnowledgePointPrerequisite.objects.create(knowledge_point=limits, prerequisite=sequences)
    profile_update(student=world["student"], target_course=calculus)
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert titles(recommendations)[:2] == ["Calculus", "Precalculus"]
    assert recommendations[0].reason_code == "target"
    assert recommendations[0].reason == "The course you aim for."
    assert recommendations[1].reason_code == "prepares"
    assert recommendations[1].reason == "Prepares you for “Calculus”, the course you aim for."


def test_a_course_building_on_a_completed_one_says_so(world):
    # given
    algebra = world["course"]
    enrollment = algebra.enrollments.get(student=world["student"])
    enrollment.status = EnrollmentStatus.COMPLETED
    enrollment.save()
    functions = course(world, "Functions", "Analysis")
    course(world, "Woodwork", "Crafts")
    equations = KnowledgePointFactory(course=algebra, name="Equations")
    graphs = KnowledgePointFactory(course=functions, name="Graphs")
    KnowledgePointPrerequisite.objects.create(knowledge_point=graphs, prerequisite=equations)
    # when
    completed = course_recommendations(student=world["student"])
    MasteryEstimate.objects.create(student=world["student"], knowledge_point=equations, mastery=0.9)
    did_well = course_recommendations(student=world["student"])
    # then
    assert completed[0].course == functions
    assert completed[0].reason == "Builds on “Algebra”, which you completed."
    assert did_well[0].reason == "Builds on “Algebra”, where you did well."
    assert did_well[0].score > completed[0].score


def test_a_course_like_one_the_student_takes_comes_first(world):
    # given
    algebra = world["course"]
    algebra.description = "Equations, polynomials and inequalities."
    algebra.save()
    course(world, "Polynomials", "Mathematics", description="Polynomials and their roots.")
    course(world, "Woodwork", "Crafts", description="Tables and chairs.")
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert recommendations[0].course.title == "Polynomials"
    assert recommendations[0].reason == "Like “Algebra”, which you are taking."


def test_the_students_level_moves_courses_of_that_level_up(world):
    # given
    course(world, "Course A", level="junior")
    course(world, "Course B", level="senior")
    course(world, "Course C", level="primary")
    profile_update(student=world["student"], education_level="high")
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert titles(recommendations) == ["Course B", "Course A", "Course C"]
    assert recommendations[0].reason_code == "level"
    assert recommendations[0].reason == "Level matches yours."
    assert recommendations[1].reason == "Close to your level."
    assert recommendations[2].score < 0  # two levels away


def _co_enrollments(world, *, together: int, art_only: int):
    """`together` students took Algebra and Statistics; `art_only` others took Painting only."""
    school = world["a"]["school"]
    statistics = course(world, "Statistics", "Data")
    painting = course(world, "Painting", "Art")
    for i in range(together):
        other = member(school, Role.STUDENT, username=f"together{i}")
        EnrollmentFactory(student=other, course=world["course"])
        EnrollmentFactory(student=other, course=statistics)
    for i in range(art_only):
        EnrollmentFactory(student=member(school, Role.STUDENT, username=f"art{i}"), course=painting)
    return statistics, painting


def test_students_who_took_the_same_course_tell_what_to_take_next(world):
    # given enough enrollments, Painting more popular than Statistics
    statistics, painting = _co_enrollments(world, together=12, art_only=15)
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert [r.course for r in recommendations] == [statistics, painting]
    assert recommendations[0].reason_code == "co_enrolled"
    assert recommendations[0].reason == "Students who took “Algebra” also took this."
    assert recommendations[1].reason_code == "popular"
    assert recommendations[1].reason == "15 students of your school take it."


def test_co_enrollment_is_not_used_with_too_few_enrollments(world):
    # given
    statistics, painting = _co_enrollments(world, together=3, art_only=5)
    assert COLLABORATIVE_MIN_ENROLLMENTS > 1 + 2 * 3 + 5
    # when
    recommendations = course_recommendations(student=world["student"])
    # then
    assert [r.course for r in recommendations] == [painting, statistics]
    assert [r.reason for r in recommendations] == [
        "5 students of your school take it.",
        "Open for enrollment in your school.",  # 3 is too few to say
    ]


def test_recommendations_are_deterministic_and_every_reason_is_stored_as_json(world):
    # given
    for i in range(8):
        course(world, f"Course {i}", "Physics" if i % 2 else "History")
    _co_enrollments(world, together=10, art_only=10)
    profile_update(
        student=world["student"],
        interest_subjects=["Physics"],
        goal_text="Physics",
        exam_date=timezone.localdate() + timedelta(days=3),
        education_level="high",
    )
    # when
    first = course_recommendations(student=world["student"], limit=20)
    second = course_recommendations(student=world["student"], limit=20)
    # then
    assert first == second
    assert len(first) == 10
    assert [r.score for r in first] == sorted((r.score for r in first), reverse=True)
    for recommendation in first:
        assert isinstance(recommendation, Recommendation)
        assert json.loads(json.dumps(recommendation.reason_args)) == recommendation.reason_args
        assert recommendation.reason
        assert recommendation.reason != "Recommended for you."


def test_school_limits_the_courses_to_one_school(world):
    # given a student of both schools
    MembershipFactory(user=world["student"], school=world["b"]["school"], role=Role.STUDENT)
    course(world, "A's course")
    # when
    everywhere = course_recommendations(student=world["student"])
    in_a = course_recommendations(student=world["student"], school=world["a"]["school"])
    # then
    assert sorted(titles(everywhere)) == ["A's course", "B's algebra"]
    assert titles(in_a) == ["A's course"]


def _catalog(world, size: int) -> None:
    school = world["a"]["school"]
    tags = [Tag.objects.create(school=school, name=f"topic {i}") for i in range(3)]
    for i in range(size):
        new = course(world, f"Course {i}", f"Subject {i % 4}", description=f"About topic {i}.")
        new.tags.add(tags[i % 3])
        KnowledgePointFactory(course=new, name=f"Point {i}")
    others = [member(school, Role.STUDENT, username=f"peer{i}") for i in range(12)]
    for i, other in enumerate(others):
        EnrollmentFactory(student=other, course=world["course"])
        EnrollmentFactory(student=other, course=world["course"].school.courses.all()[i % size])
    profile_update(
        student=world["student"],
        interest_subjects=["Subject 1"],
        interest_tags=tags[:2],
        goal_text="topic",
        target_course=world["course"].school.courses.exclude(pk=world["course"].pk).first(),
        education_level="high",
    )
    MasteryEstimate.objects.create(
        student=world["student"],
        knowledge_point=KnowledgePointFactory(course=world["course"]),
        mastery=0.5,
    )


@pytest.mark.parametrize("size", [3, 60])
def test_the_number_of_queries_does_not_grow_with_the_catalog(
    world, size, django_assert_max_num_queries
):
    # given
    _catalog(world, size)
    # when
    with django_assert_max_num_queries(9):
        recommendations = course_recommendations(student=world["student"], limit=20)
        reasons = [r.reason for r in recommendations]
    # then
    assert len(recommendations) == min(size, 20)
    assert all(reasons)


# --- Reasons in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "args", "text"),
    [
        ("interest", {"topic": "Algebra"}, "Matches your interest in “Algebra”."),
        (
            "interest",
            {"topic": "Algebra", "exam_date": "2031-06-03"},
            "Matches your interest in “Algebra” and your goal for the exam on June 3, 2031.",
        ),
        ("goal", {}, "Matches the goals you described."),
        ("goal", {"exam_date": "2031-06-03"}, "Matches your goal for the exam on June 3, 2031."),
        ("target", {}, "The course you aim for."),
        (
            "prepares",
            {"course": "Physics 2"},
            "Prepares you for “Physics 2”, the course you aim for.",
        ),
        (
            "builds_on",
            {"course": "Algebra", "status": "completed"},
            "Builds on “Algebra”, which you completed.",
        ),
        (
            "builds_on",
            {"course": "Algebra", "status": "taking"},
            "Builds on “Algebra”, which you are taking.",
        ),
        (
            "similar",
            {"course": "Algebra", "status": "mastered"},
            "Like “Algebra”, where you did well.",
        ),
        ("co_enrolled", {"course": "Physics 1"}, "Students who took “Physics 1” also took this."),
        ("level", {"level": "senior"}, "Level matches yours."),
        ("level", {"level": "senior", "near": True}, "Close to your level."),
        ("popular", {"count": 1}, "1 student of your school takes it."),
        ("popular", {"count": "many"}, "0 students of your school take it."),
        ("open", {}, "Open for enrollment in your school."),
        ("unknown-code", {}, "Recommended for you."),
        ("interest", None, "Matches your interest in “”."),
        ("goal", {"exam_date": "not a date"}, "Matches your goal for the exam on not a date."),
    ],
)
def test_reason_text(code, args, text):
    with translation.override("en"):
        assert recommendation_reason_text(code, args) == text


def test_reason_text_this_year_leaves_the_year_out():
    day = timezone.localdate().replace(month=6, day=3)
    with translation.override("en"):
        text = recommendation_reason_text("goal", {"exam_date": day.isoformat()})
    assert text == "Matches your goal for the exam on June 3."


def test_reason_text_follows_the_active_language():
    with translation.override("zh-hans"):
        text = recommendation_reason_text("goal", {"exam_date": "2031-06-03"})
    assert "2031" in text


# --- Page, panel and API ------------------------------------------------------------------------


def test_recommendations_page_shows_cards_with_reason_and_enroll_button(as_person, world):
    # given
    mechanics = course(world, "Mechanics", "Physics")
    profile_update(student=world["student"], interest_subjects=["Physics"])
    # when
    response = as_person("enrolled_student").get(reverse("personalization:recommendations"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mechanics" in html
    assert "Matches your interest in “Physics”." in html
    assert f'action="{reverse("courses:course_enroll", args=[mechanics.pk])}"' in html
    assert f'href="{reverse("courses:course_detail", args=[mechanics.pk])}"' in html
    assert "Algebra" not in html.split('id="main"')[1]  # enrolled already


def test_recommendations_page_invites_a_new_student_to_the_welcome_questions(as_person, world):
    html = as_person("enrolled_student").get(reverse("personalization:recommendations")).content
    assert reverse("personalization:onboarding") in html.decode()


def test_enrolling_from_a_recommendation(as_person, world):
    # given
    mechanics = course(world, "Mechanics", "Physics")
    client = as_person("enrolled_student")
    # when
    response = client.post(reverse("courses:course_enroll", args=[mechanics.pk]))
    # then
    assert response.status_code == 302
    assert titles(course_recommendations(student=world["student"])) == []


def test_dashboard_panel(world):
    # given
    course(world, "Mechanics", "Physics")
    request = RequestFactory().get("/")
    request.user = world["student"]
    # when
    data = recommendations_panel(request, world["a"]["school"])
    html = render_to_string("personalization/_recommendations_panel.html", {"data": data})
    # then
    assert titles(data["recommendations"]) == ["Mechanics"]
    assert data["needs_onboarding"] is True
    assert "Recommended for you" in html
    assert "Mechanics" in html
    assert reverse("personalization:onboarding") in html


def test_api_lists_recommendations_with_reasons(as_person, world):
    # given
    mechanics = course(world, "Mechanics", "Physics")
    course(world, "Painting", "Art")
    profile_update(student=world["student"], interest_subjects=["Physics"])
    # when
    response = as_person("enrolled_student").get(
        reverse("personalization-api:recommendations"),
        {"limit": 1, "school": world["a"]["school"].pk},
    )
    # then
    assert response.status_code == 200
    [first] = response.json()
    assert first["course"] == {"id": mechanics.pk, "code": mechanics.code, "title": "Mechanics"}
    assert first["reason_code"] == "interest"
    assert first["reason_args"] == {"topic": "Physics"}
    assert first["reason"] == "Matches your interest in “Physics”."
    assert first["url"] == reverse("courses:course_detail", args=[mechanics.pk])
    assert isinstance(first["score"], float)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 400),
        ({"limit": 21}, 400),
        ({"limit": "many"}, 400),
        ({"school": "abc"}, 400),
        ({"school": 0}, 400),
        ({"school": 2**70}, 400),
        ({"school": "other"}, 404),  # a school the student does not belong to
        ({"school": 999_999_999}, 404),
    ],
)
def test_api_refuses_bad_parameters(as_person, world, params, status):
    if params.get("school") == "other":
        params = {"school": world["b"]["school"].pk}
    response = as_person("enrolled_student").get(
        reverse("personalization-api:recommendations"), params
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["detail"]
