"""GIFT and Aiken import (and GIFT export): every construct, every problem, the round trip."""

import pytest

from assessments.formats import (
    MAX_INPUT_BYTES,
    MAX_QUESTIONS,
    ImportProblem,
    ParsedQuestion,
    ParseResult,
)
from assessments.formats.aiken import aiken_parse
from assessments.formats.gift import gift_export, gift_parse
from assessments.spec import spec_clean


def _only_question(result: ParseResult) -> ParsedQuestion:
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0]


def _only_problem(result: ParseResult) -> ImportProblem:
    assert result.questions == []
    assert len(result.problems) == 1
    return result.problems[0]


def _choices(question: ParsedQuestion) -> list[tuple[str, float, str]]:
    return [(c["text"], c["fraction"], c["feedback"]) for c in question.spec["choices"]]


def _every_spec_is_clean(result: ParseResult) -> None:
    for question in result.questions:
        assert spec_clean(question.kind, question.spec) == question.spec


# GIFT: what imports


def test_gift_right_and_wrong_answers_make_a_single_choice_question():
    # given
    text = "::Capital::What is the capital of France? {=Paris ~London ~Berlin}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "single_choice"
    assert question.title == "Capital"
    assert question.stem == "What is the capital of France?"
    assert _choices(question) == [("Paris", 1, ""), ("London", 0, ""), ("Berlin", 0, "")]
    assert [c["id"] for c in question.spec["choices"]] == ["c1", "c2", "c3"]
    assert question.line == 1
    assert question.category == ""
    assert question.explanation == ""


def test_gift_partial_weights_beside_a_right_answer_stay_a_single_choice_question():
    # given
    text = "Pick the best: {=Best ~%50%Good enough ~%25%Meh ~Wrong}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "single_choice"
    assert [c[1] for c in _choices(question)] == [1, 0.5, 0.25, 0]


def test_gift_weighted_answers_without_equals_make_a_partial_credit_multiple_choice():
    # given
    text = "Which are prime? {~%50%2 ~%50%3 ~%-100%4 ~%-100%9}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "multiple_choice"
    assert question.spec["partial_credit"] is True
    assert [c[1] for c in _choices(question)] == [0.5, 0.5, -1, -1]


def test_gift_thirds_written_as_33_333_percent_pass_the_credit_check():
    # given
    text = "Which are even? {~%33.333%2 ~%33.333%4 ~%33.333%6 ~%-100%7}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "multiple_choice"
    assert [c[1] for c in _choices(question)] == [0.33333, 0.33333, 0.33333, -1]


def test_gift_answer_feedback_and_general_feedback_are_kept():
    # given
    text = "2 + 2 = ? {\n=4 # Right, four.\n~3 # Too small.\n~5\n#### Count on your fingers.\n}"

    # when
    question = _only_question(gift_parse(text.replace("2 + 2 = ?", "2 + 2 \\= ?")))

    # then
    assert question.stem == "2 + 2 = ?"
    assert _choices(question) == [("4", 1, "Right, four."), ("3", 0, "Too small."), ("5", 0, "")]
    assert question.explanation == "Count on your fingers."


@pytest.mark.parametrize(
    ("answers", "expected"),
    [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False), ("{true}", True)],
)
def test_gift_true_false_answers(answers, expected):
    # given
    text = f"The sky is blue. {answers}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "true_false"
    assert question.spec == {"answer": expected, "feedback_true": "", "feedback_false": ""}


def test_gift_true_statement_feedback_first_goes_to_wrong_false_answer_second_to_true_answer():
    # given: GIFT shows the first feedback to a wrong answer, the second to a right one
    text = "The sky is blue. {T#No, look up.#Yes, it is.####Rayleigh scattering.}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.spec == {
        "answer": True,
        "feedback_true": "Yes, it is.",
        "feedback_false": "No, look up.",
    }
    assert question.explanation == "Rayleigh scattering."


def test_gift_false_statement_feedback_first_goes_to_wrong_true_answer_second_to_false_answer():
    # given
    text = "The sun is cold. {FALSE#No, it is hot.#Right, it is hot.}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.spec == {
        "answer": False,
        "feedback_true": "No, it is hot.",
        "feedback_false": "Right, it is hot.",
    }


