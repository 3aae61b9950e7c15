"""The question bank pages of a course: only its teachers and its school's admins use them."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.formats import MAX_INPUT_BYTES
from assessments.formats.gift import gift_parse
from assessments.models import Question, QuestionVersion, Response
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from courses.models import Tag
from tests.assessments.conftest import PEOPLE, QUESTIONS, make_question, page_status
from tests.factories import CourseFactory, KnowledgePointFactory

pytestmark = pytest.mark.django_db

EDITORS = {"course_teacher", "school_admin"}


def _url(name, course, *args):
    return reverse(f"assessments:{name}", args=[course.pk, *args])


def _form(kind="single_choice", rows=None, **fields):
    """POST data for a question's page: common fields, the kind's fields and its rows."""
    data = {
        "title": "",
        "stem": "What is $x$ if $x + 2 = 4$?",
        "points": "1",
        "difficulty": "3",
        "tags": "",
        "explanation": "",
    }
    if rows is None:
        rows = {
            "single_choice": [{"text": "2"}, {"text": "3"}],
            "multiple_choice": [{"text": "2", "right": "on"}, {"text": "3"}],
            "true_false": [],
            "numeric": [{"value": "2", "tolerance": "0", "credit": "100"}],
            "short_text": [{"text": "two", "credit": "100"}],
            "ordering": [{"text": "one"}, {"text": "two"}],
        }[kind]
        fields = {
            **{"single_choice": {"right": "0"}, "true_false": {"answer": "true"}}.get(kind, {}),
            **fields,
        }
    if kind != "true_false":
        data.update(
            {
                "rows-TOTAL_FORMS": str(len(rows)),
                "rows-INITIAL_FORMS": "0",
                "rows-MIN_NUM_FORMS": "0",
                "rows-MAX_NUM_FORMS": "26",
            }
        )
        for index, row in enumerate(rows):
            data.update({f"rows-{index}-{name}": value for name, value in row.items()})
    data.update(fields)
    return data


def _page_data(response) -> dict:
    """The POST data a browser sends for the page's question form, untouched."""
    editor = response.context["editor"]
    forms = [editor.form, editor.answers]
    if editor.rows is not None:
        forms += [editor.rows.management_form, *editor.rows.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False or value == []:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def _spec_without_html(question, *, ids: bool = True) -> dict:
    """The question's spec as written: no rendered HTML (and no option ids unless `ids`)."""
    dropped = {"html", "feedback_html"} | (set() if ids else {"id"})
    spec = question.current_version.spec
    kept = {key: value for key, value in spec.items() if not key.endswith("_html")}
    for key in ("choices", "items", "answers"):
        if key in kept:
            kept[key] = [
                {k: v for k, v in option.items() if k not in dropped} for option in kept[key]
            ]
    return kept


def _edit_links(page: str) -> int:
    """How many questions a bank list shows (each has a link to its edit page)."""
    return len(re.findall(r"/bank/\d+/edit/", page))


def _snapshot():
    return (
        list(Question.objects.order_by("pk").values_list("pk", "is_archived", "title")),
        QuestionVersion.objects.count(),
    )


# --- Who may use the pages ------------------------------------------------------------------


def _bank_urls(world):
    course = world["course"]
    question = make_question(course, "single_choice", title="Solve it")
    q = question.pk
    return {
        "get": [
            _url("bank_list", course),
            _url("bank_new", course),
            _url("bank_create", course, "numeric"),
            _url("bank_edit", course, q),
            _url("bank_preview", course, q),
            _url("bank_answers", course, q),
            _url("bank_delete", course, q),
            _url("bank_regrade", course, q),
            _url("bank_import", course),
            _url("bank_export", course),
        ],
        "post": [
            (_url("bank_create", course, "single_choice"), _form(), 302),
            (
                _url("bank_edit", course, q),
                _form(rows=[{"id": "a", "text": "2"}, {"id": "b", "text": "3"}], right="0"),
                302,
            ),
            (_url("bank_archive", course, q), {"archived": "1"}, 302),
            (_url("bank_archive", course, q), {"archived": "0"}, 302),
            (_url("bank_regrade", course, q), {}, 302),
            (
                _url("bank_import", course),
                {"format": "gift", "text": "::T::Sky? {T}", "action": "import"},
                302,
            ),
            (_url("bank_delete", course, q), {}, 302),
        ],
    }


@pytest.mark.parametrize("person", list(PEOPLE))
def test_bank_pages_matrix(as_person, course_world, person):
    # given
    urls = _bank_urls(course_world)
    client = as_person(person)
    before = _snapshot()

    # when / then
    for url in urls["get"]:
        expected = "login" if person == "anonymous" else 200 if person in EDITORS else 404
        assert page_status(client.get(url)) == expected, url
    for url, data, editor_status in urls["post"]:
        expected = "login" if person == "anonymous" else editor_status if person in EDITORS else 404
        assert page_status(client.post(url, data)) == expected, url
    if person not in EDITORS:
        assert _snapshot() == before


def test_a_question_of_another_course_is_not_found_through_this_course(as_person, course_world):
    # given
    course = course_world["course"]
    other = CourseFactory(school=course.school, code="PHYS-1")
    other.teachers.add(course_world["a"]["teacher"])
    question = make_question(other, "true_false")
    client = as_person("course_teacher")

    # when
    responses = [
        client.get(_url(name, course, question.pk))
        for name in ("bank_edit", "bank_preview", "bank_answers", "bank_delete")
    ]

    # then
    assert [r.status_code for r in responses] == [404] * 4
    assert client.get(_url("bank_edit", other, question.pk)).status_code == 200


# --- The list ---------------------------------------------------------------------------------


def _page_queries(captured) -> int:
    """
    Queries a page ran, leaving out the session's: sessions are cached in Redis, which other
    test runs may flush at any moment.
    """
    return sum(1 for query in captured.captured_queries if "django_session" not in query["sql"])


def _bank_of(course, count):
    points = [KnowledgePointFactory(course=course, name=f"KP {n}") for n in range(3)]
    for n in range(count):
        make_question(
            course,
            list(QUESTIONS)[n % 6],
            title=f"Question {n:02d}",
            difficulty=n % 5 + 1,
            knowledge_points=points[: n % 3 + 1],
            tags=[f"tag{n % 4}", "bank"],
        )


def test_the_list_runs_the_same_queries_for_3_and_30_questions(as_person, course_world):
    # given
    course = course_world["course"]
    other = CourseFactory(school=course.school, code="BIG")
    other.teachers.add(course_world["a"]["teacher"])
    _bank_of(course, 3)
    _bank_of(other, 30)
    client = as_person("course_teacher")
    client.get(_url("bank_list", course))  # session and caches warm

    # when
    with CaptureQueriesContext(connection) as small:
        small_page = client.get(_url("bank_list", course))
    with CaptureQueriesContext(connection) as big:
        big_page = client.get(_url("bank_list", other))

    # then
    assert small_page.status_code == big_page.status_code == 200
    assert _edit_links(big_page.content.decode()) == 30
    assert _page_queries(big) == _page_queries(small)


def test_the_list_filters_by_type_knowledge_point_tag_difficulty_and_text(as_person, course_world):
    # given
    course = course_world["course"]
    point = KnowledgePointFactory(course=course, name="Fractions")
    make_question(course, "numeric", title="Half of ten", knowledge_points=[point], difficulty=2)
    make_question(course, "true_false", title="Sky is blue", tags=["colours"], difficulty=5)
    make_question(course, "ordering", title="Count up", stem="Put the numbers in order")
    tag = Tag.objects.get(name="colours")
    client = as_person("course_teacher")
    url = _url("bank_list", course)

    def titles(**query):
        page = client.get(url, query).content.decode()
        return {t for t in ("Half of ten", "Sky is blue", "Count up") if t in page}

    # when / then
    assert titles() == {"Half of ten", "Sky is blue", "Count up"}
    assert titles(kind="numeric") == {"Half of ten"}
    assert titles(kp=point.pk) == {"Half of ten"}
    assert titles(tag=tag.pk) == {"Sky is blue"}
    assert titles(difficulty=5) == {"Sky is blue"}
    assert titles(q="NUMBERS in") == {"Count up"}
    assert titles(kind="nonsense", kp="x", tag="-1", difficulty="99") == titles()


def test_archived_questions_show_only_when_asked_and_can_come_back(as_person, course_world):
    # given
    course = course_world["course"]
    question = make_question(course, "true_false", title="Old question")
    client = as_person("course_teacher")
    url = _url("bank_list", course)

    # when
    response = client.post(
        _url("bank_archive", course, question.pk), {"archived": "1", "next": f"{url}?kind=x"}
    )

    # then
    question.refresh_from_db()
    assert question.is_archived
    assert response.url == f"{url}?kind=x"
    assert _edit_links(client.get(url).content.decode()) == 0
    shown = client.get(url, {"archived": "1"}).content.decode()
    assert "Old question" in shown
    assert "Archived" in shown
    assert "Unarchive" in shown

    # when
    response = client.post(
        _url("bank_archive", course, question.pk),
        {"archived": "0", "next": "https://evil.example/"},
    )

    # then
    question.refresh_from_db()
    assert not question.is_archived
    assert response.url == url


def test_the_list_is_paginated_by_50_and_answers_htmx_with_the_results_only(
    as_person, course_world
):
    # given
    course = course_world["course"]
    for n in range(51):
        make_question(course, "true_false", title=f"Statement {n:02d}")
    client = as_person("course_teacher")
    url = _url("bank_list", course)

    # when
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    partial = client.get(url, {"q": "Statement 50"}, headers={"HX-Request": "true"})

    # then
    assert _edit_links(first) == 50
    assert "Page 1 of 2" in first
    assert _edit_links(second) == 1
    assert "Statement 50" in second
    assert "<html" not in partial.content.decode()
    assert _edit_links(partial.content.decode()) == 1


# --- Writing questions ------------------------------------------------------------------------

CREATED = {
    "single_choice": (
        {
            "rows": [
                {"text": "$x = 2$", "feedback": "Yes."},
                {"text": "$x = 3$", "feedback": "Check the sign."},
                {"text": "", "feedback": ""},
            ],
            "right": "0",
        },
        {
            "choices": [
                {"id": "c1", "text": "$x = 2$", "fraction": 1, "feedback": "Yes."},
                {"id": "c2", "text": "$x = 3$", "fraction": 0, "feedback": "Check the sign."},
            ]
        },
    ),
    "multiple_choice": (
        {
            "rows": [
                {"text": "2", "right": "on"},
                {"text": "3", "right": "on"},
                {"text": "5", "right": "on"},
                {"text": "4"},
            ],
            "partial_credit": "on",
        },
        {
            "choices": [
                {"id": "c1", "text": "2", "fraction": 0.33333, "feedback": ""},
                {"id": "c2", "text": "3", "fraction": 0.33333, "feedback": ""},
                {"id": "c3", "text": "5", "fraction": 0.33333, "feedback": ""},
                {"id": "c4", "text": "4", "fraction": -0.33333, "feedback": ""},
            ],
            "partial_credit": True,
        },
    ),
    "true_false": (
        {"answer": "false", "feedback_true": "Look again.", "feedback_false": "Right."},
        {"answer": False, "feedback_true": "Look again.", "feedback_false": "Right."},
    ),
    "numeric": (
        {
            "rows": [
                {"value": "9,81", "tolerance": "0.05", "credit": "100"},
                {"value": "10", "tolerance": "", "credit": "50", "feedback": "Rounded."},
                {"value": "", "tolerance": "", "credit": "100"},
            ],
            "unit": "m/s²",
            "unit_required": "on",
        },
        {
            "answers": [
                {"value": "9.81", "tolerance": "0.05", "fraction": 1.0, "feedback": ""},
                {"value": "10", "tolerance": "0", "fraction": 0.5, "feedback": "Rounded."},
            ],
            "unit": "m/s²",
            "unit_required": True,
        },
    ),
    "short_text": (
        {
            "rows": [{"text": "photosynthesis", "credit": ""}, {"text": "light", "credit": "25"}],
            "case_sensitive": "on",
            "regex": "photo.*",
        },
        {
            "answers": [
                {"text": "photosynthesis", "fraction": 1.0, "feedback": ""},
                {"text": "light", "fraction": 0.25, "feedback": ""},
            ],
            "case_sensitive": True,
            "regex": "photo.*",
        },
    ),
    "ordering": (
        {
            "rows": [
                {"text": "two", "position": "2"},
                {"text": "one", "position": "1"},
                {"text": "three", "position": ""},
            ]
        },
        {
            "items": [
                {"id": "i1", "text": "one"},
                {"id": "i2", "text": "two"},
                {"id": "i3", "text": "three"},
            ],
            "partial_credit": False,
        },
    ),
}


@pytest.mark.parametrize("kind", list(CREATED))
def test_teacher_creates_each_kind_through_its_form(as_person, course_world, kind):
    # given
    course = course_world["course"]
    point = KnowledgePointFactory(course=course, name="Equations")
    fields, expected = CREATED[kind]
    fields = dict(fields)
    rows = fields.pop("rows", [])
    client = as_person("course_teacher")
    assert client.get(_url("bank_create", course, kind)).status_code == 200

    # when
    response = client.post(
        _url("bank_create", course, kind),
        _form(
            kind,
            rows=rows,
            title="My question",
            points="2.5",
            difficulty="4",
            knowledge_points=[point.pk],
            tags="algebra, chapter 1, algebra",
            explanation="Because.",
            **fields,
        ),
    )

    # then
    assert response.status_code == 302
    assert response.url == _url("bank_list", course)
    question = Question.objects.get()
    assert question.kind == kind
    assert question.title == "My question"
    assert question.difficulty == 4
    assert question.created_by == course_world["a"]["teacher"]
    assert list(question.knowledge_points.all()) == [point]
    assert sorted(t.name for t in question.tags.all()) == ["algebra", "chapter 1"]
    version = question.current_version
    assert (version.number, str(version.points), version.explanation) == (1, "2.50", "Because.")
    assert _spec_without_html(question) == expected


def test_a_blank_title_becomes_the_start_of_the_question(as_person, course_world):
    # given
    course = course_world["course"]

    # when
    as_person("course_teacher").post(
        _url("bank_create", course, "true_false"),
        _form("true_false", stem="The sky\r\nis blue.", title=""),
    )

    # then
    question = Question.objects.get()
    assert question.title == "The sky is blue."
    assert question.current_version.stem == "The sky\nis blue."


@pytest.mark.parametrize("kind", [k for k in QUESTIONS if k != "multiple_choice"])
def test_saving_the_edit_page_unchanged_keeps_the_answers_and_their_ids(
    as_person, course_world, kind
):
    # given
    course = course_world["course"]
    question = make_question(course, kind, title="Keep me", tags=["x"])
    before = _spec_without_html(question)
    client = as_person("course_teacher")
    page = client.get(_url("bank_edit", course, question.pk))

    # when
    response = client.post(_url("bank_edit", course, question.pk), _page_data(page))

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert _spec_without_html(question) == before
    assert question.current_version.number == 1
    assert [t.name for t in question.tags.all()] == ["x"]


EDITS = {
    "single_choice": (
        {"right": "1"},
        lambda spec: [(c["id"], c["fraction"]) for c in spec["choices"]],
        [("a", 0), ("b", 1), ("c", 0)],
    ),
    "multiple_choice": (
        {"partial_credit": None},
        lambda spec: [spec["partial_credit"], *(c["fraction"] for c in spec["choices"])],
        [False, 1, 1, 0],
    ),
    "true_false": ({"answer": "false"}, lambda spec: spec["answer"], False),
    "numeric": (
        {"unit": "m", "rows-0-tolerance": "0,1"},
        lambda spec: (spec["unit"], spec["answers"][0]["tolerance"]),
        ("m", "0.1"),
    ),
    "short_text": (
        {"rows-1-text": "Photosynthese", "rows-1-credit": "50"},
        lambda spec: [(a["text"], a["fraction"]) for a in spec["answers"]],
        [("photosynthesis", 1), ("Photosynthese", 0.5)],
    ),
    "ordering": (
        {"rows-0-position": "3", "rows-2-position": "1", "partial_credit": "on"},
        lambda spec: [spec["partial_credit"], *((i["id"], i["text"]) for i in spec["items"])],
        [True, ("3", "three"), ("2", "two"), ("1", "one")],
    ),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_teacher_edits_each_kind_through_its_form(as_person, course_world, kind):
    # given
    course = course_world["course"]
    question = make_question(course, kind)
    changes, summary, expected = EDITS[kind]
    client = as_person("school_admin")
    data = _page_data(client.get(_url("bank_edit", course, question.pk)))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value

    # when
    response = client.post(_url("bank_edit", course, question.pk), data)

    # then
    assert response.status_code == 302
    question.refresh_from_db()
    assert summary(question.current_version.spec) == expected
    assert question.current_version.number == 1  # nobody answered it: changed in place


def test_editing_choices_keeps_their_ids_and_numbers_new_ones(as_person, course_world):
    # given
    course = course_world["course"]
    question = make_question(course, "single_choice")
    client = as_person("course_teacher")
    page = client.get(_url("bank_edit", course, question.pk))
    assert 'name="rows-0-id" value="a"' in page.content.decode()
    data = _page_data(page)

    # when: choice b is reworded and made right, c is blanked out, a new one is written
    data.update({"rows-1-text": "$x = 3$ (reworded)", "right": "1", "rows-2-text": ""})
    data.update({"rows-3-text": "$x = 4$"})
    response = client.post(_url("bank_edit", course, question.pk), data)

    # then
    assert response.status_code == 302
    question.refresh_from_db()
    choices = question.current_version.spec["choices"]
    assert [(c["id"], c["text"], c["fraction"]) for c in choices] == [
        ("a", "$x = 2$", 0),
        ("b", "$x = 3$ (reworded)", 1),
        ("c1", "$x = 4$", 0),
    ]


def test_imported_weights_the_form_cannot_show_are_announced(as_person, course_world):
    # given: the fixture's wrong choice takes away 100%, not an equal share
    course = course_world["course"]
    question = make_question(course, "multiple_choice")
    client = as_person("course_teacher")

    # when
    page = client.get(_url("bank_edit", course, question.pk))
    client.post(_url("bank_edit", course, question.pk), _page_data(page))

    # then
    assert "cannot show" in page.content.decode()
    question.refresh_from_db()
    fractions = [c["fraction"] for c in question.current_version.spec["choices"]]
    assert fractions == [0.5, 0.5, -0.5]


def test_more_rows_redisplays_the_form_without_saving(as_person, course_world):
    # given
    course = course_world["course"]
    data = _form("ordering", stem="", rows=[{"text": "one"}])
    data["add_rows"] = "1"

    # when
    response = as_person("course_teacher").post(_url("bank_create", course, "ordering"), data)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="rows-3-text"' in page
    assert 'name="rows-4-text"' not in page
    assert "This field is required" not in page
    assert Question.objects.count() == 0


WRONG_CHOICE_ID = "x" * 17


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("single_choice", {"stem": ""}, "This field is required"),
        ("single_choice", {"stem": "   "}, "This field is required"),
        ("single_choice", {"right": ""}, "Mark one choice as right"),
        ("single_choice", {"right": "7"}, "Mark one choice as right"),
        ("single_choice", {"right": "nope"}, "Enter a whole number"),
        ("single_choice", {"rows-0-text": "", "rows-1-text": ""}, "needs 2 to 26 choices"),
        ("multiple_choice", {"rows-0-right": ""}, "Mark at least one choice as right"),
        ("single_choice", {"rows-0-id": "a", "rows-1-id": "a"}, "Two options have the same id"),
        ("single_choice", {"rows-0-id": "no spaces"}, "Option ids are"),
        ("short_text", {"regex": "(unclosed", "rows-0-text": ""}, "not a valid regular"),
        ("short_text", {"rows-0-credit": "50"}, "worth 100%"),
        ("numeric", {"rows-0-value": "1e400"}, "finite number below 10^15"),
        ("numeric", {"rows-0-value": "12abc"}, "must be a number"),
        ("numeric", {"rows-0-tolerance": "-1"}, "must not be negative"),
        ("numeric", {"rows-0-credit": "1000"}, "less than or equal to 100"),
        ("single_choice", {"points": "1e9"}, "Ensure"),
        ("single_choice", {"points": "-1"}, "greater than or equal to 0"),
        ("single_choice", {"difficulty": "9"}, "Select a valid choice"),
        ("single_choice", {"stem": "x" * 20_001}, "at most 20000 characters"),
        ("single_choice", {"title": "x" * 201}, "at most 200 characters"),
        ("single_choice", {"rows-0-text": "x" * 2_001}, "at most 2000 characters"),
        ("single_choice", {"explanation": "x" * 20_001}, "at most 20000 characters"),
        ("single_choice", {"tags": "x" * 51}, "at most 50 characters"),
        ("single_choice", {"knowledge_points": ["999999"]}, "Select a valid choice"),
        ("single_choice", {"knowledge_points": ["abc"]}, "is not a valid value"),
        ("true_false", {"answer": "maybe"}, "Select a valid choice"),
        ("true_false", {"feedback_true": "x" * 2_001}, "at most 2000 characters"),
        ("ordering", {"rows-1-text": ""}, "needs 2 to 26 items"),
        ("ordering", {"rows-0-position": "0"}, "greater than or equal to 1"),
        ("single_choice", {"rows-TOTAL_FORMS": "500"}, "at most 26"),
        ("single_choice", {"rows-TOTAL_FORMS": ""}, "ManagementForm data is missing"),
    ],
)
def test_bad_input_shows_the_form_with_the_reason_and_saves_nothing(
    as_person, course_world, kind, change, message
):
    # given
    course = course_world["course"]
    data = _form(kind)
    data.update(change)
    before = _snapshot()

    # when
    response = as_person("course_teacher").post(_url("bank_create", course, kind), data)

    # then
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page
    assert "The question was not saved" in page
    assert _snapshot() == before


