from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.grading import grade, right_answer
from assessments.spec import answer_clean, spec_clean


def _grade(kind, spec, answer):
    spec = spec_clean(kind, spec)
    return grade(kind, spec, answer_clean(kind, spec, answer))


SINGLE = {
    "choices": [
        {"id": "a", "text": "4", "fraction": 1, "feedback": "Yes."},
        {"id": "b", "text": "5", "fraction": 0, "feedback": "Count again."},
        {"id": "c", "text": "four-ish", "fraction": 0.5},
    ]
}
MULTIPLE = {
    "choices": [
        {"id": "a", "text": "2", "fraction": 0.5},
        {"id": "b", "text": "3", "fraction": 0.5},
        {"id": "c", "text": "4", "fraction": -1},
        {"id": "d", "text": "9", "fraction": -1},
    ],
    "partial_credit": True,
}


@pytest.mark.parametrize(
    ("choice", "fraction", "feedback"),
    [("a", "1", ["Yes."]), ("b", "0", ["Count again."]), ("c", "0.5", [])],
)
def test_single_choice_earns_the_picked_choices_credit(choice, fraction, feedback):
    # when
    result = _grade("single_choice", SINGLE, {"choice": choice})
    # then
    assert result.fraction == Decimal(fraction)
    assert result.feedback == feedback


@pytest.mark.parametrize(
    ("picked", "fraction"),
    [
        (["a", "b"], "1"),
        (["a"], "0.5"),
        (["a", "c"], "0"),  # a wrong pick cancels a right one
        (["a", "b", "c"], "0"),
        (["c", "d"], "0"),  # never below zero
        ([], "0"),
    ],
)
def test_multiple_choice_partial_credit_adds_weights_between_zero_and_one(picked, fraction):
    assert _grade("multiple_choice", MULTIPLE, {"choices": picked}).fraction == Decimal(fraction)


@pytest.mark.parametrize(
    ("picked", "fraction"), [(["a", "b"], "1"), (["a"], "0"), (["b", "a"], "1")]
)
def test_multiple_choice_without_partial_credit_needs_the_exact_set(picked, fraction):
    spec = {**MULTIPLE, "partial_credit": False}
    assert _grade("multiple_choice", spec, {"choices": picked}).fraction == Decimal(fraction)


def test_true_false_and_its_feedback():
    # given
    spec = {"answer": False, "feedback_true": "It is not.", "feedback_false": "Right."}
    # then
    assert _grade("true_false", spec, {"value": False}).fraction == 1
    wrong = _grade("true_false", spec, {"value": True})
    assert wrong.fraction == 0
    assert wrong.feedback == ["It is not."]


NUMERIC = {
    "answers": [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1},
        {"value": 3, "tolerance": 0.2, "fraction": 0.5, "feedback": "Close."},
    ],
    "unit": "m",
}


@pytest.mark.parametrize(
    ("value", "unit", "fraction"),
    [
        ("3.14", "", "1"),
        ("3.15", "m", "1"),  # on the tolerance's edge
        ("3,141", "M", "1"),  # decimal comma, unit case-insensitive
        (3.1, "m", "0.5"),  # the best matching answer wins: only the half-credit one fits
        ("3.151", "m", "0.5"),  # past the first tolerance, inside the second
        ("3.25", "m", "0"),
        ("3.14", "cm", "0"),  # a wrong unit earns nothing
        ("-3.14", "", "0"),
        ("1e2", "", "0"),
    ],
)
def test_numeric_tolerance_units_and_partial_answers(value, unit, fraction):
    assert _grade("numeric", NUMERIC, {"value": value, "unit": unit}).fraction == Decimal(fraction)


def test_numeric_required_unit_must_be_given():
    spec = {**NUMERIC, "unit_required": True}
    assert _grade("numeric", spec, {"value": "3.14"}).fraction == 0
    assert _grade("numeric", spec, {"value": "3.14", "unit": " m "}).fraction == 1


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-Infinity", "1e400", "", "3.1.4", "abc", True, None]
)
def test_numeric_absurd_or_malformed_numbers_are_refused(value):
    spec = spec_clean("numeric", NUMERIC)
    with pytest.raises(ValidationError):
        answer_clean("numeric", spec, {"value": value})


SHORT = {
    "answers": [
        {"text": "Newton", "fraction": 1},
        {"text": "Isaac", "fraction": 0.5, "feedback": "Surname, please."},
    ],
    "case_sensitive": False,
}


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("Newton", "1"),
        ("  newton ", "1"),  # whitespace and case
        ("\uff2e\uff25\uff37\uff34\uff2f\uff2e", "1"),  # full-width letters
        ("New  ton", "0"),
        ("isaac", "0.5"),
        ("", "0"),
    ],
)
def test_short_text_normalizes_case_whitespace_and_full_width(text, fraction):
    assert _grade("short_text", SHORT, {"text": text}).fraction == Decimal(fraction)


