"""
Students at risk: each rule with a case that triggers it and one that does not, the reasons in
words, the page (also a section of the heatmap) and the API, and who may see them.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Attempt, AttemptStatus
from assessments.services.authoring import assessment_create
from courses.models import Enrollment, EnrollmentStatus, LessonProgress
from lms.models import Role
from personalization.selectors import (
    AT_RISK_INACTIVE_DAYS,
    AtRiskCode,
    at_risk_students,
)
from tests.factories import CourseFactory, EnrollmentFactory, KnowledgePointFactory, member
from tests.personalization.conftest import PEOPLE, page_status
from tests.personalization.test_mastery_pages import estimate, history, submitted_attempt

EDITORS = {"course_teacher", "school_admin"}
NOW = timezone.now()


@pytest.fixture
def risk_world(course_world):
    """course_world's Algebra with four knowledge points and "Unit test 2"; `pupil` enrolls."""
    course, school = course_world["course"], course_world["a"]["school"]
    points = {
        name: KnowledgePointFactory(course=course, name=name)
        for name in ("Decimals", "Fractions", "Percent", "Ratios")
    }
    test = assessment_create(course=course, title="Unit test 2", kind="unit_test")

    def pupil(name: str, *, enrolled_days_ago: int = 1, course=course):
        student = member(school, Role.STUDENT, username=name.lower(), display_name=name)
        EnrollmentFactory(student=student, course=course)
        Enrollment.objects.filter(student=student, course=course).update(
            created_at=NOW - timedelta(days=enrolled_days_ago)
        )
        return student

    return {**course_world, "points": points, "test": test, "pupil": pupil}


def _reasons(world, student=None, **kwargs) -> dict[str, dict]:
    """{code: args} of the student's reasons (empty when not at risk)."""
    found = at_risk_students(course=world["course"], now=kwargs.pop("now", NOW), **kwargs)
    risk = next((r for r in found if r.student == student), None)
    return {reason.code: reason for reason in risk.reasons} if risk else {}


def _master(student, points, values):
    for name, value in values.items():
        estimate(student, points[name], value, at=NOW)


# --- Low mastery ----------------------------------------------------------------------------------


def test_a_low_average_over_the_assessed_points_is_a_risk(risk_world):
    # given an average of 0.30 over two assessed points (and one without evidence)
    ann = risk_world["pupil"]("Ann")
    _master(ann, risk_world["points"], {"Decimals": 0.2, "Fractions": 0.4})
    estimate(ann, risk_world["points"]["Ratios"], 0.0, evidence=0)
    # when
    reasons = _reasons(risk_world, ann)
    # then
    assert list(reasons) == [AtRiskCode.LOW_AVERAGE]
    reason = reasons[AtRiskCode.LOW_AVERAGE]
    assert reason.args == {"average": 0.3, "count": 2}
    assert reason.text == "Average mastery 30% over 2 assessed knowledge points"


def test_an_average_at_the_threshold_with_two_weak_points_is_no_risk(risk_world):
    ann = risk_world["pupil"]("Ann")
    _master(ann, risk_world["points"], {"Decimals": 0.3, "Fractions": 0.5})
    assert _reasons(risk_world, ann) == {}


def test_three_weak_points_are_a_risk_even_with_a_fair_average(risk_world):
    # given an average of 0.61 with three points below 0.6
    ann = risk_world["pupil"]("Ann")
    values = {"Decimals": 0.55, "Fractions": 0.45, "Percent": 0.5, "Ratios": 0.95}
    _master(ann, risk_world["points"], values)
    # when
    reasons = _reasons(risk_world, ann)
    # then
    reason = reasons[AtRiskCode.WEAK_POINTS]
    assert list(reasons) == [AtRiskCode.WEAK_POINTS]
    assert reason.text == "3 knowledge points need work: Fractions, Percent, Decimals"
    assert [p["name"] for p in reason.args["knowledge_points"]] == [
        "Fractions",
        "Percent",
        "Decimals",
    ]