def test_a_knowledge_point_of_another_course_is_refused(as_person, course_world):
    # given
    course = course_world["course"]
    elsewhere = KnowledgePointFactory(course=course_world["other_course"], name="B's point")
    data = _form(knowledge_points=[str(elsewhere.pk)])

    # when
    response = as_person("school_admin").post(_url("bank_create", course, "single_choice"), data)

    # then
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Question.objects.count() == 0


def test_a_bad_edit_changes_nothing(as_person, course_world):
    # given
    course = course_world["course"]
    question = make_question(course, "numeric", title="Gravity")
    before = (_snapshot(), _spec_without_html(question))
    client = as_person("course_teacher")
    data = _page_data(client.get(_url("bank_edit", course, question.pk)))
    data.update({"title": "Changed", "rows-0-value": "not a number"})

    # when
    response = client.post(_url("bank_edit", course, question.pk), data)

    # then
    assert response.status_code == 400
    assert "must be a number" in response.content.decode()
    question.refresh_from_db()
    assert (_snapshot(), _spec_without_html(question)) == before


def test_an_unknown_kind_in_the_url_offers_the_kinds(as_person, course_world):
    # given
    course = course_world["course"]
    client = as_person("course_teacher")

    # when
    shown = client.get(_url("bank_create", course, "essay"))
    posted = client.post(_url("bank_create", course, "essay"), _form())

    # then
    for response in (shown, posted):
        assert response.status_code == 400
        page = response.content.decode()
        assert "There is no question type" in page
        assert _url("bank_create", course, "single_choice") in page
    assert Question.objects.count() == 0