def test_gift_equals_only_answers_make_a_short_text_question():
    # given
    text = "Who is buried in Grant's tomb? {=no one =nobody#Good. =%50%Grant#Half right.}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "short_text"
    assert question.spec == {
        "answers": [
            {"text": "no one", "fraction": 1, "feedback": ""},
            {"text": "nobody", "fraction": 1, "feedback": "Good."},
            {"text": "Grant", "fraction": 0.5, "feedback": "Half right."},
        ],
        "case_sensitive": False,
        "regex": "",
    }


def test_gift_numeric_answer_with_tolerance():
    # given
    text = "What is pi? {#3.14:0.01}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.kind == "numeric"
    assert question.spec == {
        "answers": [{"value": "3.14", "tolerance": "0.01", "fraction": 1, "feedback": ""}],
        "unit": "",
        "unit_required": False,
    }


def test_gift_numeric_range_becomes_its_midpoint_with_half_width_tolerance():
    # given
    text = "Pick a number from 1 to 5. {#1..5}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.spec["answers"] == [
        {"value": "3", "tolerance": "2", "fraction": 1, "feedback": ""}
    ]


def test_gift_several_numeric_answers_keep_weights_and_feedback():
    # given
    text = "What is pi? {#=3.14:0.01#Well done. =%50%3:0.5#Roughly. ####Pi is 3.14159…}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.spec["answers"] == [
        {"value": "3.14", "tolerance": "0.01", "fraction": 1, "feedback": "Well done."},
        {"value": "3", "tolerance": "0.5", "fraction": 0.5, "feedback": "Roughly."},
    ]
    assert question.explanation == "Pi is 3.14159…"


def test_gift_answers_in_the_middle_of_the_text_make_a_missing_word_question():
    # given
    text = "Grant is {~buried =entombed ~living} in Grant's tomb."

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.stem == "Grant is _____ in Grant's tomb."
    assert _choices(question)[1] == ("entombed", 1, "")


@pytest.mark.parametrize("prefix", ["[markdown]", "[plain]", "[html]", "[moodle]"])
def test_gift_format_prefix_is_dropped_and_the_text_kept(prefix):
    # given
    text = f"::Bold::{prefix}Is <b>this</b> **bold**? {{T}}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.title == "Bold"
    assert question.stem == "Is <b>this</b> **bold**?"


def test_gift_escapes_stand_for_the_character_and_other_backslashes_stay():
    # given
    text = (
        r"::a\:b:: Braces \{x\}, \= \~ \# a\:b, slash \\ and $\frac\{1\}\{2\}$ line\nbreak"
        r" {=\{a\} \= b#\#1 ~c\~d}"
    )

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.title == "a:b"
    assert question.stem == "Braces {x}, = ~ # a:b, slash \\ and $\\frac{1}{2}$ line\nbreak"
    assert _choices(question) == [("{a} = b", 1, "#1"), ("c~d", 0, "")]


def test_gift_comment_lines_are_ignored_and_blank_lines_separate_questions():
    # given
    text = "// A comment\n::One::\n// inside\nFirst? {T}\n\n\n  // another\nSecond? {F}\n"

    # when
    result = gift_parse(text)

    # then
    assert result.problems == []
    assert [(q.title, q.stem, q.line) for q in result.questions] == [
        ("One", "First?", 2),
        ("", "Second?", 8),
    ]


def test_gift_category_lines_set_the_category_of_following_questions():
    # given
    text = (
        "First? {T}\n\n"
        "$CATEGORY: $course$/top/Algebra\n\n"
        "Second? {T}\n\n"
        "Third? {F}\n\n"
        "$CATEGORY: Geometry/Triangles\n"
        "// right after the category line\n"
        "Fourth? {T}\n"
    )

    # when
    result = gift_parse(text)

    # then
    assert result.problems == []
    assert [(q.stem, q.category, q.line) for q in result.questions] == [
        ("First?", "", 1),
        ("Second?", "$course$/top/Algebra", 5),
        ("Third?", "$course$/top/Algebra", 7),
        ("Fourth?", "Geometry/Triangles", 11),
    ]