def test_short_text_case_sensitive_and_chinese_answers():
    spec = {"answers": [{"text": "pH"}, {"text": "二氧化碳"}], "case_sensitive": True}
    assert _grade("short_text", spec, {"text": "pH"}).fraction == 1
    assert _grade("short_text", spec, {"text": "PH"}).fraction == 0
    assert _grade("short_text", spec, {"text": " 二氧化碳 "}).fraction == 1


def test_short_text_regular_expression_gives_full_credit():
    spec = {"answers": [], "regex": r"(the )?mitochondri(a|on)"}
    assert _grade("short_text", spec, {"text": "The Mitochondrion"}).fraction == 1
    assert _grade("short_text", spec, {"text": "the nucleus"}).fraction == 0


def test_short_text_invalid_regex_is_refused_when_written():
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        spec_clean("short_text", {"answers": [], "regex": "(unclosed"})


def test_short_text_overlong_or_control_characters_are_refused():
    spec = spec_clean("short_text", SHORT)
    with pytest.raises(ValidationError, match="longer than"):
        answer_clean("short_text", spec, {"text": "x" * 1001})
    with pytest.raises(ValidationError, match="control characters"):
        answer_clean("short_text", spec, {"text": "a\x00b"})


ORDERING = {
    "items": [
        {"id": "1", "text": "One"},
        {"id": "2", "text": "Two"},
        {"id": "3", "text": "Three"},
        {"id": "4", "text": "Four"},
    ]
}


@pytest.mark.parametrize(
    ("order", "partial", "fraction"),
    [
        (["1", "2", "3", "4"], False, "1"),
        (["2", "1", "3", "4"], False, "0"),
        (["2", "1", "3", "4"], True, "0.5"),
        (["4", "3", "2", "1"], True, "0"),
    ],
)
def test_ordering_scores_exact_or_by_items_in_place(order, partial, fraction):
    spec = {**ORDERING, "partial_credit": partial}
    assert _grade("ordering", spec, {"order": order}).fraction == Decimal(fraction)


@pytest.mark.parametrize(
    "order", [["1", "2", "3"], ["1", "2", "3", "3"], ["1", "2", "3", "9"], [1, 2, 3, 4], "1234"]
)
def test_ordering_answer_must_list_every_item_once(order):
    spec = spec_clean("ordering", ORDERING)
    with pytest.raises(ValidationError, match="every item exactly once"):
        answer_clean("ordering", spec, {"order": order})


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("single_choice", {"choice": "zz"}),
        ("single_choice", {"choice": 1}),
        ("single_choice", "a"),
        ("multiple_choice", {"choices": ["a", "a"]}),
        ("multiple_choice", {"choices": "a"}),
        ("true_false", {"value": "true"}),
    ],
)
def test_malformed_answers_are_refused(kind, answer):
    spec = spec_clean(kind, SINGLE if kind != "true_false" else {"answer": True})
    with pytest.raises(ValidationError):
        answer_clean(kind, spec, answer)


def test_no_answer_earns_nothing():
    assert grade("single_choice", spec_clean("single_choice", SINGLE), None).fraction == 0


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        ("single_choice", {"choices": [{"text": "a"}, {"text": "b"}]}, "Mark one choice"),
        ("single_choice", {"choices": [{"text": "a", "fraction": 1}]}, "needs 2 to 26"),
        (
            "multiple_choice",
            {"choices": [{"text": "a", "fraction": 0.5}, {"text": "b"}], "partial_credit": True},
            "add up to 100%",
        ),
        ("numeric", {"answers": [{"value": "x"}]}, "must be a number"),
        ("numeric", {"answers": [{"value": 1, "tolerance": -1}]}, "must not be negative"),
        ("short_text", {"answers": []}, "at least one accepted answer"),
        ("ordering", {"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "same id"),
        ("true_false", {"answer": "yes"}, "true or false"),
        ("essay", {}, "Unknown question type"),
    ],
)
def test_bad_question_specs_are_refused_with_the_reason(kind, spec, message):
    with pytest.raises(ValidationError, match=message):
        spec_clean(kind, spec)


def test_right_answers_for_review():
    assert right_answer("single_choice", spec_clean("single_choice", SINGLE)) == {"choice": "a"}
    assert right_answer("multiple_choice", spec_clean("multiple_choice", MULTIPLE)) == {
        "choices": ["a", "b"]
    }
    assert right_answer("ordering", spec_clean("ordering", ORDERING)) == {
        "order": ["1", "2", "3", "4"]
    }