# --- Answered questions: versions and regrading ----------------------------------------------


def _answered_exam(world):
    """The exam's student has taken and submitted the test once, answering everything."""
    attempt, _ = attempt_start(assessment=world["assessment"], student=world["student"])
    for question in world["questions"].values():
        response_save(
            attempt=attempt, question_id=question.pk, answer=QUESTIONS[question.kind][1], seq=1
        )
    return attempt_submit(attempt=attempt)


def test_editing_an_answered_question_makes_version_2_and_offers_a_regrade(as_person, exam_world):
    # given
    course = exam_world["course"]
    question = exam_world["questions"]["single_choice"]
    attempt = _answered_exam(exam_world)
    assert attempt.score == 6
    client = as_person("course_teacher")
    page = client.get(_url("bank_edit", course, question.pk))
    assert "Saving makes a new version" in page.content.decode()
    data = _page_data(page)
    data["right"] = "1"  # the answer key was wrong: b is right

    # when
    response = client.post(_url("bank_edit", course, question.pk), data)

    # then
    assert response.url == _url("bank_edit", course, question.pk)
    question.refresh_from_db()
    assert question.current_version.number == 2
    assert question.versions.count() == 2
    assert Response.objects.get(question=question).version.number == 1
    page = client.get(response.url).content.decode()
    assert "version 2" in page
    assert "Regrade attempts" in page

    # when
    confirm = client.get(_url("bank_regrade", course, question.pk))
    done = client.post(_url("bank_regrade", course, question.pk), follow=True)

    # then
    assert "1 submitted attempt" in confirm.content.decode()
    assert "1 attempt regraded against version 2" in done.content.decode()
    assert Response.objects.get(question=question).version.number == 2
    attempt.refresh_from_db()
    assert attempt.score == 5
    assert "Regrade attempts" not in done.content.decode()


