"""
Assessments API bad input: every write endpoint answers missing fields, wrong types, absurd
numbers, overlong text, unknown or foreign ids and bodies that are not JSON objects with a clear
4xx in the one error shape, and changes nothing. Never a 500.

Bodies are written with Ref("name") for the ids of api_world's objects (resolved per test) and INF
for the JSON number 1e400.
"""

from dataclasses import dataclass

import pytest

from assessments.models import Question
from tests.assessments.conftest import QUESTIONS
from tests.assessments.test_api_permissions import (
    CLEAN_GIFT,
    INF,
    Raw,
    api_world_build,
    assert_error,
    db_state,
    error_codes,
    open_attempt,
    send,
    submitted_attempt,
    url,
)

HUGE = 2**70
UNKNOWN = 999_999
NUL = "a\x00b"
# A lone UTF-16 surrogate: valid JSON (\ud800), yet neither UTF-8 nor PostgreSQL can store it.
SURROGATE = "a\ud800b"
DEEP = 100_000


@pytest.fixture
def api_world(exam_world):
    return api_world_build(exam_world)


@dataclass(frozen=True)
class Ref:
    """The primary key of api_world[name]."""

    name: str


def resolve(value, world):
    if isinstance(value, Ref):
        return world[value.name].pk
    if isinstance(value, dict):
        return {key: resolve(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, world) for item in value]
    return value


def case(name, body, status=400):
    return pytest.param(body, status, id=name)


# Bodies every write endpoint refuses with 400 whatever it expects.
NOT_AN_OBJECT = [
    case("empty-body", None),
    case("json-list", ["not", "an", "object"]),
    case("json-null", Raw("null")),
    case("json-string", Raw('"hello"')),
    case("json-number", Raw("42")),
    case("not-json", Raw("not json")),
    case("deeply-nested-json", Raw("[" * DEEP + "]" * DEEP)),
    case("truncated-json", Raw('{"title": ')),
    case("json-nan", Raw('{"title": NaN}')),
]


def with_base(base, **changes):
    """`base` with fields changed; a value of ... drops the field."""
    body = {**base, **changes}
    return {key: value for key, value in body.items() if value is not ...}


def run(client, method, path, body, status, world):
    # given
    before = db_state()

    # when
    response = send(client, method, path, resolve(body, world))

    # then
    assert_error(response, status)
    assert db_state() == before
    return response


# --- Students: start, save, submit, result ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("attempt-start", UNKNOWN),
        ("attempt-start", HUGE),
        ("attempt-start", 0),
        ("attempt-start", Ref("b_assessment")),
        ("attempt-start", Ref("draft")),
        ("attempt-detail", UNKNOWN),
        ("attempt-detail", HUGE),
        ("attempt-detail", 0),
        ("attempt-submit", UNKNOWN),
        ("attempt-submit", HUGE),
        ("attempt-result", UNKNOWN),
        ("attempt-result", HUGE),
        ("attempt-result", "open"),  # not submitted yet
    ],
)
def test_unknown_or_foreign_ids_on_student_endpoints_are_404(as_person, api_world, name, target):
    client = as_person("enrolled_student")
    target = open_attempt(api_world).pk if target == "open" else resolve(target, api_world)
    method = "get" if name in ("attempt-detail", "attempt-result") else "post"
    run(client, method, url(name, target), None, 404, api_world)


GOOD_SAVE = {"answer": {"choice": "a"}, "seq": 1}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-seq", {"answer": {"choice": "a"}}),
        case("missing-answer", {"seq": 1}),
        case("seq-text", with_base(GOOD_SAVE, seq="x")),
        case("seq-fraction", with_base(GOOD_SAVE, seq=1.5)),
        case("seq-bool", with_base(GOOD_SAVE, seq=True)),
        case("seq-list", with_base(GOOD_SAVE, seq=[1])),
        case("seq-null", with_base(GOOD_SAVE, seq=None)),
        case("seq-zero", with_base(GOOD_SAVE, seq=0)),
        case("seq-negative", with_base(GOOD_SAVE, seq=-1)),
        case("seq-2**70", with_base(GOOD_SAVE, seq=HUGE)),
        case("seq-1e400", with_base(GOOD_SAVE, seq=INF)),
        case("answer-text", with_base(GOOD_SAVE, answer="a")),
        case("answer-list", with_base(GOOD_SAVE, answer=["a"])),
        case("answer-unknown-choice", with_base(GOOD_SAVE, answer={"choice": "zz"})),
        case("answer-choice-int", with_base(GOOD_SAVE, answer={"choice": HUGE})),
        case("answer-choice-overlong", with_base(GOOD_SAVE, answer={"choice": "a" * 100_000})),
    ],
)
def test_bad_save_is_400_and_saves_nothing(as_person, api_world, body, status):
    attempt = open_attempt(api_world)
    path = url("response-save", attempt.pk, api_world["questions"]["single_choice"].pk)
    run(as_person("enrolled_student"), "put", path, body, status, api_world)


