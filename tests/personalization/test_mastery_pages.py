"""
A learner's mastery page and API: each knowledge point's current mastery, its history and the
evidence behind it; "not assessed yet" without evidence; who may look (the learner, their
teachers, their school's admins) and who gets a 404.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Attempt, AttemptStatus
from assessments.services.authoring import assessment_create
from lms.models import Role
from personalization.models import MasteryEstimate, MasterySnapshot
from tests.factories import CourseFactory, EnrollmentFactory, KnowledgePointFactory
from tests.personalization.conftest import PEOPLE, page_status

# --- Small factories shared by the mastery, heatmap and at-risk tests ---------------------------


def estimate(student, point, mastery, *, evidence=4, correct=None, at=None) -> MasteryEstimate:
    """The current estimate, as the refresh service leaves it."""
    return MasteryEstimate.objects.create(
        student=student,
        knowledge_point=point,
        mastery=mastery,
        evidence=evidence,
        correct=round(evidence * mastery) if correct is None else correct,
        last_practiced_at=at or timezone.now(),
    )


def history(student, point, values, *, start=None, attempt=None) -> list[MasterySnapshot]:
    """One snapshot per value, a day apart, ending now; the last one after `attempt`."""
    start = start or timezone.now() - timedelta(days=len(values))
    return [
        MasterySnapshot.objects.create(
            student=student,
            knowledge_point=point,
            mastery=value,
            at=start + timedelta(days=i),
            attempt=attempt if i == len(values) - 1 else None,
        )
        for i, value in enumerate(values)
    ]


def submitted_attempt(assessment, student, *, at=None, number=1) -> Attempt:
    at = at or timezone.now()
    return Attempt.objects.create(
        assessment=assessment,
        student=student,
        number=number,
        status=AttemptStatus.SUBMITTED,
        started_at=at - timedelta(minutes=30),
        submitted_at=at,
        score=1,
        max_score=2,
    )


@pytest.fixture
def mastery_world(course_world):
    """
    course_world's Algebra with three knowledge points. The enrolled student has Fractions at
    0.44 (6 answers, 2 right; it rose from 0.50 to 0.71 and fell after "Unit test 2"), Decimals
    at 0.85 (4 of 4), and no evidence on Ratios.
    """
    course = course_world["course"]
    student = course_world["a"][Role.STUDENT]
    fractions = KnowledgePointFactory(course=course, name="Fractions")
    decimals = KnowledgePointFactory(course=course, name="Decimals")
    ratios = KnowledgePointFactory(course=course, name="Ratios")
    test = assessment_create(course=course, title="Unit test 2", kind="unit_test")
    attempt = submitted_attempt(test, student)
    practised = timezone.now() - timedelta(days=1)
    estimate(student, fractions, 0.44, evidence=6, correct=2, at=practised)
    estimate(student, decimals, 0.85, evidence=4, correct=4, at=practised)
    history(student, fractions, [0.50, 0.71, 0.44], attempt=attempt)
    history(student, decimals, [0.85])
    return {
        **course_world,
        "student": student,
        "teacher": course_world["a"][Role.TEACHER],
        "fractions": fractions,
        "decimals": decimals,
        "ratios": ratios,
        "test": test,
        "attempt": attempt,
    }


def _student_url(world) -> str:
    return reverse("personalization:student_mastery", args=[world["student"].pk])


# --- What the page shows ------------------------------------------------------------------------


def test_the_page_shows_each_points_mastery_evidence_and_history(client, mastery_world):
    # given
    client.force_login(mastery_world["student"])
    # when
    response = client.get(reverse("personalization:mastery"))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "My mastery" in html
    assert "Algebra" in html
    points = {p.knowledge_point.name: p for p in response.context["courses"][0].points}
    assert list(points) == ["Decimals", "Fractions", "Ratios"]
    fractions = points["Fractions"]
    assert (fractions.mastery, fractions.evidence, fractions.correct) == (0.44, 6, 2)
    assert [step.mastery for step in fractions.history] == [0.50, 0.71, 0.44]
    assert fractions.history[-1].assessment == "Unit test 2"
    assert fractions.level == "needs_work"
    assert points["Decimals"].level == "mastered"
    # the numbers in words beside the pictures, the history as an image with a text alternative
    assert "<strong>44%</strong> · Needs work" in html
    assert "<strong>85%</strong> · Mastered" in html
    assert "6 answers seen, 2 correct" in html
    assert 'role="img" aria-label="Mastery of “Fractions” over 3 refreshes: from 50%' in html
    assert "lowest 44%, highest 71%" in html
    assert "after “Unit test 2”" in html
    assert html.count('<svg class="mastery-gauge') == 3


def test_a_point_without_evidence_is_not_assessed_yet(client, mastery_world):
    # given an estimate the model wrote without any graded answer (a prior)
    student = mastery_world["student"]
    MasteryEstimate.objects.create(
        student=student, knowledge_point=mastery_world["ratios"], mastery=0.3, evidence=0
    )
    client.force_login(student)
    # when
    response = client.get(reverse("personalization:mastery"))
    # then
    ratios = next(
        p for p in response.context["courses"][0].points if p.knowledge_point.name == "Ratios"
    )
    assert ratios.mastery is None
    assert ratios.level == "not_assessed"
    assert ratios.history == ()
    html = response.content.decode()
    assert 'data-level="not_assessed"' in html
    assert "No answers on this knowledge point yet." in html
    assert 'class="mastery-gauge is-empty"' in html


def test_only_active_enrollments_count_and_a_course_without_points_says_so(client, course_world):
    # given a dropped course and a course without knowledge points
    student = course_world["a"][Role.STUDENT]
    dropped = CourseFactory(school=course_world["a"]["school"], title="Dropped course")
    KnowledgePointFactory(course=dropped, name="Gone")
    EnrollmentFactory(student=student, course=dropped, status="dropped")
    client.force_login(student)
    # when
    html = client.get(reverse("personalization:mastery")).content.decode()
    # then
    assert "Dropped course" not in html
    assert "This course has no knowledge points yet." in html


def test_someone_enrolled_nowhere_gets_an_empty_page(as_person):
    response = as_person("other_student").get(reverse("personalization:mastery"))
    assert response.status_code == 200
    assert "You are not enrolled in any course yet." in response.content.decode()


def test_a_teacher_sees_the_students_page_under_the_students_name(as_person, mastery_world):
    response = as_person("course_teacher").get(_student_url(mastery_world))
    html = response.content.decode()
    assert f"Mastery of {mastery_world['student'].name}" in html
    assert "<strong>44%</strong>" in html


def test_the_api_gives_mastery_per_course_and_point_with_history(as_person, mastery_world):
    # when
    response = as_person("enrolled_student").get(reverse("personalization-api:mastery"))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["student"] == mastery_world["student"].pk
    [course] = body["courses"]
    assert (course["id"], course["title"]) == (mastery_world["course"].pk, "Algebra")
    points = {p["name"]: p for p in course["knowledge_points"]}
    fractions = points["Fractions"]
    assert fractions["mastery"] == 0.44
    assert fractions["mastery_level"] == "needs_work"
    assert (fractions["evidence"], fractions["correct"]) == (6, 2)
    assert fractions["last_practiced_at"]
    assert [h["mastery"] for h in fractions["history"]] == [0.50, 0.71, 0.44]
    assert fractions["history"][-1]["attempt"] == mastery_world["attempt"].pk
    assert fractions["history"][-1]["assessment"] == "Unit test 2"
    ratios = points["Ratios"]
    assert ratios["mastery"] is None
    assert ratios["mastery_level"] == "not_assessed"
    assert (ratios["evidence"], ratios["history"]) == (0, [])


# --- Who may look ---------------------------------------------------------------------------------

# Who may see the enrolled student's mastery: themself, the course's teacher (also their homeroom
# teacher) and the school's admin. Nobody else learns that the student exists.
MAY_SEE_STUDENT = {"enrolled_student", "course_teacher", "school_admin"}


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_students_page_matrix(as_person, mastery_world, person):
    status = page_status(as_person(person).get(_student_url(mastery_world)))
    expected = "login" if person == "anonymous" else 200 if person in MAY_SEE_STUDENT else 404
    assert status == expected


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_students_api_matrix(as_person, mastery_world, person):
    url = reverse("personalization-api:student_mastery", args=[mastery_world["student"].pk])
    response = as_person(person).get(url)
    expected = 401 if person == "anonymous" else 200 if person in MAY_SEE_STUDENT else 404
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["courses"][0]["knowledge_points"][1]["mastery"] == 0.44
    else:
        assert "0.44" not in response.content.decode()


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_own_page_and_api_are_for_anyone_signed_in(as_person, mastery_world, person):
    client = as_person(person)
    page = page_status(client.get(reverse("personalization:mastery")))
    api = client.get(reverse("personalization-api:mastery")).status_code
    assert (page, api) == (("login", 401) if person == "anonymous" else (200, 200))


def test_a_homeroom_teacher_who_does_not_teach_the_course_may_look(client, mastery_world):
    # given a teacher of school A made homeroom teacher of the student's classroom
    homeroom = mastery_world["other_teacher"]
    mastery_world["a"]["classroom"].homeroom_teachers.add(homeroom)
    client.force_login(homeroom)
    # then
    assert client.get(_student_url(mastery_world)).status_code == 200


@pytest.mark.parametrize("student_id", [0, 2**63 - 1, 2**70])
def test_unknown_students_are_404_never_500(as_person, student_id):
    client = as_person("school_admin")
    page = f"/learn/students/{student_id}/mastery/"
    api = f"/api/v1/personalization/students/{student_id}/mastery/"
    assert (client.get(page).status_code, client.get(api).status_code) == (404, 404)


def test_writes_are_refused(as_person, mastery_world):
    client = as_person("enrolled_student")
    assert client.post(reverse("personalization:mastery")).status_code == 405
    assert client.post(reverse("personalization-api:mastery")).status_code == 405


# --- Queries --------------------------------------------------------------------------------------


def _more_courses(world, *, courses: int, points: int, snapshots: int) -> None:
    student = world["student"]
    for c in range(courses):
        course = CourseFactory(school=world["a"]["school"], title=f"Course {c}")
        EnrollmentFactory(student=student, course=course)
        for p in range(points):
            point = KnowledgePointFactory(course=course, name=f"Point {c}.{p}")
            estimate(student, point, 0.5)
            history(student, point, [0.1 * (i % 10) for i in range(snapshots)])


def test_the_page_and_api_take_the_same_few_queries_whatever_the_size(
    as_person, mastery_world, django_assert_max_num_queries
):
    # given
    client = as_person("course_teacher")
    url, api = (
        _student_url(mastery_world),
        reverse("personalization-api:student_mastery", args=[mastery_world["student"].pk]),
    )
    with django_assert_max_num_queries(30) as small_page:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(30) as small_api:
        assert client.get(api).status_code == 200
    # when the student has 3 more courses of 10 points with 40 refreshes each
    _more_courses(mastery_world, courses=3, points=10, snapshots=40)
    # then
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="mastery-history"') == 32
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        body = client.get(api).json()
    # the history keeps the latest 30 refreshes
    assert {len(p["history"]) for c in body["courses"][1:] for p in c["knowledge_points"]} == {30}