# --- Preview ----------------------------------------------------------------------------------


def test_the_student_preview_shows_no_answers_and_the_teacher_view_marks_them(
    as_person, exam_world
):
    # given
    course = exam_world["course"]
    questions = exam_world["questions"]
    client = as_person("course_teacher")

    # when
    student = {
        kind: client.get(_url("bank_preview", course, q.pk)).content.decode()
        for kind, q in questions.items()
    }
    teacher = {
        kind: client.get(_url("bank_answers", course, q.pk)).content.decode()
        for kind, q in questions.items()
    }

    # then
    single = student["single_choice"]
    assert "<math" in single  # LaTeX rendered
    assert "Check the sign." not in single
    assert "✓" not in single
    assert "100 %" not in single
    assert "Check the sign." in teacher["single_choice"]
    assert "✓" in teacher["single_choice"]
    assert "photosynthesis" not in student["short_text"]
    assert "photosynthesis" in teacher["short_text"]
    assert "9.81" not in student["numeric"]
    assert "m/s²" in student["numeric"]
    assert "9.81" in teacher["numeric"]
    order = re.findall(r"<li><span><p>(one|two|three)</p></span></li>", student["ordering"])
    assert sorted(order) == ["one", "three", "two"]
    assert order != ["one", "two", "three"]
    assert "The statement is true." in teacher["true_false"]
    assert "The statement is" not in student["true_false"]