def test_more_weak_points_than_named_end_with_an_ellipsis(risk_world):
    ann = risk_world["pupil"]("Ann")
    values = {"Decimals": 0.55, "Fractions": 0.45, "Percent": 0.5, "Ratios": 0.42}
    _master(ann, risk_world["points"], values)
    text = _reasons(risk_world, ann)[AtRiskCode.WEAK_POINTS].text
    assert text == "4 knowledge points need work: Ratios, Fractions, Percent, …"


def test_two_weak_points_among_strong_ones_are_no_risk(risk_world):
    ann = risk_world["pupil"]("Ann")
    values = {"Decimals": 0.55, "Fractions": 0.45, "Percent": 0.9, "Ratios": 0.95}
    _master(ann, risk_world["points"], values)
    assert _reasons(risk_world, ann) == {}


# --- Falling mastery ------------------------------------------------------------------------------


def test_a_fall_of_015_or_more_is_a_risk_named_with_its_assessment(risk_world):
    # given Fractions rose to 0.71, then fell to 0.44 after Unit test 2
    ann = risk_world["pupil"]("Ann")
    fractions = risk_world["points"]["Fractions"]
    attempt = submitted_attempt(risk_world["test"], ann, at=NOW)
    estimate(ann, fractions, 0.44, at=NOW)
    history(ann, fractions, [0.50, 0.71, 0.44], attempt=attempt)
    # when
    reason = _reasons(risk_world, ann)[AtRiskCode.FALLING]
    # then
    assert reason.text == "Mastery of “Fractions” fell from 71% to 44% after “Unit test 2”"
    assert reason.args == {
        "knowledge_point": fractions.pk,
        "name": "Fractions",
        "before": 0.71,
        "after": 0.44,
        "assessment": "Unit test 2",
    }


def test_a_fall_of_exactly_015_counts_and_without_an_attempt_names_none(risk_world):
    ann = risk_world["pupil"]("Ann")
    fractions = risk_world["points"]["Fractions"]
    estimate(ann, fractions, 0.79, at=NOW)
    history(ann, fractions, [0.94, 0.79])
    reason = _reasons(risk_world, ann)[AtRiskCode.FALLING]
    assert reason.text == "Mastery of “Fractions” fell from 94% to 79%"


@pytest.mark.parametrize(
    "values",
    [
        [0.71, 0.60],  # fell by 0.11
        [0.40, 0.65, 0.75],  # rising
        [0.95, 0.80, 0.80, 0.80, 0.80, 0.80],  # the high was before the last five refreshes
        [0.90],  # one refresh: nothing to fall from
    ],
)
def test_small_falls_rises_and_old_highs_are_no_risk(risk_world, values):
    ann = risk_world["pupil"]("Ann")
    fractions = risk_world["points"]["Fractions"]
    estimate(ann, fractions, values[-1], at=NOW)
    history(ann, fractions, values)
    assert _reasons(risk_world, ann) == {}


# --- Inactivity -----------------------------------------------------------------------------------


def test_no_activity_since_enrolling_long_ago_is_a_risk(risk_world):
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=20)
    reason = _reasons(risk_world, ann)[AtRiskCode.INACTIVE]
    assert reason.text == "No activity since enrolling 20 days ago"
    assert reason.args == {"days": 20, "last_activity": None}