def bad_answer(name, kind, value):
    return pytest.param(kind, value, id=name)


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        bad_answer("choices-text", "multiple_choice", {"choices": "a"}),
        bad_answer("choices-twice", "multiple_choice", {"choices": ["a", "a"]}),
        bad_answer("choices-too-many", "multiple_choice", {"choices": ["a", "b", "c", "d"]}),
        bad_answer("value-text", "true_false", {"value": "yes"}),
        bad_answer("value-int", "true_false", {"value": 1}),
        bad_answer("number-1e400", "numeric", {"value": INF}),
        bad_answer("number-2**70", "numeric", {"value": HUGE}),
        bad_answer("number-text-1e400", "numeric", {"value": "1e400"}),
        bad_answer("number-nan", "numeric", {"value": "NaN"}),
        bad_answer("number-words", "numeric", {"value": "nine"}),
        bad_answer("number-41-digits", "numeric", {"value": "9" * 41}),
        bad_answer("unit-21-chars", "numeric", {"value": "9.8", "unit": "m" * 21}),
        bad_answer("unit-nul", "numeric", {"value": "9.8", "unit": NUL}),
        bad_answer("unit-surrogate", "numeric", {"value": "9.8", "unit": SURROGATE}),
        bad_answer("text-int", "short_text", {"text": 42}),
        bad_answer("text-1001-chars", "short_text", {"text": "x" * 1001}),
        bad_answer("text-nul", "short_text", {"text": NUL}),
        bad_answer("text-surrogate", "short_text", {"text": SURROGATE}),
        bad_answer("order-repeats", "ordering", {"order": ["1", "1", "2"]}),
        bad_answer("order-incomplete", "ordering", {"order": ["1", "2"]}),
        bad_answer("order-ints", "ordering", {"order": [1, 2, 3]}),
    ],
)
def test_answer_that_does_not_fit_the_question_is_400_and_saves_nothing(
    as_person, api_world, kind, answer
):
    attempt = open_attempt(api_world)
    path = url("response-save", attempt.pk, api_world["questions"][kind].pk)
    body = {"answer": answer, "seq": 1}
    run(as_person("enrolled_student"), "put", path, body, 400, api_world)


@pytest.mark.parametrize(
    ("attempt", "question"),
    [
        ("open", UNKNOWN),
        ("open", HUGE),
        ("open", 0),
        ("open", Ref("loose")),  # A's question, not in the attempt
        ("open", Ref("b_question")),
        (UNKNOWN, "single_choice"),
        (HUGE, "single_choice"),
    ],
)
def test_save_to_an_unknown_attempt_or_question_is_404(as_person, api_world, attempt, question):
    open_id = open_attempt(api_world).pk
    attempt_id = open_id if attempt == "open" else attempt
    question_id = (
        api_world["questions"][question].pk
        if isinstance(question, str)
        else resolve(question, api_world)
    )
    path = url("response-save", attempt_id, question_id)
    run(as_person("enrolled_student"), "put", path, GOOD_SAVE, 404, api_world)


def test_save_after_submit_is_409_and_changes_nothing(as_person, api_world):
    attempt = submitted_attempt(api_world)
    path = url("response-save", attempt.pk, api_world["questions"]["single_choice"].pk)
    response = run(as_person("enrolled_student"), "put", path, GOOD_SAVE, 409, api_world)
    assert error_codes(response) == ["attempt_submitted"]


# --- Assessments -------------------------------------------------------------------------------

NEW_ASSESSMENT = {"course": Ref("course"), "title": "Quiz 2", "kind": "practice"}