# --- Delete -----------------------------------------------------------------------------------


def test_deleting_an_unused_question_after_confirming(as_person, course_world):
    # given
    course = course_world["course"]
    question = make_question(course, "true_false", title="Unused")
    client = as_person("course_teacher")

    # when
    confirm = client.get(_url("bank_delete", course, question.pk))
    response = client.post(_url("bank_delete", course, question.pk), follow=True)

    # then
    assert "Unused" in confirm.content.decode()
    assert "button-danger" in confirm.content.decode()
    assert not Question.objects.filter(pk=question.pk).exists()
    assert "Question deleted." in response.content.decode()


def test_deleting_a_used_question_is_refused_with_the_reason(as_person, exam_world):
    # given
    course = exam_world["course"]
    question = exam_world["questions"]["numeric"]

    # when
    response = as_person("school_admin").post(_url("bank_delete", course, question.pk), follow=True)

    # then
    assert response.redirect_chain[-1][0] == _url("bank_list", course)
    assert "archive it instead" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


# --- Import and export ------------------------------------------------------------------------

GIFT = """\
$CATEGORY: $course$/Algebra/Linear

::Solve::Solve $x + 2 = 4$. {=2 ~3 ~4}

::Prime::2 is prime. {T}
"""


def _confirmation(page: str) -> dict:
    """The hidden fields of the preview's Import button, as the browser sends them."""
    form = page[page.index('value="import"') - 2000 :]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    return {name: html.unescape(value) for name, value in fields.items()} | {"action": "import"}