def test_the_last_submit_or_lesson_progress_counts_whichever_is_later(risk_world):
    # given a submit 18 days ago, lesson progress 25 days ago, and a submit elsewhere yesterday
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=60)
    submitted_attempt(risk_world["test"], ann, at=NOW - timedelta(days=18))
    progress = LessonProgress.objects.create(student=ann, lesson=risk_world["lessons"][0])
    LessonProgress.objects.filter(pk=progress.pk).update(updated_at=NOW - timedelta(days=25))
    elsewhere = CourseFactory(school=risk_world["a"]["school"])
    EnrollmentFactory(student=ann, course=elsewhere)
    other_test = assessment_create(course=elsewhere, title="Elsewhere", kind="unit_test")
    submitted_attempt(other_test, ann, at=NOW - timedelta(days=1))
    # when
    reason = _reasons(risk_world, ann)[AtRiskCode.INACTIVE]
    # then
    assert reason.text == "No activity for 18 days"
    assert reason.args["days"] == 18


@pytest.mark.parametrize("activity", ["lesson", "submit"])
def test_recent_activity_is_no_risk(risk_world, activity):
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=60)
    if activity == "lesson":
        LessonProgress.objects.create(student=ann, lesson=risk_world["lessons"][1])  # now
    else:
        submitted_attempt(
            risk_world["test"], ann, at=NOW - timedelta(days=AT_RISK_INACTIVE_DAYS - 1)
        )
    assert _reasons(risk_world, ann) == {}


def test_a_started_attempt_is_not_a_submit(risk_world):
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=30)
    Attempt.objects.create(
        assessment=risk_world["test"],
        student=ann,
        number=1,
        status=AttemptStatus.IN_PROGRESS,
        started_at=NOW - timedelta(hours=1),
    )
    assert AtRiskCode.INACTIVE in _reasons(risk_world, ann)


def test_a_recent_enrollment_is_no_risk(risk_world):
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=AT_RISK_INACTIVE_DAYS - 1)
    assert _reasons(risk_world, ann) == {}


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "flagged"),
    [
        (date(2000, 1, 1), None, True),
        (None, None, True),
        ("in 3 days", None, False),  # not started yet
        (None, "3 days ago", False),  # over
        ("10 days ago", None, False),  # started 10 days ago: inactivity counts from there
    ],
)
def test_inactivity_counts_only_while_the_course_runs(risk_world, starts_on, ends_on, flagged):
    # given a student enrolled 30 days ago, never active
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=30)
    days = {
        "in 3 days": NOW + timedelta(days=3),
        "3 days ago": NOW - timedelta(days=3),
        "10 days ago": NOW - timedelta(days=10),
    }
    course = risk_world["course"]
    course.starts_on = days[starts_on].date() if starts_on in days else starts_on
    course.ends_on = days[ends_on].date() if ends_on in days else ends_on
    course.save()
    # then
    assert (AtRiskCode.INACTIVE in _reasons(risk_world, ann)) is flagged


# --- The list -------------------------------------------------------------------------------------


def test_only_active_students_are_listed_most_reasons_first(risk_world):
    # given Bo inactive only; Ann inactive and weak; Cy dropped, inactive and weak; Di fine
    points = risk_world["points"]
    bo = risk_world["pupil"]("Bo", enrolled_days_ago=30)
    ann = risk_world["pupil"]("Ann", enrolled_days_ago=30)
    _master(ann, points, {"Decimals": 0.1})
    cy = risk_world["pupil"]("Cy", enrolled_days_ago=30)
    _master(cy, points, {"Decimals": 0.1})
    Enrollment.objects.filter(student=cy).update(status=EnrollmentStatus.DROPPED)
    risk_world["pupil"]("Di")
    # when
    found = at_risk_students(course=risk_world["course"], now=NOW)
    # then
    assert [(r.student, len(r.reasons)) for r in found] == [(ann, 2), (bo, 1)]