# Bad settings, for create and update alike.
BAD_SETTINGS = [
    case("title-empty", {"title": ""}),
    case("title-blank", {"title": "   "}),
    case("title-201-chars", {"title": "x" * 201}),
    case("title-nul", {"title": NUL}),
    case("title-surrogate", {"title": SURROGATE}),
    case("title-list", {"title": ["Quiz"]}),
    case("title-null", {"title": None}),
    case("kind-unknown", {"kind": "quizz"}),
    case("kind-int", {"kind": 1}),
    case("instructions-20001-chars", {"instructions": "x" * 20_001}),
    case("instructions-nul", {"instructions": NUL}),
    case("module-text", {"module": "first"}),
    case("module-zero", {"module": 0}),
    case("module-2**70", {"module": HUGE}),
    case("module-unknown", {"module": UNKNOWN}, 404),
    case("module-of-another-school", {"module": Ref("b_module")}, 404),
    case("lesson-unknown", {"lesson": UNKNOWN}, 404),
    case("lesson-of-another-school", {"lesson": Ref("b_lesson")}, 404),
    case("opens-at-not-a-date", {"opens_at": "yesterday"}),
    case("opens-at-int", {"opens_at": 1_700_000_000}),
    case("opens-at-before-year-1", {"opens_at": "0001-01-01T00:00:00+01:00"}),
    case(
        "closes-before-opens",
        {"opens_at": "2030-06-02T09:00:00Z", "closes_at": "2030-06-01T09:00:00Z"},
    ),
    case(
        "closes-when-opens",
        {"opens_at": "2030-06-01T09:00:00Z", "closes_at": "2030-06-01T09:00:00Z"},
    ),
    case("time-limit-zero", {"time_limit_minutes": 0}),
    case("time-limit-negative", {"time_limit_minutes": -5}),
    case("time-limit-over-a-day", {"time_limit_minutes": 24 * 60 + 1}),
    case("time-limit-2**70", {"time_limit_minutes": HUGE}),
    case("time-limit-1e400", {"time_limit_minutes": INF}),
    case("time-limit-text", {"time_limit_minutes": "ten"}),
    case("attempts-negative", {"attempts_allowed": -1}),
    case("attempts-101", {"attempts_allowed": 101}),
    case("attempts-2**70", {"attempts_allowed": HUGE}),
    case("attempts-1e400", {"attempts_allowed": INF}),
    case("attempts-text", {"attempts_allowed": "two"}),
    case("attempts-fraction", {"attempts_allowed": 1.5}),
    case("grading-unknown", {"grading_method": "best"}),
    case("review-unknown", {"review_policy": "sometimes"}),
    case("layout-unknown", {"layout": "grid"}),
    case("selection-unknown", {"selection": "all"}),
    case("shuffle-text", {"shuffle_questions": "maybe"}),
    case("shuffle-2", {"shuffle_choices": 2}),
]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-course", with_base(NEW_ASSESSMENT, course=...)),
        case("missing-title", with_base(NEW_ASSESSMENT, title=...)),
        case("missing-kind", with_base(NEW_ASSESSMENT, kind=...)),
        case("course-text", with_base(NEW_ASSESSMENT, course="MATH-1")),
        case("course-zero", with_base(NEW_ASSESSMENT, course=0)),
        case("course-negative", with_base(NEW_ASSESSMENT, course=-1)),
        case("course-2**70", with_base(NEW_ASSESSMENT, course=HUGE)),
        case("course-1e400", with_base(NEW_ASSESSMENT, course=INF)),
        case("course-bool", with_base(NEW_ASSESSMENT, course=True)),
        case("course-null", with_base(NEW_ASSESSMENT, course=None)),
        case("course-unknown", with_base(NEW_ASSESSMENT, course=UNKNOWN), 404),
        case(
            "course-of-another-school", with_base(NEW_ASSESSMENT, course=Ref("other_course")), 404
        ),
        *[
            pytest.param(with_base(NEW_ASSESSMENT, **param.values[0]), param.values[1], id=param.id)
            for param in BAD_SETTINGS
        ],
    ],
)
def test_bad_assessment_create_is_refused_and_creates_nothing(as_person, api_world, body, status):
    run(as_person("course_teacher"), "post", url("assessment-list"), body, status, api_world)


UPDATE = {"title": "Unit test 1 (revised)", "kind": "unit_test"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-title", {"kind": "unit_test"}),
        case("missing-kind", {"title": "Renamed"}),
        *[
            pytest.param(with_base(UPDATE, **param.values[0]), param.values[1], id=param.id)
            for param in BAD_SETTINGS
        ],
    ],
)
def test_bad_assessment_update_is_refused_and_changes_nothing(as_person, api_world, body, status):
    path = url("assessment-detail", api_world["assessment"].pk)
    run(as_person("school_admin"), "put", path, body, status, api_world)