def test_a_gift_import_is_previewed_then_imported_whole(as_person, course_world):
    # given
    course = course_world["course"]
    client = as_person("course_teacher")
    url = _url("bank_import", course)

    # when
    preview = client.post(
        url,
        {
            "format": "gift",
            "file": SimpleUploadedFile("bank.gift.txt", GIFT.encode()),
            "tags": "imported",
            "action": "preview",
        },
    )

    # then
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Solve" in page
    assert "Prime" in page
    assert "Linear" in page
    assert "Import 2 questions" in page
    assert Question.objects.count() == 0

    # when: the confirmation sends back what the preview read
    response = client.post(url, _confirmation(page), follow=True)

    # then
    assert "2 questions imported." in response.content.decode()
    questions = {q.title: q for q in Question.objects.filter(course=course)}
    assert set(questions) == {"Solve", "Prime"}
    assert questions["Solve"].kind == "single_choice"
    assert questions["Prime"].kind == "true_false"
    assert {t.name for t in questions["Solve"].tags.all()} == {"imported", "Linear"}
    assert questions["Solve"].created_by == course_world["a"]["teacher"]


def test_an_aiken_file_with_a_bom_and_chinese_imports(as_person, course_world):
    # given
    course = course_world["course"]
    text = "\ufeff中国的首都是哪里？\r\nA. 上海\r\nB. 北京\r\nANSWER: B\r\n"
    client = as_person("school_admin")
    url = _url("bank_import", course)

    # when
    preview = client.post(
        url,
        {
            "format": "aiken",
            "file": SimpleUploadedFile("aiken.txt", text.encode("utf-8")),
            "action": "preview",
        },
    )
    response = client.post(url, _confirmation(preview.content.decode()), follow=True)

    # then
    assert "中国的首都是哪里？" in preview.content.decode()
    assert "1 question imported." in response.content.decode()
    question = Question.objects.get(course=course)
    assert question.current_version.stem == "中国的首都是哪里？"
    choices = question.current_version.spec["choices"]
    assert [(c["text"], c["fraction"]) for c in choices] == [("上海", 0), ("北京", 1)]