def test_the_rules_take_six_queries_whatever_the_class_size(risk_world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            at_risk_students(course=risk_world["course"], now=NOW)
        return len(queries.captured_queries)

    small = count()
    for i in range(40):
        student = risk_world["pupil"](f"P{i:02d}", enrolled_days_ago=i)
        for j, point in enumerate(risk_world["points"].values()):
            estimate(student, point, ((i + j) % 10) / 10)
            history(student, point, [0.9, 0.5, (i % 10) / 10])
    assert count() == small == 6
    assert len(at_risk_students(course=risk_world["course"], now=NOW)) > 20


# --- Pages and API --------------------------------------------------------------------------------


@pytest.fixture
def flagged(risk_world):
    """The course's enrolled student (Ann), inactive for 20 days and falling on Fractions."""
    ann = risk_world["a"][Role.STUDENT]
    Enrollment.objects.filter(student=ann).update(created_at=NOW - timedelta(days=20))
    fractions = risk_world["points"]["Fractions"]
    attempt = submitted_attempt(risk_world["test"], ann, at=NOW - timedelta(days=20))
    estimate(ann, fractions, 0.44, at=NOW - timedelta(days=20))
    history(ann, fractions, [0.71, 0.44], attempt=attempt)
    return risk_world


def test_the_page_lists_the_students_with_their_reasons(as_person, flagged):
    # when
    url = reverse("personalization:course_at_risk", args=[flagged["course"].pk])
    html = as_person("course_teacher").get(url).content.decode()
    # then
    ann = flagged["a"][Role.STUDENT]
    assert reverse("personalization:student_mastery", args=[ann.pk]) in html
    assert "Mastery of “Fractions” fell from 71% to 44% after “Unit test 2”" in html
    assert "No activity for 20 days" in html
    assert "How students are picked out" in html


def test_the_heatmap_has_an_at_risk_section(as_person, flagged):
    url = reverse("personalization:course_mastery", args=[flagged["course"].pk])
    html = as_person("school_admin").get(url).content.decode()
    assert "Students at risk" in html
    assert "No activity for 20 days" in html


def test_a_course_without_risks_says_so(as_person, risk_world):
    url = reverse("personalization:course_at_risk", args=[risk_world["course"].pk])
    html = as_person("course_teacher").get(url).content.decode()
    assert "No student is at risk by these rules." in html


def test_the_api_gives_codes_words_and_figures(as_person, flagged):
    # when
    url = reverse("personalization-api:course_at_risk", args=[flagged["course"].pk])
    response = as_person("course_teacher").get(url)
    # then
    assert response.status_code == 200
    [risk] = response.json()
    assert risk["student"] == flagged["a"][Role.STUDENT].pk
    assert [(r["code"], r["text"]) for r in risk["reasons"]] == [
        ("falling", "Mastery of “Fractions” fell from 71% to 44% after “Unit test 2”"),
        ("inactive", "No activity for 20 days"),
    ]
    assert risk["reasons"][1]["args"]["days"] == 20


def test_another_language_still_gives_every_reason(as_person, flagged):
    url = reverse("personalization-api:course_at_risk", args=[flagged["course"].pk])
    response = as_person("course_teacher").get(url, headers={"accept-language": "zh-hans"})
    assert response.status_code == 200
    assert [r["code"] for r in response.json()[0]["reasons"]] == ["falling", "inactive"]


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_page_and_api_matrix(as_person, flagged, person):
    client = as_person(person)
    course = flagged["course"].pk
    page = page_status(client.get(reverse("personalization:course_at_risk", args=[course])))
    api = client.get(reverse("personalization-api:course_at_risk", args=[course]))
    if person == "anonymous":
        assert (page, api.status_code) == ("login", 401)
    elif person in EDITORS:
        assert (page, api.status_code) == (200, 200)
    else:
        assert (page, api.status_code) == (404, 404)
        assert "Fractions" not in api.content.decode()


@pytest.mark.parametrize("course_id", [999_999, 2**70])
def test_unknown_courses_are_404(as_person, course_id):
    client = as_person("school_admin")
    page = client.get(f"/learn/courses/{course_id}/at-risk/")
    api = client.get(f"/api/v1/personalization/courses/{course_id}/at-risk/")
    assert (page.status_code, api.status_code) == (404, 404)