def test_gift_multi_line_question_with_answers_on_their_own_lines():
    # given
    text = (
        "::Lines::\n"
        "[markdown]First line\n"
        "second line with **bold**\n"
        "{\n"
        "\t=Yes #Right\n"
        "\t~No  #Wrong\n"
        "}\n"
    )

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.stem == "First line\nsecond line with **bold**"
    assert _choices(question) == [("Yes", 1, "Right"), ("No", 0, "Wrong")]


def test_gift_chinese_text_imports():
    # given
    text = "::地理::中国的首都是哪里？{=北京#对。~上海#不对。####北京是首都。}"

    # when
    question = _only_question(gift_parse(text))

    # then
    assert question.title == "地理"
    assert question.stem == "中国的首都是哪里？"
    assert _choices(question) == [("北京", 1, "对。"), ("上海", 0, "不对。")]
    assert question.explanation == "北京是首都。"


def test_gift_byte_order_mark_and_windows_line_endings_are_handled():
    # given
    text = "\ufeff// exported on Windows\r\n::A::First? {T}\r\n\r\n::B::Second?\r\n{#2}\r\n"

    # when
    result = gift_parse(text)

    # then
    assert result.problems == []
    assert [(q.title, q.stem, q.line) for q in result.questions] == [
        ("A", "First?", 2),
        ("B", "Second?", 4),
    ]


def test_gift_parsed_specs_are_already_clean():
    # given
    text = (
        "A {=a ~b}\n\nB {~%50%a ~%50%b ~c}\n\nC {T}\n\nD {#1..2}\n\nE {=x =%50%y}\n\nF {=a ~%50%b}"
    )

    # when
    result = gift_parse(text)

    # then
    assert len(result.questions) == 6
    _every_spec_is_clean(result)


# GIFT: what is reported


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Match: {=cat -> meow =dog -> woof}", "Matching questions"),
        ("Tell me about yourself. {}", "Essay questions"),
        ("Tell me about yourself. {####Be brief.}", "Essay questions"),
        ("Just some text, no answers.", "descriptions"),
        ("Unclosed {=a ~b", "never closed with '}'"),
        ("Stray } brace {=a ~b}", "A '}' comes before any '{'"),
        ("Only a stray } brace", "A '}' comes before any '{'"),
        ("Nested {=a {~b}", "A second '{'"),
        ("Two {=a ~b} blanks {=c ~d}", "Only one set of answers"),
        ("No right answer {~a ~b ~c}", "No right answer"),
        ("::Unclosed title Question {T}", "title starts with '::' but is not closed"),
        ("Leading {junk =a ~b}", "Text 'junk' comes before the first answer"),
        ("Leading {junk =a =b}", "Text 'junk' comes before the first answer"),
        ("Weight {~%abc%a =b}", "The weight '%abc%' is not a number"),
        ("Weight {~%50a =b}", "is not closed with '%'"),
        ("Number {#abc}", "'abc' is not a number."),
        ("Number {#3:abc}", "'abc' is not a number."),
        ("Number {#1e20}", "The number 1e20 is too large."),
        ("Number {#=}", "A numeric answer has no number."),
        ("Number {#}", "The numeric question has no number after '#'."),
        ("Range {#5..1}", "The range 5..1 starts above its end"),
        ("Other {#3 ~#Any other number is wrong}", "Feedback for any other number"),
        ("True? {T#a#b#c}", "at most two feedbacks"),
        ("Capital? {Paris}", "The answers 'Paris' are not understood"),
        ("{T}", "The question has no text"),
        ("One choice {=a ~}", "A choice must not be empty."),
        ("Half only {~%50%a ~b}", "The credits of the right choices must add up to 100%."),
        ("Too much {~%100%a ~%50%b}", "The credits of the right choices must add up to 100%."),
        ("Negative single {=a ~%-50%b}", "A choice's credit must be between 0 and 1."),
        ("Short half {=%50%a}", "One accepted answer must be worth 100%."),
        ("Tolerance {#3:-1}", "The tolerance must not be negative."),
        ("Many {=a" + " ~b" * 26 + "}", "at most 26 answers; this one has 27."),
        ("Many {" + "=a " * 27 + "}", "at most 26 answers; this one has 27."),
        ("Many {#" + "=1 " * 27 + "}", "at most 26 answers; this one has 27."),
    ],
)
def test_gift_bad_question_is_reported_with_what_is_wrong(text, expected):
    # given
    source = f"Fine? {{T}}\n\n// comment\n{text}\n\nAlso fine? {{F}}"

    # when
    result = gift_parse(source)

    # then
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert expected in problem.message
    assert problem.line == 4
    assert problem.snippet == text[:80]
    assert [q.stem for q in result.questions] == ["Fine?", "Also fine?"]