@pytest.mark.parametrize("target", [UNKNOWN, HUGE, 0, Ref("b_assessment")])
@pytest.mark.parametrize(
    ("name", "method", "body"),
    [
        ("assessment-detail", "get", None),
        ("assessment-detail", "put", UPDATE),
        ("assessment-publish", "post", {"published": True}),
        ("assessment-questions", "put", {"questions": []}),
        ("assessment-draw-rules", "put", {"rules": []}),
        ("assessment-accommodations", "put", {"student": Ref("student"), "extra_minutes": 5}),
        ("assessment-results", "get", None),
        ("assessment-item-analysis", "get", None),
    ],
)
def test_unknown_or_foreign_assessment_is_404(as_person, api_world, target, name, method, body):
    path = url(name, resolve(target, api_world))
    run(as_person("school_admin"), method, path, body, 404, api_world)


def test_changing_the_selection_after_students_started_is_400(as_person, api_world):
    open_attempt(api_world)
    path = url("assessment-detail", api_world["assessment"].pk)
    body = with_base(UPDATE, selection="random")
    run(as_person("course_teacher"), "put", path, body, 400, api_world)


def test_a_close_at_the_end_of_the_calendar_is_refused_or_works_with_extra_time(
    as_person, api_world
):
    """Year 9999 may be refused as absurd; if it is taken, extra time past it must not crash."""
    # given
    assessment, student = api_world["assessment"], api_world["student"]
    settings = with_base(UPDATE, closes_at="9999-12-31T23:59:59Z", attempts_allowed=2)

    # when
    updated = send(
        as_person("course_teacher"), "put", url("assessment-detail", assessment.pk), settings
    )

    # then
    if updated.status_code == 400:
        assert_error(updated, 400)
        return
    assert updated.status_code == 200, updated.content
    extra_time = {"student": student.pk, "extra_minutes": 60}
    path = url("assessment-accommodations", assessment.pk)
    assert send(as_person("course_teacher"), "put", path, extra_time).status_code == 204
    started = send(as_person("enrolled_student"), "post", url("attempt-start", assessment.pk))
    assert started.status_code == 201, started.content
    assert started.json()["deadline"] is not None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("published-text", {"published": "maybe"}),
        case("published-2", {"published": 2}),
        case("published-null", {"published": None}),
        case("published-list", {"published": [True]}),
    ],
)
def test_bad_publish_is_400_and_changes_nothing(as_person, api_world, body, status):
    path = url("assessment-publish", api_world["assessment"].pk)
    run(as_person("course_teacher"), "post", path, body, status, api_world)


def test_publishing_an_assessment_without_questions_is_400(as_person, api_world):
    path = url("assessment-publish", api_world["draft"].pk)
    run(as_person("course_teacher"), "post", path, {"published": True}, 400, api_world)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("questions-null", {"questions": None}),
        case("questions-text", {"questions": "1,2"}),
        case("questions-object", {"questions": {"1": 1}}),
        case("id-text", {"questions": ["a"]}),
        case("id-fraction", {"questions": [1.5]}),
        case("id-zero", {"questions": [0]}),
        case("id-negative", {"questions": [-1]}),
        case("id-2**70", {"questions": [HUGE]}),
        case("id-1e400", {"questions": [INF]}),
        case("id-unknown", {"questions": [Ref("loose"), UNKNOWN]}),
        case("id-of-another-school", {"questions": [Ref("b_question")]}),
        case("id-twice", {"questions": [Ref("loose"), Ref("loose")]}),
        case("archived-question", {"questions": [Ref("archived")]}),
        case("501-questions", {"questions": list(range(1, 502))}),
    ],
)
def test_bad_question_list_is_400_and_changes_nothing(as_person, api_world, body, status):
    path = url("assessment-questions", api_world["draft"].pk)
    run(as_person("course_teacher"), "put", path, body, status, api_world)