def test_an_import_with_problems_cannot_be_confirmed(as_person, course_world):
    # given
    course = course_world["course"]
    text = "::Good::Fine? {T}\n\n::Bad::Broken {=a ~b\n"
    client = as_person("course_teacher")
    url = _url("bank_import", course)

    # when
    preview = client.post(url, {"format": "gift", "text": text, "action": "preview"})
    forced = client.post(url, {"format": "gift", "text": text, "action": "import"})

    # then
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "1 problem" in page
    assert re.search(r'value="import"\s+disabled', page)
    assert "row-error" in page
    assert "<td>3</td>" in page
    assert forced.status_code == 400
    assert "Nothing was imported" in forced.content.decode()
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "gift"}, "Choose a file or paste the questions"),
        ({"format": "gift", "text": "   \n"}, "Choose a file or paste the questions"),
        ({"format": "csv", "text": "::A::B {T}"}, "Select a valid choice"),
        (
            {"format": "gift", "file": ("bank.txt", b"\xff\xfe\x00b\x00a\x00d"), "text": ""},
            "not UTF-8",
        ),
        ({"format": "gift", "file": ("bank.txt", b"::A:: \x00 {T}")}, "not a text file"),
        ({"format": "gift", "file": ("bank.txt", b"")}, "The submitted file is empty"),
        (
            {"format": "gift", "file": ("bank.txt", b"x" * (MAX_INPUT_BYTES + 1))},
            "larger than 2 MB",
        ),
        ({"format": "gift", "text": "é" * (MAX_INPUT_BYTES // 2 + 1)}, "larger than 2 MB"),
        (
            {"format": "gift", "text": "::A::B {T}", "file": ("bank.txt", b"::C::D {F}")},
            "not both",
        ),
        ({"format": "gift", "text": "::A::B {T}", "tags": "x" * 51}, "at most 50 characters"),
    ],
)
def test_bad_imports_show_the_form_with_the_reason(as_person, course_world, data, message):
    # given
    course = course_world["course"]
    data = dict(data, action="import")
    if "file" in data:
        name, content = data["file"]
        data["file"] = SimpleUploadedFile(name, content)

    # when
    response = as_person("course_teacher").post(_url("bank_import", course), data)

    # then
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Question.objects.count() == 0


def test_export_downloads_gift_that_imports_back_to_the_same_questions(as_person, exam_world):
    # given
    course = exam_world["course"]
    archived = make_question(course, "true_false", title="Archived one")
    Question.objects.filter(pk=archived.pk).update(is_archived=True)
    client = as_person("course_teacher")

    # when
    response = client.get(_url("bank_export", course))

    # then
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="MATH-1-questions.gift.txt"'
    text = response.content.decode()
    assert "Archived one" not in text
    parsed = gift_parse(text)
    assert parsed.problems == []
    exported = {q.title: q for q in parsed.questions}
    originals = {q.title: q for q in exam_world["questions"].values() if q.kind != "ordering"}
    assert set(exported) == set(originals)  # GIFT has no ordering questions

    # when: imported back into a new course
    target = CourseFactory(school=course.school, code="COPY")
    target.teachers.add(exam_world["teacher"])
    imported = client.post(
        _url("bank_import", target), {"format": "gift", "text": text, "action": "import"}
    )

    # then
    assert imported.status_code == 302
    copies = {q.title: q for q in Question.objects.filter(course=target)}
    assert set(copies) == set(originals)
    for title, original in originals.items():
        copy = copies[title]
        assert (copy.kind, copy.current_version.stem) == (
            original.kind,
            original.current_version.stem,
        )
        expected = _spec_without_html(original, ids=False)
        if original.kind == "numeric":  # GIFT has no units
            expected.update(unit="", unit_required=False)
        assert _spec_without_html(copy, ids=False) == expected, title