def test_gift_matching_question_is_reported_not_imported():
    # given
    text = "::Pets:: Match the animal to its sound. {\n=cat -> meow\n=dog -> woof\n}"

    # when
    problem = _only_problem(gift_parse(text))

    # then
    assert problem.message == "Matching questions (answers with '->') are not supported."
    assert problem.line == 1
    assert problem.snippet.startswith("::Pets:: Match the animal")


def test_gift_blank_line_inside_answers_reports_both_halves_and_keeps_the_next_question():
    # given
    text = "Broken {\n=a\n\n~b\n}\n\nGood? {T}"

    # when
    result = gift_parse(text)

    # then
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [
        (1, "The answers opened with '{' are never closed with '}'"),
        (4, "A '}' comes before any '{'. Write a literal brace as \\}."),
    ]
    assert [(q.stem, q.line) for q in result.questions] == [("Good?", 7)]


def test_gift_snippet_is_cut_to_80_characters_on_one_line():
    # given
    text = "x" * 50 + "\n" + "y" * 100 + " {}"

    # when
    problem = _only_problem(gift_parse(text))

    # then
    assert problem.snippet == "x" * 50 + " " + "y" * 29


# Aiken


def test_aiken_question_becomes_single_choice_with_the_answer_worth_1():
    # given
    text = "What is 2 + 2?\nA. 3\nB. 4\nC. 5\nANSWER: B\n"

    # when
    question = _only_question(aiken_parse(text))

    # then
    assert question.kind == "single_choice"
    assert question.title == ""
    assert question.stem == "What is 2 + 2?"
    assert question.line == 1
    assert _choices(question) == [("3", 0, ""), ("4", 1, ""), ("5", 0, "")]
    assert [c["id"] for c in question.spec["choices"]] == ["c1", "c2", "c3"]
    assert spec_clean(question.kind, question.spec) == question.spec


def test_aiken_options_with_brackets_and_multi_line_question_text():
    # given
    text = "Read this:\nThe cat sat.\nWho sat?\nA) The cat\nB) The dog\nANSWER: A"

    # when
    question = _only_question(aiken_parse(text))

    # then
    assert question.stem == "Read this:\nThe cat sat.\nWho sat?"
    assert _choices(question) == [("The cat", 1, ""), ("The dog", 0, "")]


def test_aiken_questions_separated_by_blank_lines_or_only_by_the_answer_line():
    # given
    text = (
        "One?\nA. a\nB. b\nANSWER: A\n"
        "Two?\nA. a\nB. b\nANSWER: B\n\n\n"
        "Three?\nA. a\nB. b\nANSWER: A"
    )

    # when
    result = aiken_parse(text)

    # then
    assert result.problems == []
    assert [(q.stem, q.line) for q in result.questions] == [
        ("One?", 1),
        ("Two?", 5),
        ("Three?", 11),
    ]


def test_aiken_chinese_text_with_full_width_punctuation():
    # given
    text = "中国的首都是哪里？\nA、北京\nB\uff0e上海\nC. 广州\nANSWER：A\n"

    # when
    question = _only_question(aiken_parse(text))

    # then
    assert question.stem == "中国的首都是哪里？"
    assert _choices(question) == [("北京", 1, ""), ("上海", 0, ""), ("广州", 0, "")]