def rule(**fields):
    return {"count": 1, **fields}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("rules-null", {"rules": None}),
        case("rules-text", {"rules": "two"}),
        case("rule-text", {"rules": ["two"]}),
        case("rule-empty", {"rules": [{}]}),
        case("count-zero", {"rules": [rule(count=0)]}),
        case("count-negative", {"rules": [rule(count=-1)]}),
        case("count-201", {"rules": [rule(count=201)]}),
        case("count-2**70", {"rules": [rule(count=HUGE)]}),
        case("count-1e400", {"rules": [rule(count=INF)]}),
        case("count-text", {"rules": [rule(count="two")]}),
        case("count-fraction", {"rules": [rule(count=1.5)]}),
        case("difficulty-min-zero", {"rules": [rule(difficulty_min=0)]}),
        case("difficulty-max-six", {"rules": [rule(difficulty_max=6)]}),
        case("difficulty-band-reversed", {"rules": [rule(difficulty_min=5, difficulty_max=1)]}),
        case("point-text", {"rules": [rule(knowledge_point="algebra")]}),
        case("point-2**70", {"rules": [rule(knowledge_point=HUGE)]}),
        case("point-unknown", {"rules": [rule(knowledge_point=UNKNOWN)]}, 404),
        case("point-of-another-school", {"rules": [rule(knowledge_point=Ref("b_point"))]}, 404),
        case("more-than-the-bank-has", {"rules": [rule(count=50)]}),
        case("over-500-questions", {"rules": [rule(count=200)] * 3}),
        case("51-rules", {"rules": [rule()] * 51}),
    ],
)
def test_bad_draw_rules_are_refused_and_change_nothing(as_person, api_world, body, status):
    path = url("assessment-draw-rules", api_world["draft"].pk)
    run(as_person("course_teacher"), "put", path, body, status, api_world)


def extra(**fields):
    return {"student": Ref("student"), "extra_minutes": 10, **fields}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("no-one", {"extra_minutes": 10}),
        case("empty-object", {}),
        case("student-and-classroom", extra(classroom=Ref("classroom_a"))),
        case("student-text", extra(student="student_a")),
        case("student-2**70", extra(student=HUGE)),
        case("student-null", extra(student=None)),
        case("student-unknown", extra(student=UNKNOWN), 404),
        case("student-of-another-school", extra(student=Ref("b_student")), 404),
        case("student-not-enrolled", extra(student=Ref("other_teacher"))),
        case("classroom-unknown", {"classroom": UNKNOWN, "extra_minutes": 10}, 404),
        case("classroom-of-another-school", {"classroom": Ref("b_classroom")}, 404),
        case("minutes-negative", extra(extra_minutes=-1)),
        case("minutes-over-a-day", extra(extra_minutes=24 * 60 + 1)),
        case("minutes-2**70", extra(extra_minutes=HUGE)),
        case("minutes-1e400", extra(extra_minutes=INF)),
        case("minutes-text", extra(extra_minutes="ten")),
        case("attempts-negative", extra(extra_attempts=-1)),
        case("attempts-101", extra(extra_attempts=101)),
        case("attempts-2**70", extra(extra_attempts=HUGE)),
    ],
)
def test_bad_accommodation_is_refused_and_changes_nothing(as_person, api_world, body, status):
    api_world = {**api_world, "classroom_a": api_world["a"]["classroom"]}
    path = url("assessment-accommodations", api_world["assessment"].pk)
    run(as_person("course_teacher"), "put", path, body, status, api_world)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("assessment-list", "course=algebra"),
        ("assessment-list", "course=0"),
        ("assessment-list", f"course={HUGE}"),
        ("question-list", "course=algebra"),
        ("question-list", "course=-1"),
        ("question-list", f"course={HUGE}"),
        ("question-export", ""),
        ("question-export", "course="),
        ("question-export", "course=algebra"),
        ("question-export", f"course={HUGE}"),
    ],
)
def test_bad_list_filters_are_400(as_person, api_world, name, query):
    run(as_person("course_teacher"), "get", f"{url(name)}?{query}", None, 400, api_world)


@pytest.mark.parametrize("name", ["question-list", "question-export"])
@pytest.mark.parametrize("course", [UNKNOWN, Ref("other_course")])
def test_bank_of_an_unknown_or_foreign_course_is_404(as_person, api_world, name, course):
    path = f"{url(name)}?course={resolve(course, api_world)}"
    run(as_person("school_admin"), "get", path, None, 404, api_world)


# --- Questions ---------------------------------------------------------------------------------

NEW_QUESTION = {
    "course": Ref("course"),
    "kind": "true_false",
    "stem": "The earth is round.",
    "spec": {"answer": True},
}
SINGLE_CHOICE = QUESTIONS["single_choice"][0]


def choices(*texts, right=0):
    return {
        "choices": [
            {"text": text, **({"fraction": 1} if i == right else {})}
            for i, text in enumerate(texts)
        ]
    }


