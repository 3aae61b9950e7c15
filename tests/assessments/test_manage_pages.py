"""The teacher's assessment pages: set-up, questions, accommodations, item analysis, gradebook."""

import csv
import html
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Accommodation,
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    DrawRule,
)
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.services.authoring import (
    DrawRuleSpec,
    accommodation_set,
    assessment_create,
    assessment_set_draw_rules,
    assessment_set_questions,
)
from assessments.services.questions import question_archive
from lms.models import Role
from tests.assessments.conftest import PEOPLE, QUESTIONS, make_question, page_status
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    KnowledgePointFactory,
    ModuleFactory,
    member,
)

pytestmark = pytest.mark.django_db

EDITORS = {"course_teacher", "school_admin"}


def _expected(person: str, allowed):
    if person == "anonymous":
        return "login"
    return allowed if person in EDITORS else 404


def _settings(**changes) -> dict:
    """A valid settings form as the browser posts it; unchecked boxes are left out."""
    data = {
        "title": "Quiz 2",
        "kind": "practice",
        "instructions": "Read *carefully*.",
        "module": "",
        "lesson": "",
        "opens_at": "",
        "closes_at": "",
        "time_limit_minutes": "",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "review_policy": "immediately",
        "layout": "one_per_page",
        "selection": "fixed",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _queries(client, url: str) -> tuple[int, object]:
    """
    The queries a page makes, but the session's: the session is read from the cache, and falls
    back to the database only when the cache was flushed meanwhile (by another test run).
    """
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    made = [q for q in captured.captured_queries if "django_session" not in q["sql"]]
    return len(made), response


def _state():
    """What a refused request must leave as it was."""
    return (
        list(Assessment.objects.order_by("pk").values_list("pk", "title", "is_published")),
        list(AssessmentQuestion.objects.order_by("pk").values_list("assessment", "question")),
        list(
            AssessmentQuestion.objects.order_by("assessment", "position").values_list(
                "question", flat=True
            )
        ),
        list(DrawRule.objects.order_by("pk").values_list("pk", "count", "knowledge_point")),
        list(
            Accommodation.objects.order_by("pk").values_list(
                "student", "classroom", "extra_minutes", "extra_attempts"
            )
        ),
    )


@pytest.fixture
def manage_world(exam_world):
    """
    exam_world plus: a spare bank question not in the unit test, a random-draw practice quiz
    with one rule, and an accommodation for the enrolled student on the unit test.
    """
    course = exam_world["course"]
    spare = make_question(course, "true_false", title="Spare question")
    drawn = assessment_create(
        course=course, title="Random practice", kind="practice", selection="random"
    )
    assessment_set_draw_rules(
        assessment=drawn, rules=[DrawRuleSpec(count=2, knowledge_point=exam_world["point"])]
    )
    accommodation = accommodation_set(
        assessment=exam_world["assessment"],
        student=exam_world["student"],
        extra_minutes=15,
        extra_attempts=0,
    )
    return {**exam_world, "spare": spare, "drawn": drawn, "accommodation": accommodation}


# --- Permissions ----------------------------------------------------------------------------------


def _pages(world) -> dict:
    course, exam, drawn = world["course"], world["assessment"], world["drawn"]
    first = world["questions"]["single_choice"]
    return {
        "get": [
            reverse("assessments:manage_list", args=[course.pk]),
            reverse("assessments:manage_create", args=[course.pk]),
            reverse("assessments:manage_edit", args=[exam.pk]),
            reverse("assessments:manage_questions", args=[exam.pk]),
            reverse("assessments:manage_questions", args=[drawn.pk]),
            reverse("assessments:manage_accommodations", args=[exam.pk]),
            reverse("assessments:item_analysis", args=[exam.pk]),
            reverse("assessments:gradebook", args=[course.pk]),
            reverse("assessments:gradebook_csv", args=[course.pk]),
        ],
        "post": [
            (reverse("assessments:manage_create", args=[course.pk]), _settings()),
            (
                reverse("assessments:manage_edit", args=[exam.pk]),
                _settings(title="Unit test 1 (renamed)", kind="unit_test", attempts_allowed="2"),
            ),
            (
                reverse("assessments:manage_question_add", args=[exam.pk]),
                {"question": world["spare"].pk},
            ),
            (
                reverse("assessments:manage_question_move", args=[exam.pk]),
                {"question": first.pk, "direction": "down"},
            ),
            (
                reverse("assessments:manage_question_remove", args=[exam.pk]),
                {"question": world["spare"].pk},
            ),
            (reverse("assessments:manage_publish", args=[exam.pk]), {"publish": "0"}),
            (
                reverse("assessments:manage_rule_add", args=[drawn.pk]),
                {"knowledge_point": "", "difficulty_min": 1, "difficulty_max": 5, "count": 1},
            ),
            (reverse("assessments:manage_rule_remove", args=[drawn.pk]), {"rule": 1}),
            (
                reverse("assessments:manage_accommodations", args=[exam.pk]),
                {"student": world["student"].pk, "extra_minutes": 10, "extra_attempts": 1},
            ),
            (
                reverse(
                    "assessments:manage_accommodation_remove",
                    args=[exam.pk, world["accommodation"].pk],
                ),
                {},
            ),
        ],
    }


@pytest.mark.parametrize("person", list(PEOPLE))
def test_every_page_and_post_is_for_the_course_editors_only(as_person, manage_world, person):
    # given
    pages = _pages(manage_world)
    client = as_person(person)
    before = _state()
    # when
    seen = [(url, page_status(client.get(url))) for url in pages["get"]]
    posted = [(url, page_status(client.post(url, data))) for url, data in pages["post"]]
    # then
    assert seen == [(url, _expected(person, 200)) for url in pages["get"]]
    assert posted == [(url, _expected(person, 302)) for url, _ in pages["post"]]
    if person not in EDITORS:
        assert _state() == before
    else:
        assert _state() != before


def test_get_only_pages_refuse_a_post_and_posts_refuse_a_get(as_person, manage_world):
    # given
    client = as_person("course_teacher")
    exam = manage_world["assessment"]
    # when
    get_on_post = client.get(reverse("assessments:manage_publish", args=[exam.pk]))
    post_on_get = client.post(reverse("assessments:gradebook", args=[exam.course_id]))
    # then
    assert get_on_post.status_code == 405
    assert post_on_get.status_code == 405


def test_unknown_ids_are_404_for_an_editor(as_person, manage_world):
    # given
    client = as_person("course_teacher")
    exam = manage_world["assessment"]
    # when
    statuses = [
        client.get(reverse("assessments:manage_list", args=[999_999])).status_code,
        client.get(reverse("assessments:manage_edit", args=[999_999])).status_code,
        client.get(reverse("assessments:gradebook_csv", args=[999_999])).status_code,
        client.post(
            reverse("assessments:manage_accommodation_remove", args=[exam.pk, 999_999])
        ).status_code,
    ]
    # then
    assert statuses == [404, 404, 404, 404]


# --- The list of a course's assessments -----------------------------------------------------------


def test_list_shows_each_assessment_with_its_counts_and_links(as_person, manage_world):
    # given
    exam, drawn = manage_world["assessment"], manage_world["drawn"]
    attempt_start(assessment=exam, student=manage_world["student"])
    client = as_person("course_teacher")
    # when
    response = client.get(reverse("assessments:manage_list", args=[exam.course_id]))
    # then
    page = _text(response)
    assert "Unit test 1" in page
    assert "Random practice" in page
    assert "6 questions" in page
    assert "1 draw rule" in page
    assert "(2 questions drawn)" in page
    assert "0 submitted, 1 in progress" in page
    for url in [
        reverse("assessments:manage_create", args=[exam.course_id]),
        reverse("assessments:manage_edit", args=[exam.pk]),
        reverse("assessments:results", args=[drawn.pk]),
        reverse("assessments:item_analysis", args=[exam.pk]),
        reverse("assessments:gradebook", args=[exam.course_id]),
    ]:
        assert f'href="{url}"' in page


def test_list_queries_do_not_grow_with_the_assessments(as_person, manage_world):
    # given
    client = as_person("course_teacher")
    url = reverse("assessments:manage_list", args=[manage_world["course"].pk])
    few, _ = _queries(client, url)
    for n in range(5):
        assessment_create(course=manage_world["course"], title=f"Extra {n}", kind="practice")
    # when
    many, response = _queries(client, url)
    # then
    assert many == few
    assert len(response.context["assessments"]) == 7


# --- Settings -------------------------------------------------------------------------------------


def test_teacher_creates_an_assessment_in_the_school_time_zone(as_person, manage_world, settings):
    # given
    settings.TIME_ZONE = "Asia/Shanghai"
    course, module = manage_world["course"], manage_world["modules"][1]
    lesson = manage_world["lessons"][2]
    client = as_person("course_teacher")
    # when
    response = client.post(
        reverse("assessments:manage_create", args=[course.pk]),
        _settings(
            title="Midterm",
            kind="exam",
            module=module.pk,
            lesson=lesson.pk,
            opens_at="2030-01-10T09:00",
            closes_at="2030-01-10T11:30",
            time_limit_minutes="90",
            attempts_allowed="0",
            grading_method="last",
            shuffle_questions="on",
            shuffle_choices="on",
            review_policy="after_close",
            layout="all_on_one_page",
        ),
    )
    # then
    created = Assessment.objects.get(title="Midterm")
    assert response.status_code == 302
    assert response.url == reverse("assessments:manage_questions", args=[created.pk])
    shanghai = ZoneInfo("Asia/Shanghai")
    assert created.opens_at == datetime(2030, 1, 10, 9, 0, tzinfo=shanghai)
    assert created.closes_at == datetime(2030, 1, 10, 11, 30, tzinfo=shanghai)
    assert (created.module, created.lesson, created.course) == (module, lesson, course)
    assert (created.time_limit_minutes, created.attempts_allowed) == (90, 0)
    assert (created.grading_method, created.review_policy, created.layout) == (
        "last",
        "after_close",
        "all_on_one_page",
    )
    assert created.shuffle_questions
    assert created.shuffle_choices
    assert not created.is_published
    assert created.created_by == manage_world["teacher"]
    assert "<em>carefully</em>" in created.instructions_html
    # and the edit page shows the times as they were typed
    page = _text(client.get(reverse("assessments:manage_edit", args=[created.pk])))
    assert 'value="2030-01-10T09:00"' in page
    assert "Asia/Shanghai" in page


def test_settings_form_offers_only_the_course_modules_and_lessons(as_person, manage_world):
    # given
    foreign = ModuleFactory(course=manage_world["other_course"], title="Foreign module")
    client = as_person("course_teacher")
    # when
    page = _text(client.get(reverse("assessments:manage_create", args=[manage_world["course"].pk])))
    # then
    assert manage_world["modules"][0].title in page
    assert foreign.title not in page


def _bad_settings(world) -> list[tuple[dict, str]]:
    foreign_module = ModuleFactory(course=world["other_course"])
    return [
        (_settings(title=""), "This field is required."),
        (
            _settings(opens_at="2030-01-10T09:00", closes_at="2030-01-10T08:00"),
            "The assessment must close after it opens.",
        ),
        (_settings(time_limit_minutes="0"), "greater than or equal to 1"),
        (_settings(time_limit_minutes="100000"), "less than or equal to 1440"),
        (_settings(time_limit_minutes="ninety"), "Enter a whole number."),
        (_settings(attempts_allowed="-1"), "greater than or equal to 0"),
        (_settings(attempts_allowed="many"), "Enter a whole number."),
        (_settings(module=str(foreign_module.pk)), "Choose a module of this course."),
        (_settings(lesson="999999"), "Choose a lesson of this course."),
        (_settings(opens_at="next monday"), "Enter a valid date/time."),
        (_settings(kind="quiz"), "Select a valid choice."),
    ]


def test_bad_settings_on_create_are_shown_and_nothing_is_saved(as_person, manage_world):
    # given
    client = as_person("course_teacher")
    url = reverse("assessments:manage_create", args=[manage_world["course"].pk])
    cases = _bad_settings(manage_world)
    before = _state()
    for data, message in cases:
        # when
        response = client.post(url, data)
        # then
        assert response.status_code == 400, message
        assert message in _text(response), message
        assert 'role="alert"' in response.content.decode()
    assert _state() == before


def test_bad_settings_on_edit_are_shown_and_nothing_changes(as_person, manage_world):
    # given
    client = as_person("course_teacher")
    exam = manage_world["assessment"]
    url = reverse("assessments:manage_edit", args=[exam.pk])
    cases = _bad_settings(manage_world)
    before = _state()
    for data, message in cases:
        # when
        response = client.post(url, {**data, "title": data["title"] and "Changed"})
        # then
        assert response.status_code == 400, message
        assert message in _text(response), message
        # the page shows the saved title, not the refused one
        assert "<title>Settings · Unit test 1 · Pathwise</title>" in _text(response)
    assert _state() == before


def test_selection_cannot_change_once_students_started(as_person, manage_world):
    # given
    exam = manage_world["assessment"]
    attempt_start(assessment=exam, student=manage_world["student"])
    client = as_person("course_teacher")
    # when
    response = client.post(
        reverse("assessments:manage_edit", args=[exam.pk]),
        _settings(title="Unit test 1", kind="unit_test", selection="random"),
    )
    # then
    assert response.status_code == 400
    assert "Students have started this assessment" in _text(response)
    exam.refresh_from_db()
    assert exam.selection == "fixed"


# --- Questions ------------------------------------------------------------------------------------


def test_teacher_adds_reorders_removes_and_publishes(as_person, manage_world):
    # given
    course = manage_world["course"]
    first = make_question(course, "numeric", title="Gravity")
    second = make_question(course, "short_text", title="Plants")
    client = as_person("course_teacher")
    client.post(
        reverse("assessments:manage_create", args=[course.pk]), _settings(title="Science quiz")
    )
    quiz = Assessment.objects.get(title="Science quiz")

    def listed():
        return list(quiz.items.order_by("position").values_list("question__title", flat=True))

    # when: adding two questions
    for question in (first, second):
        response = client.post(
            reverse("assessments:manage_question_add", args=[quiz.pk]) + "?q=a",
            {"question": question.pk},
        )
        assert response.status_code == 302
    # then: in order, back on the filtered bank
    assert listed() == ["Gravity", "Plants"]
    assert response.url == reverse("assessments:manage_questions", args=[quiz.pk]) + "?q=a"
    # when: moving the second up, then the (new) first up again: nothing past the top
    move = reverse("assessments:manage_question_move", args=[quiz.pk])
    client.post(move, {"question": second.pk, "direction": "up"})
    client.post(move, {"question": second.pk, "direction": "up"})
    # then
    assert listed() == ["Plants", "Gravity"]
    # when: removing one
    client.post(
        reverse("assessments:manage_question_remove", args=[quiz.pk]), {"question": second.pk}
    )
    assert listed() == ["Gravity"]
    # when: publishing
    response = client.post(
        reverse("assessments:manage_publish", args=[quiz.pk]), {"publish": "1"}, follow=True
    )
    # then
    quiz.refresh_from_db()
    assert quiz.is_published
    assert "Assessment published." in _text(response)
    # and unpublishing
    client.post(reverse("assessments:manage_publish", args=[quiz.pk]), {"publish": "0"})
    quiz.refresh_from_db()
    assert not quiz.is_published


def test_questions_page_lists_the_chosen_and_filters_the_bank(as_person, manage_world):
    # given
    course = manage_world["course"]
    point = KnowledgePointFactory(course=course, name="Vectors")
    make_question(course, "numeric", title="Vector length", difficulty=5, knowledge_points=[point])
    make_question(course, "numeric", title="Scalar product", difficulty=2)
    exam = manage_world["assessment"]
    url = reverse("assessments:manage_questions", args=[exam.pk])
    client = as_person("course_teacher")

    def bank(response) -> list[str]:
        return [question.title for question in response.context["bank_page"]]

    # when
    everything = client.get(url)
    by_point = client.get(url, {"knowledge_point": point.pk})
    by_kind = client.get(url, {"kind": "numeric", "difficulty": 2})
    by_text = client.get(url, {"q": "LENGTH"}, headers={"HX-Request": "true"})
    bad_filters = client.get(url, {"difficulty": "hard", "knowledge_point": "x", "q": "Spare"})
    # then
    assert len(bank(everything)) == 9
    assert _text(everything).count("In the list") == 6  # the unit test's questions
    assert _text(everything).count('<li id="item-') == 6
    assert bank(by_point) == ["Vector length"]
    assert bank(by_kind) == ["Scalar product"]
    assert bank(by_text) == ["Vector length"]
    assert "<html" not in _text(by_text)  # htmx gets the results only
    assert bad_filters.status_code == 200
    assert bank(bad_filters) == ["Spare question"]


def test_bad_question_changes_are_shown_and_nothing_changes(as_person, manage_world):
    # given
    course, exam = manage_world["course"], manage_world["assessment"]
    sister = CourseFactory(school=course.school, code="MATH-2", title="Geometry")
    sister.teachers.add(manage_world["teacher"])
    sister_question = make_question(sister, "true_false", title="Sister question")
    foreign_question = make_question(manage_world["other_course"], title="Foreign question")
    archived = question_archive(question=make_question(course, title="Old question"))
    listed = manage_world["questions"]["single_choice"]
    add = reverse("assessments:manage_question_add", args=[exam.pk])
    cases = [
        (add, {"question": "999999"}, "There is no such question in the bank."),
        (add, {"question": "abc"}, "There is no such question in the bank."),
        (add, {}, "There is no such question in the bank."),
        (add, {"question": foreign_question.pk}, "There is no such question in the bank."),
        (add, {"question": sister_question.pk}, "Questions must come from the course"),
        (add, {"question": listed.pk}, "A question is listed twice."),
        (add, {"question": archived.pk}, "Archived questions cannot be added"),
        (
            reverse("assessments:manage_question_remove", args=[exam.pk]),
            {"question": manage_world["spare"].pk},
            "This question is not in the assessment",
        ),
        (
            reverse("assessments:manage_question_move", args=[exam.pk]),
            {"question": "-3", "direction": "up"},
            "This question is not in the assessment",
        ),
        (
            reverse("assessments:manage_rule_add", args=[exam.pk]),
            {"difficulty_min": 1, "difficulty_max": 5, "count": 1},
            "This assessment has a fixed list of questions",
        ),
    ]
    client = as_person("course_teacher")
    before = _state()
    for url, data, message in cases:
        # when
        response = client.post(url, data)
        # then
        assert response.status_code == 400, message
        assert message in _text(response), message
    assert _state() == before


def test_publishing_without_questions_is_refused_with_the_reason(as_person, manage_world):
    # given
    empty = assessment_create(course=manage_world["course"], title="Empty", kind="practice")
    client = as_person("course_teacher")
    # when
    response = client.post(reverse("assessments:manage_publish", args=[empty.pk]), {"publish": "1"})
    # then
    assert response.status_code == 400
    assert "Add questions before publishing the assessment." in _text(response)
    empty.refresh_from_db()
    assert not empty.is_published


def test_teacher_switches_to_random_and_adds_a_rule(as_person, manage_world):
    # given
    course = manage_world["course"]
    hard = make_question(course, "numeric", title="Hard one", difficulty=5)
    client = as_person("course_teacher")
    client.post(reverse("assessments:manage_create", args=[course.pk]), _settings(title="Drill"))
    drill = Assessment.objects.get(title="Drill")
    # when: switching the selection
    response = client.post(
        reverse("assessments:manage_edit", args=[drill.pk]),
        _settings(title="Drill", selection="random"),
    )
    assert response.status_code == 302
    # and adding rules
    add = reverse("assessments:manage_rule_add", args=[drill.pk])
    point = manage_world["point"]
    client.post(
        add, {"knowledge_point": point.pk, "difficulty_min": 1, "difficulty_max": 3, "count": 4}
    )
    client.post(add, {"knowledge_point": "", "difficulty_min": 4, "difficulty_max": 5, "count": 1})
    # then
    rules = list(drill.draw_rules.values_list("knowledge_point", "difficulty_min", "count"))
    assert rules == [(point.pk, 1, 4), (None, 4, 1)]
    page = client.get(reverse("assessments:manage_questions", args=[drill.pk]))
    # six questions on the point of difficulty 1-3, one of difficulty 4-5 on any point
    assert [available for _, available in page.context["rules"]] == [6, 1]
    assert "Equations" in _text(page)
    assert "not enough questions" not in _text(page)
    # when: the only hard question is archived, the page warns
    question_archive(question=hard)
    page = client.get(reverse("assessments:manage_questions", args=[drill.pk]))
    assert [available for _, available in page.context["rules"]] == [6, 0]
    assert "not enough questions" in _text(page)
    # when: removing the rule that cannot be met
    client.post(reverse("assessments:manage_rule_remove", args=[drill.pk]), {"rule": 2})
    # then
    assert list(drill.draw_rules.values_list("count", flat=True)) == [4]


def test_bad_draw_rules_are_shown_and_nothing_changes(as_person, manage_world):
    # given
    drawn = manage_world["drawn"]
    foreign_point = KnowledgePointFactory(course=manage_world["other_course"])
    add = reverse("assessments:manage_rule_add", args=[drawn.pk])
    rule = {"knowledge_point": "", "difficulty_min": 1, "difficulty_max": 5}
    cases = [
        (add, {**rule, "count": 50}, "Rule 2 asks for 50 questions but the bank has only 7."),
        (add, {**rule, "count": "lots"}, "Enter a whole number."),
        (add, {**rule, "count": 0}, "greater than or equal to 1"),
        (add, {**rule, "count": 1, "knowledge_point": foreign_point.pk}, "Choose a knowledge"),
        (add, {**rule, "count": 1, "difficulty_min": 4, "difficulty_max": 2}, "lowest difficulty"),
        (add, {**rule, "count": 1, "difficulty_min": 9}, "Select a valid choice."),
        (
            reverse("assessments:manage_rule_remove", args=[drawn.pk]),
            {"rule": 5},
            "There is no such draw rule.",
        ),
        (
            reverse("assessments:manage_question_add", args=[drawn.pk]),
            {"question": manage_world["spare"].pk},
            "draws its questions at random",
        ),
    ]
    client = as_person("course_teacher")
    before = _state()
    for url, data, message in cases:
        # when
        response = client.post(url, data)
        # then
        assert response.status_code == 400, message
        assert message in _text(response), message
    assert _state() == before


# --- Accommodations -------------------------------------------------------------------------------


def test_teacher_adds_changes_and_removes_accommodations(as_person, manage_world):
    # given
    exam = manage_world["assessment"]
    classroom = manage_world["a"]["other_classroom"]
    url = reverse("assessments:manage_accommodations", args=[exam.pk])
    client = as_person("course_teacher")
    # when: one for a classroom, and a change for the student
    client.post(url, {"classroom": classroom.pk, "extra_minutes": 20, "extra_attempts": 0})
    client.post(
        url, {"student": manage_world["student"].pk, "extra_minutes": 30, "extra_attempts": 1}
    )
    # then
    found = set(
        exam.accommodations.values_list("student", "classroom", "extra_minutes", "extra_attempts")
    )
    assert found == {
        (None, classroom.pk, 20, 0),
        (manage_world["student"].pk, None, 30, 1),
    }
    page = _text(client.get(url))
    assert "Classroom Class A2" in page
    assert manage_world["student"].name in page
    # when: zero for both removes; the remove button too
    client.post(url, {"classroom": classroom.pk, "extra_minutes": 0, "extra_attempts": 0})
    client.post(
        reverse(
            "assessments:manage_accommodation_remove",
            args=[exam.pk, manage_world["accommodation"].pk],
        )
    )
    # then
    assert not exam.accommodations.exists()


def test_bad_accommodations_are_shown_and_nothing_changes(as_person, manage_world):
    # given
    exam = manage_world["assessment"]
    url = reverse("assessments:manage_accommodations", args=[exam.pk])
    student, classmate = manage_world["student"], manage_world["a"]["classmate"]
    foreign_classroom = manage_world["b"]["classroom"]
    cases = [
        (
            {"student": classmate.pk, "extra_minutes": 5, "extra_attempts": 0},
            "This student is not enrolled in the course.",
        ),
        (
            {"classroom": foreign_classroom.pk, "extra_minutes": 5, "extra_attempts": 0},
            "Choose a classroom of the course",
        ),
        ({"student": student.pk, "extra_minutes": "ten", "extra_attempts": 0}, "whole number"),
        ({"student": student.pk, "extra_minutes": 5, "extra_attempts": -1}, "greater than"),
        ({"student": student.pk, "extra_minutes": 5000, "extra_attempts": 0}, "less than"),
        ({"extra_minutes": 5, "extra_attempts": 0}, "Choose either a student or a classroom."),
        (
            {
                "student": student.pk,
                "classroom": manage_world["a"]["classroom"].pk,
                "extra_minutes": 5,
                "extra_attempts": 0,
            },
            "Choose either a student or a classroom.",
        ),
        ({"student": "x", "extra_minutes": 5, "extra_attempts": 0}, "not enrolled"),
    ]
    client = as_person("course_teacher")
    before = _state()
    for data, message in cases:
        # when
        response = client.post(url, data)
        # then
        assert response.status_code == 400, message
        assert message in _text(response), message
    assert _state() == before


def test_accommodation_of_another_assessment_cannot_be_removed(as_person, manage_world):
    # given
    other = manage_world["drawn"]
    accommodation = manage_world["accommodation"]  # belongs to the unit test
    client = as_person("course_teacher")
    # when
    response = client.post(
        reverse("assessments:manage_accommodation_remove", args=[other.pk, accommodation.pk])
    )
    # then
    assert response.status_code == 404
    assert Accommodation.objects.filter(pk=accommodation.pk).exists()


# --- Item analysis --------------------------------------------------------------------------------


def _take(exam, student, *, right: set[str]) -> Attempt:
    """A submitted attempt answering the questions of the kinds in `right` correctly."""
    attempt, _ = attempt_start(assessment=exam, student=student)
    for response in attempt.responses.select_related("question"):
        _, good, bad = QUESTIONS[response.question.kind]
        answer = good if response.question.kind in right else bad
        response_save(attempt=attempt, question_id=response.question_id, answer=answer, seq=1)
    return attempt_submit(attempt=attempt)


def _ordering_question_id(exam) -> int:
    return exam.items.get(question__kind="ordering").question_id


def test_item_analysis_shows_the_indices_with_hints(as_person, manage_world):
    # given: three students; nobody gets ordering right; the strongest miss true/false
    exam = manage_world["assessment"]
    school = manage_world["a"]["school"]
    others = [member(school, Role.STUDENT, username=f"analysis_{n}") for n in range(2)]
    for student in others:
        EnrollmentFactory(student=student, course=exam.course)
    everything = set(QUESTIONS) - {"ordering", "true_false"}
    _take(exam, manage_world["student"], right=everything)
    _take(exam, others[0], right={"single_choice", "true_false"})
    _take(exam, others[1], right={"true_false"})
    client = as_person("course_teacher")
    # when
    response = client.get(reverse("assessments:item_analysis", args=[exam.pk]))
    # then
    page = _text(response)
    assert response.status_code == 200
    assert "Facility index" in page
    assert "Discrimination index" in page
    ordering_row = page.split("Q ordering")[1].split("</tr>")[0]
    assert "<td>0.0%</td>" in ordering_row
    assert "Very hard." in ordering_row
    edit = reverse("assessments:bank_edit", args=[exam.course_id, _ordering_question_id(exam)])
    assert f'<a href="{edit}">Q ordering</a>' in page
    true_false_row = page.split("Q true_false")[1].split("</tr>")[0]
    assert "Stronger students did worse here" in true_false_row


# --- Gradebook ------------------------------------------------------------------------------------


def _submitted(assessment, student, number, score, max_score="10"):
    now = timezone.now()
    return Attempt.objects.create(
        assessment=assessment,
        student=student,
        number=number,
        status=AttemptStatus.SUBMITTED,
        started_at=now,
        submitted_at=now,
        score=Decimal(score),
        max_score=Decimal(max_score),
    )


@pytest.fixture
def graded_world(manage_world):
    """Three assessments graded highest, last and average; the student took each twice."""
    course, student = manage_world["course"], manage_world["student"]
    questions = list(manage_world["questions"].values())
    made = []
    for method in ("highest", "last", "average"):
        assessment = assessment_create(
            course=course, title=f"By {method}", kind="practice", grading_method=method
        )
        assessment_set_questions(assessment=assessment, questions=questions)
        _submitted(assessment, student, 1, "8")
        _submitted(assessment, student, 2, "5")
        made.append(assessment)
    return {**manage_world, "graded": made}


def test_gradebook_grades_by_each_assessment_method(as_person, graded_world):
    # given
    course = graded_world["course"]
    client = as_person("course_teacher")
    # when
    response = client.get(reverse("assessments:gradebook", args=[course.pk]))
    # then
    rows = response.context["rows"]
    columns = [a.title for a in response.context["assessments"]]
    student_row = next(r for r in rows if r["student"] == graded_world["student"])
    grades = dict(zip(columns, student_row["cells"], strict=True))
    assert grades["By highest"] == {"grade": Decimal("8"), "percent": 80}
    assert grades["By last"] == {"grade": Decimal("5"), "percent": 50}
    assert grades["By average"] == {"grade": Decimal("6.50"), "percent": 65}
    assert grades["Unit test 1"] == {"grade": None, "percent": None}
    page = _text(response)
    assert '6.50 <span class="helptext">(65%)</span>' in page


def test_gradebook_queries_do_not_grow_with_students(as_person, graded_world):
    # given: 2 students (the enrolled one and one more), each with attempts everywhere
    course = graded_world["course"]
    school = graded_world["a"]["school"]
    url = reverse("assessments:gradebook", args=[course.pk])
    client = as_person("course_teacher")

    def enroll(n):
        student = member(school, Role.STUDENT, username=f"grade_{n}")
        EnrollmentFactory(student=student, course=course)
        for assessment in graded_world["graded"]:
            _submitted(assessment, student, 1, "3")
            _submitted(assessment, student, 2, "9")

    enroll(0)
    two, response = _queries(client, url)
    assert len(response.context["rows"]) == 2
    # when: 8 more students and 2 more assessments
    for n in range(1, 9):
        enroll(n)
    for n in range(2):
        assessment_create(course=course, title=f"Later {n}", kind="practice")
    ten, response = _queries(client, url)
    # then
    assert ten == two
    assert len(response.context["rows"]) == 10
    assert len(response.context["assessments"]) == 7


def test_gradebook_csv_has_a_column_per_assessment_and_neutralises_formulas(
    as_person, graded_world
):
    # given
    course, student = graded_world["course"], graded_world["student"]
    student.display_name = '=HYPERLINK("http://evil")'
    student.save()
    assessment_create(course=course, title="@SUM(A1)", kind="practice")
    client = as_person("school_admin")
    # when
    response = client.get(reverse("assessments:gradebook_csv", args=[course.pk]))
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="MATH-1-gradebook.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == [
        "username",
        "name",
        "Unit test 1",
        "Random practice",
        "By highest",
        "By last",
        "By average",
        "'@SUM(A1)",
    ]
    assert rows[1] == [
        student.username,
        '\'=HYPERLINK("http://evil")',
        "",
        "",
        "8.00",
        "5.00",
        "6.50",
        "",
    ]
    assert len(rows) == 2