def test_aiken_byte_order_mark_and_windows_line_endings_are_handled():
    # given
    text = (
        "\ufeffFirst?\r\nA. yes\r\nB. no\r\nANSWER: A\r\n\r\n"
        "Second?\r\nA. yes\r\nB. no\r\nANSWER: B\r\n"
    )

    # when
    result = aiken_parse(text)

    # then
    assert result.problems == []
    assert [(q.stem, q.line) for q in result.questions] == [("First?", 1), ("Second?", 6)]
    assert _choices(result.questions[1]) == [("yes", 0, ""), ("no", 1, "")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q?\nA. a\nB. b", "Missing the 'ANSWER: X' line after the options."),
        ("Q?\nA. a\nB. b\nANSWER: C", "ANSWER: C is not one of the options (A to B)."),
        ("Q?\nA. a\nANSWER: A", "at least 2 options, written 'A. text' or 'A) text'; found 1."),
        ("Just a line of text", "at least 2 options, written 'A. text' or 'A) text'; found 0."),
        ("Q?\nA. a\nC. c\nANSWER: A", "line 8 has C where B was expected."),
        ("Q?\nB. a\nC. c\nANSWER: B", "line 7 has B where A was expected."),
        ("Q?\nA. a\nB. b\nA. c\nANSWER: A", "Option A appears twice (lines 7 and 9)."),
        (
            "Q?\nA. a\nB. b\nANSWER: B because",
            "Text after the answer letter in 'ANSWER: B because'",
        ),
        ("Q?\nA. a\nB. b\nANSWER:", "The ANSWER line gives no letter"),
        ("A. a\nB. b\nANSWER: A", "The question has no text before its options."),
        ("Q?\nA. a\nB. \nANSWER: A", "A choice must not be empty."),
    ],
)
def test_aiken_bad_question_is_reported_with_what_is_wrong(text, expected):
    # given
    source = f"Fine?\nA. x\nB. y\nANSWER: A\n\n{text}\n\nAlso fine?\nA. x\nB. y\nANSWER: B\n"

    # when
    result = aiken_parse(source)

    # then
    assert len(result.problems) == 1
    assert expected in result.problems[0].message
    assert result.problems[0].line == 6
    assert result.problems[0].snippet == " ".join(text.split())[:80]
    assert [q.stem for q in result.questions] == ["Fine?", "Also fine?"]


def test_aiken_missing_answer_line_is_reported_and_the_next_question_still_imports():
    # given
    text = "First?\nA. a\nB. b\nSecond?\nA. c\nB. d\nANSWER: B\n"

    # when
    result = aiken_parse(text)

    # then
    assert [(p.line, p.message) for p in result.problems] == [
        (
            1,
            "Missing the 'ANSWER: X' line after the options: line 4 is neither an option "
            "nor the ANSWER line, so it starts the next question.",
        )
    ]
    assert [(q.stem, q.line) for q in result.questions] == [("Second?", 4)]


def test_aiken_answer_letter_outside_the_options_is_reported_not_imported():
    # given
    text = "Pick one\nA. a\nB. b\nC. c\nANSWER: E"

    # when
    problem = _only_problem(aiken_parse(text))

    # then
    assert problem.message == "ANSWER: E is not one of the options (A to C)."
    assert problem.line == 1
    assert problem.snippet == "Pick one A. a B. b C. c ANSWER: E"


# Size limits and speed