# Bad fields, for create and update alike (on a single-choice question).
BAD_QUESTION_FIELDS = [
    case("stem-empty", {"stem": ""}),
    case("stem-blank", {"stem": "   "}),
    case("stem-20001-chars", {"stem": "x" * 20_001}),
    case("stem-nul", {"stem": NUL}),
    case("stem-list", {"stem": ["x"]}),
    case("title-201-chars", {"title": "x" * 201}),
    case("explanation-20001-chars", {"explanation": "x" * 20_001}),
    case("spec-text", {"spec": "a or b"}),
    case("spec-list", {"spec": [1, 2]}),
    case("spec-null", {"spec": None}),
    case("spec-empty", {"spec": {}}),
    case("spec-no-right-choice", {"spec": choices("2", "3", right=None)}),
    case("spec-one-choice", {"spec": choices("2")}),
    case("spec-27-choices", {"spec": choices(*(str(i) for i in range(27)))}),
    case("spec-choice-2001-chars", {"spec": choices("x" * 2001, "y")}),
    case("spec-choice-nul", {"spec": choices(NUL, "y")}),
    case("spec-choice-surrogate", {"spec": choices(SURROGATE, "y")}),
    case(
        "spec-choice-feedback-nul",
        {"spec": {"choices": [{"text": "x", "fraction": 1, "feedback": NUL}, {"text": "y"}]}},
    ),
    case(
        "spec-choice-id-bad",
        {"spec": {"choices": [{"id": "a b", "text": "x", "fraction": 1}, {"text": "y"}]}},
    ),
    case(
        "spec-fraction-1e400",
        {"spec": {"choices": [{"text": "x", "fraction": INF}, {"text": "y"}]}},
    ),
    case(
        "spec-fraction-text",
        {"spec": {"choices": [{"text": "x", "fraction": "all"}, {"text": "y"}]}},
    ),
    case("points-negative", {"points": -1}),
    case("points-1001", {"points": 1001}),
    case("points-text", {"points": "many"}),
    case("points-nan", {"points": "NaN"}),
    case("points-1e400", {"points": INF}),
    case("points-2**70", {"points": HUGE}),
    case("points-three-decimals", {"points": "0.001"}),
    case("difficulty-zero", {"difficulty": 0}),
    case("difficulty-six", {"difficulty": 6}),
    case("difficulty-2**70", {"difficulty": HUGE}),
    case("difficulty-text", {"difficulty": "hard"}),
    case("tags-text", {"tags": "algebra"}),
    case("tags-21", {"tags": [f"t{i}" for i in range(21)]}),
    case("tag-51-chars", {"tags": ["x" * 51]}),
    case("tag-empty", {"tags": [""]}),
    case("tag-nul", {"tags": [NUL]}),
    case("tag-object", {"tags": [{"name": "x"}]}),
    case("knowledge-points-text", {"knowledge_points": "1,2"}),
    case("point-text", {"knowledge_points": ["algebra"]}),
    case("point-2**70", {"knowledge_points": [HUGE]}),
    case("point-unknown", {"knowledge_points": [UNKNOWN]}),
    case("point-of-another-school", {"knowledge_points": [Ref("b_point")]}),
    case("51-points", {"knowledge_points": [Ref("point")] * 51}),
]

NEW_SINGLE_CHOICE = with_base(NEW_QUESTION, kind="single_choice", spec=SINGLE_CHOICE)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-course", with_base(NEW_QUESTION, course=...)),
        case("missing-kind", with_base(NEW_QUESTION, kind=...)),
        case("missing-stem", with_base(NEW_QUESTION, stem=...)),
        case("missing-spec", with_base(NEW_QUESTION, spec=...)),
        case("kind-unknown", with_base(NEW_QUESTION, kind="essay")),
        case("kind-null", with_base(NEW_QUESTION, kind=None)),
        case("spec-of-another-kind", with_base(NEW_QUESTION, spec=SINGLE_CHOICE)),
        case(
            "numeric-value-1e400",
            with_base(NEW_QUESTION, kind="numeric", spec={"answers": [{"value": INF}]}),
        ),
        case(
            "numeric-value-2**70",
            with_base(NEW_QUESTION, kind="numeric", spec={"answers": [{"value": HUGE}]}),
        ),
        case(
            "numeric-tolerance-negative",
            with_base(
                NEW_QUESTION, kind="numeric", spec={"answers": [{"value": 1, "tolerance": -1}]}
            ),
        ),
        case(
            "numeric-unit-nul",
            with_base(NEW_QUESTION, kind="numeric", spec={"answers": [{"value": 1}], "unit": NUL}),
        ),
        case(
            "short-text-bad-regex", with_base(NEW_QUESTION, kind="short_text", spec={"regex": "("})
        ),
        case(
            "short-text-answer-nul",
            with_base(NEW_QUESTION, kind="short_text", spec={"answers": [{"text": NUL}]}),
        ),
        case(
            "ordering-item-nul",
            with_base(
                NEW_QUESTION, kind="ordering", spec={"items": [{"text": NUL}, {"text": "b"}]}
            ),
        ),
        case("course-text", with_base(NEW_QUESTION, course="MATH-1")),
        case("course-2**70", with_base(NEW_QUESTION, course=HUGE)),
        case("course-1e400", with_base(NEW_QUESTION, course=INF)),
        case("course-unknown", with_base(NEW_QUESTION, course=UNKNOWN), 404),
        case("course-of-another-school", with_base(NEW_QUESTION, course=Ref("other_course")), 404),
        *[
            pytest.param(
                with_base(NEW_SINGLE_CHOICE, **param.values[0]), param.values[1], id=param.id
            )
            for param in BAD_QUESTION_FIELDS
        ],
    ],
)
def test_bad_question_create_is_refused_and_creates_nothing(as_person, api_world, body, status):
    run(as_person("course_teacher"), "post", url("question-list"), body, status, api_world)


UPDATE_SINGLE_CHOICE = {"stem": "Solve x - 2 = 0", "spec": SINGLE_CHOICE}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-stem", {"spec": SINGLE_CHOICE}),
        case("missing-spec", {"stem": "Solve"}),
        case("spec-of-another-kind", with_base(UPDATE_SINGLE_CHOICE, spec={"answer": True})),
        case(
            "spec-drops-every-right-choice",
            with_base(UPDATE_SINGLE_CHOICE, spec=choices("1", "2", right=None)),
        ),
        *[
            pytest.param(
                with_base(UPDATE_SINGLE_CHOICE, **param.values[0]), param.values[1], id=param.id
            )
            for param in BAD_QUESTION_FIELDS
        ],
    ],
)
def test_bad_question_update_is_refused_and_changes_nothing(as_person, api_world, body, status):
    path = url("question-detail", api_world["questions"]["single_choice"].pk)
    run(as_person("school_admin"), "put", path, body, status, api_world)


@pytest.mark.parametrize("target", [UNKNOWN, HUGE, 0, Ref("b_question")])
@pytest.mark.parametrize(
    ("name", "method", "body"),
    [
        ("question-detail", "get", None),
        ("question-detail", "put", {"stem": "x", "spec": {"answer": True}}),
        ("question-detail", "delete", None),
        ("question-archive", "post", {"archived": True}),
        ("question-regrade", "post", {}),
    ],
)
def test_unknown_or_foreign_question_is_404(as_person, api_world, target, name, method, body):
    path = url(name, resolve(target, api_world))
    run(as_person("course_teacher"), method, path, body, 404, api_world)


def test_deleting_a_question_an_assessment_uses_is_400(as_person, api_world):
    path = url("question-detail", api_world["questions"]["numeric"].pk)
    response = run(as_person("course_teacher"), "delete", path, None, 400, api_world)
    assert "archive" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("archived-text", {"archived": "maybe"}),
        case("archived-2", {"archived": 2}),
        case("archived-null", {"archived": None}),
        case("archived-list", {"archived": [True]}),
    ],
)
def test_bad_archive_is_400_and_changes_nothing(as_person, api_world, body, status):
    path = url("question-archive", api_world["loose"].pk)
    run(as_person("course_teacher"), "post", path, body, status, api_world)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        case("json-list", [1]),
        case("json-null", Raw("null")),
        case("json-string", Raw('"hello"')),
        case("not-json", Raw("not json")),
        case("assessment-text", {"assessment": "unit test"}),
        case("assessment-zero", {"assessment": 0}),
        case("assessment-negative", {"assessment": -1}),
        case("assessment-2**70", {"assessment": HUGE}),
        case("assessment-1e400", {"assessment": INF}),
        case("assessment-null", {"assessment": None}),
        case("assessment-unknown", {"assessment": UNKNOWN}, 404),
        case("assessment-of-another-school", {"assessment": Ref("b_assessment")}, 404),
    ],
)
def test_bad_regrade_is_refused_and_changes_nothing(as_person, api_world, body, status):
    submitted_attempt(api_world)
    path = url("question-regrade", api_world["questions"]["single_choice"].pk)
    run(as_person("course_teacher"), "post", path, body, status, api_world)