@pytest.mark.parametrize("parse", [gift_parse, aiken_parse])
def test_input_over_2_mb_is_refused_with_one_problem(parse):
    # given
    text = "Q? {T}\n\n" * (MAX_INPUT_BYTES // 8 + 1)

    # when
    result = parse(text)

    # then
    assert result.questions == []
    assert [(p.line, p.message) for p in result.problems] == [
        (0, "The file is larger than 2 MB; split it into smaller files.")
    ]


def test_input_over_2_mb_of_multibyte_text_is_refused():
    # given: fewer characters than the limit, more bytes
    text = "问题？ {T}\n\n" * (MAX_INPUT_BYTES // 12)

    # when
    result = gift_parse(text)

    # then
    assert result.questions == []
    assert result.problems[0].message.startswith("The file is larger than 2 MB")


def test_gift_more_than_2000_questions_are_refused():
    # given
    text = "Q? {T}\n\n" * (MAX_QUESTIONS + 1)

    # when
    result = gift_parse(text)

    # then
    assert result.questions == []
    assert [(p.line, p.message) for p in result.problems] == [
        (0, "The file has more than 2000 questions; split it into smaller files.")
    ]


def test_aiken_more_than_2000_questions_are_refused():
    # given
    text = "Q?\nA. a\nB. b\nANSWER: A\n" * (MAX_QUESTIONS + 1)

    # when
    result = aiken_parse(text)

    # then
    assert result.questions == []
    assert result.problems[0].message.startswith("The file has more than 2000 questions")


def test_gift_a_thousand_questions_all_parse():
    # given
    long_text = "Lorem ipsum dolor sit amet, 中文 \\{x\\} " * 20
    text = "\n\n".join(
        f"::Q{n}::{long_text} {n}? {{=right {n}#yes ~wrong ~%50%half ####General {n}.}}"
        for n in range(1_000)
    )

    # when
    result = gift_parse(text)

    # then
    assert result.problems == []
    assert len(result.questions) == 1_000
    assert result.questions[-1].title == "Q999"
    assert result.questions[-1].line == 1 + 2 * 999


def test_aiken_a_thousand_questions_all_parse():
    # given
    text = "\n\n".join(
        f"Question {n} " + "text " * 100 + "?\nA. one\nB. two\nC. three\nANSWER: C"
        for n in range(1_000)
    )

    # when
    result = aiken_parse(text)

    # then
    assert result.problems == []
    assert len(result.questions) == 1_000


@pytest.mark.parametrize(
    "text",
    [
        "{" * 200_000,
        "}" * 200_000,
        "\\" * 200_000 + "{T}",
        "::" * 200_000,
        "Q {" + "~%" * 200_000 + "}",
        "Q {#" + "=" * 200_000 + "}",
        "Q {=" + "#" * 400_000 + "}",
        "A. " * 200_000,
    ],
)
def test_pathological_input_is_reported_not_raised(text):
    # when
    results = [gift_parse(text), aiken_parse(text)]

    # then
    for result in results:
        assert isinstance(result, ParseResult)
        _every_spec_is_clean(result)


# GIFT export


def _question(kind: str, spec: dict, **fields) -> ParsedQuestion:
    values = {"title": "", "stem": "Stem?", "explanation": "", "category": ""} | fields
    return ParsedQuestion(kind=kind, spec=spec_clean(kind, spec), **values)


def _choice(text: str, fraction: float, feedback: str = "") -> dict:
    return {"text": text, "fraction": fraction, "feedback": feedback}


def _comparable(question: ParsedQuestion) -> tuple:
    return (
        question.kind,
        question.title,
        question.stem,
        spec_clean(question.kind, question.spec),
        question.explanation,
        question.category,
    )


def test_gift_export_writes_title_markdown_prefix_answers_and_feedback():
    # given
    question = _question(
        "single_choice",
        {"choices": [_choice("Paris", 1, "Yes!"), _choice("Lyon", 0), _choice("Nice", 0.5)]},
        title="Capital",
        stem="Capital of France?",
        explanation="It is Paris.",
    )

    # when
    text = gift_export([question])

    # then
    assert text == (
        "::Capital::[markdown]Capital of France?{\n"
        "\t=Paris#Yes!\n"
        "\t~Lyon\n"
        "\t~%50%Nice\n"
        "\t####It is Paris.\n"
        "}\n"
    )


def test_gift_export_escapes_special_characters():
    # given
    question = _question(
        "true_false",
        {"answer": False, "feedback_true": "a#b", "feedback_false": ""},
        title="x::y",
        stem="{a} = ~b # c: d \\ e\nnext",
    )

    # when
    text = gift_export([question])

    # then
    assert text == (
        "::x\\:\\:y::[markdown]\\{a\\} \\= \\~b \\# c\\: d \\\\ e\\nnext{FALSE#a\\#b}\n"
    )


def test_gift_export_writes_numeric_answers_with_tolerance_and_short_text_answers():
    # given
    numeric = _question(
        "numeric",
        {
            "answers": [
                {"value": "3.14", "tolerance": "0.01", "fraction": 1, "feedback": "Yes"},
                {"value": "3", "tolerance": "0.5", "fraction": 0.5},
            ]
        },
    )
    short = _question("short_text", {"answers": [_choice("Paris", 1), _choice("paris, FR", 0.5)]})

    # when
    text = gift_export([numeric, short])

    # then
    assert text == (
        "[markdown]Stem?{#\n\t=3.14:0.01#Yes\n\t=%50%3:0.5\n}\n\n"
        "[markdown]Stem?{\n\t=Paris\n\t=%50%paris, FR\n}\n"
    )


def test_gift_export_writes_a_category_line_only_when_the_category_changes():
    # given
    questions = [
        _question("true_false", {"answer": True}, stem="A", category=""),
        _question("true_false", {"answer": True}, stem="B", category="Math/Algebra"),
        _question("true_false", {"answer": True}, stem="C", category="Math/Algebra"),
        _question("true_false", {"answer": True}, stem="D", category="Physics"),
    ]

    # when
    text = gift_export(questions)

    # then
    assert text == (
        "[markdown]A{TRUE}\n\n"
        "$CATEGORY: Math/Algebra\n\n"
        "[markdown]B{TRUE}\n\n"
        "[markdown]C{TRUE}\n\n"
        "$CATEGORY: Physics\n\n"
        "[markdown]D{TRUE}\n"
    )


def test_gift_export_skips_ordering_question_with_a_comment_and_the_file_still_imports():
    # given
    questions = [
        _question("true_false", {"answer": True}, stem="Before"),
        _question("ordering", {"items": [{"text": "one"}, {"text": "two"}]}, title="Put in order"),
        _question("true_false", {"answer": False}, stem="After"),
    ]

    # when
    text = gift_export(questions)
    result = gift_parse(text)

    # then
    assert '// Question "Put in order" was skipped: GIFT has no ordering questions.' in text
    assert result.problems == []
    assert [q.stem for q in result.questions] == ["Before", "After"]


def test_gift_export_skips_short_text_question_whose_only_rule_is_a_pattern():
    # given
    question = _question("short_text", {"regex": "colou?r"}, title="Spelling")

    # when
    text = gift_export([question])

    # then
    assert text == (
        '// Question "Spelling" was skipped: its only accepted answer is a pattern (regex), '
        "which GIFT cannot say.\n"
    )
    assert gift_parse(text) == ParseResult()


def test_gift_export_notes_what_it_leaves_out():
    # given
    questions = [
        _question(
            "short_text",
            {"answers": [_choice("color", 1)], "regex": "colou?r", "case_sensitive": True},
            title="S",
        ),
        _question(
            "numeric",
            {"answers": [{"value": "9.8", "tolerance": "0.1"}], "unit": "m/s²"},
            title="N",
        ),
    ]

    # when
    text = gift_export(questions)
    result = gift_parse(text)

    # then
    assert '// Question "S": its pattern was left out (GIFT has no patterns).' in text
    assert '// Question "S": its answers are case-sensitive' in text
    assert '// Question "N": its unit "m/s²" was left out (GIFT has no units).' in text
    assert [(q.title, q.kind) for q in result.questions] == [("S", "short_text"), ("N", "numeric")]
    assert result.questions[0].spec["regex"] == ""


def test_gift_export_writes_all_or_nothing_multiple_choice_with_weights():
    # given
    question = _question(
        "multiple_choice",
        {"choices": [_choice("a", 1), _choice("b", 1), _choice("c", 0)], "partial_credit": False},
        title="All",
    )

    # when
    text = gift_export([question])
    parsed = _only_question(gift_parse(text))

    # then
    assert "\t~%50%a\n\t~%50%b\n\t~%-100%c\n" in text
    assert '// Question "All" is all-or-nothing' in text
    assert parsed.kind == "multiple_choice"
    assert parsed.spec["partial_credit"] is True
    assert [c[1] for c in _choices(parsed)] == [0.5, 0.5, -1]


def test_gift_export_of_nothing_is_empty():
    assert gift_export([]) == ""


def _round_trip_questions() -> list[ParsedQuestion]:
    tricky = "Braces {a} = b ~ c # d: e \\ f \\n g \\\\ h\n// not a comment\n$CATEGORY: no\n::x::"
    latex = "Compute $\\frac{a}{b}$ when $a = 1$ and $b \\ne 0$: \\(x^{2}\\)"
    return [
        _question(
            "single_choice",
            {
                "choices": [
                    _choice("Right {1}", 1, "Yes: because #1"),
                    _choice("Wrong ~2", 0, "No = never"),
                    _choice("%50% off", 0.5),
                    _choice("[html] literal prefix", 0),
                ]
            },
            title="Tricky: {title} #1",
            stem=tricky,
            explanation="General: {x} = y\n\nSecond paragraph ~ \\ end",
            category="Math/Fractions",
        ),
        _question(
            "single_choice",
            {"choices": [_choice("both", 1), _choice("right", 1)]},
            title="Two right",
            stem=latex,
        ),
        _question(
            "single_choice",
            {"choices": [_choice("%100 sure", 1), _choice("%0 sure", 0)]},
            stem="Percent texts?",
        ),
        _question(
            "multiple_choice",
            {
                "choices": [
                    _choice("二", 0.33333, "对"),
                    _choice("三", 0.33333),
                    _choice("五", 0.33333),
                    _choice("四", -1, "不是质数"),
                ],
                "partial_credit": True,
            },
            title="质数",
            stem="哪些是质数？\n请选择所有正确答案。",
            explanation="二、三、五是质数。",
            category="数学",
        ),
        _question(
            "multiple_choice",
            {"choices": [_choice("only", 1), _choice("not", 0)], "partial_credit": True},
            stem="One right among checkboxes",
        ),
        _question(
            "true_false",
            {"answer": True, "feedback_true": "Right: {yes}", "feedback_false": "Wrong # no"},
            title="TF true",
            stem="Multi-line\n\n- item one\n- item two\n\n```\ncode {block}\n```",
        ),
        _question(
            "true_false",
            {"answer": False, "feedback_true": "", "feedback_false": "Only right feedback"},
            stem="False with right feedback only",
            explanation="Because.",
        ),
        _question("true_false", {"answer": False}, stem="[html] stem starting with a prefix"),
        _question(
            "numeric",
            {
                "answers": [
                    {"value": "3.14", "tolerance": "0.01", "fraction": 1, "feedback": "π ≈ 3.14"},
                    {"value": "-3", "tolerance": "0.5", "fraction": 0.5, "feedback": "Sign?"},
                    {"value": "1E+3", "tolerance": "0", "fraction": 0.25},
                ]
            },
            title="Numbers",
            stem="What is $\\pi$?",
            explanation="$\\pi = 3.14159\\ldots$",
            category="",
        ),
        _question(
            "short_text",
            {
                "answers": [
                    _choice("北京", 1, "对"),
                    _choice("Peking = old", 0.5, "Old name: #1"),
                    _choice("%odd", 0.25),
                ]
            },
            title="[html] ::colons::",
            stem="中国的首都？ {blank}",
        ),
    ]


def test_gift_export_then_parse_gives_the_same_questions_back():
    # given
    questions = _round_trip_questions()

    # when
    result = gift_parse(gift_export(questions))

    # then
    assert result.problems == []
    assert [_comparable(q) for q in result.questions] == [_comparable(q) for q in questions]


def test_gift_round_trip_survives_a_second_pass():
    # given
    questions = _round_trip_questions()

    # when
    once = gift_export(questions)
    twice = gift_export(gift_parse(once).questions)

    # then
    assert twice == once