# --- Import and export -------------------------------------------------------------------------

IMPORT = {"course": Ref("course"), "format": "gift", "text": CLEAN_GIFT, "dry_run": False}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        *NOT_AN_OBJECT,
        case("empty-object", {}),
        case("missing-course", with_base(IMPORT, course=...)),
        case("missing-format", with_base(IMPORT, format=...)),
        case("missing-text", with_base(IMPORT, text=...)),
        case("format-unknown", with_base(IMPORT, format="qti")),
        case("text-empty", with_base(IMPORT, text="")),
        case("text-null", with_base(IMPORT, text=None)),
        case("text-list", with_base(IMPORT, text=[CLEAN_GIFT])),
        case("text-nul", with_base(IMPORT, text=CLEAN_GIFT + NUL)),
        case("text-over-2-million-chars", with_base(IMPORT, text="x" * 2_000_001)),
        case("dry-run-text", with_base(IMPORT, dry_run="maybe")),
        case("tags-text", with_base(IMPORT, tags="algebra")),
        case("tag-51-chars", with_base(IMPORT, tags=["x" * 51])),
        case("tags-21", with_base(IMPORT, tags=[f"t{i}" for i in range(21)])),
        case("course-text", with_base(IMPORT, course="MATH-1")),
        case("course-2**70", with_base(IMPORT, course=HUGE)),
        case("course-unknown", with_base(IMPORT, course=UNKNOWN), 404),
        case("course-of-another-school", with_base(IMPORT, course=Ref("other_course")), 404),
        case(
            "stem-too-long-for-the-bank",
            with_base(IMPORT, text=CLEAN_GIFT + ("\n::Long::" + "x" * 20_001 + " {T}\n")),
        ),
    ],
)
def test_bad_import_is_refused_and_imports_nothing(as_person, api_world, body, status):
    run(as_person("course_teacher"), "post", url("question-import"), body, status, api_world)


ONE_BAD_GIFT = (
    CLEAN_GIFT + "\n::Pets:: Match the animal to its sound. {=cat -> meow =dog -> woof}\n"
)


def test_import_dry_run_lists_the_bad_question_and_creates_nothing(as_person, api_world):
    # given
    before = db_state()
    body = with_base(IMPORT, course=api_world["course"].pk, text=ONE_BAD_GIFT, dry_run=True)

    # when
    response = send(as_person("course_teacher"), "post", url("question-import"), body)

    # then
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["dry_run"] is True
    assert [q["title"] for q in report["questions"]] == ["Capital", "Earth"]
    assert len(report["problems"]) == 1
    problem = report["problems"][0]
    assert problem["line"] == 5
    assert problem["snippet"].startswith("::Pets::")
    assert "Matching" in problem["message"]
    assert report["created"] == []
    assert db_state() == before


def test_import_of_a_file_with_a_bad_question_is_400_and_imports_nothing(as_person, api_world):
    body = with_base(IMPORT, text=ONE_BAD_GIFT, dry_run=False)
    response = run(
        as_person("course_teacher"), "post", url("question-import"), body, 400, api_world
    )
    assert error_codes(response) == ["import_has_problems"]


def test_import_of_a_clean_file_creates_the_questions(as_person, api_world):
    # given
    course = api_world["course"]
    body = with_base(IMPORT, course=course.pk, tags=["imported"])

    # when
    response = send(as_person("school_admin"), "post", url("question-import"), body)

    # then
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["problems"] == []
    created = Question.objects.filter(pk__in=report["created"]).order_by("pk")
    assert len(report["created"]) == 2
    assert [(q.title, q.kind, q.course_id) for q in created] == [
        ("Capital", "single_choice", course.pk),
        ("Earth", "true_false", course.pk),
    ]
    assert all([t.name for t in q.tags.all()] == ["imported"] for q in created)


def test_export_is_a_gift_attachment_of_the_course_bank(as_person, api_world):
    # when
    response = as_person("course_teacher").get(
        f"{url('question-export')}?course={api_world['course'].pk}"
    )

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="MATH-1-questions.gift.txt"'
    text = response.content.decode()
    assert "::Loose question::" in text
    assert "::Q single_choice::" in text
    assert "Old question" not in text  # archived
    assert "B's question" not in text  # another school's bank
