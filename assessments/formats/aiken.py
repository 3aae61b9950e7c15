"""
The Aiken format: a question (one or more lines), its options lettered `A. text` or `A) text` in
order, then `ANSWER: X`. The ANSWER line ends the question; a blank line ends an unfinished one.
Each question becomes a single_choice worth 1 for the answer's option and 0 for the others.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from assessments.formats import (
    MAX_QUESTIONS,
    ImportProblem,
    ParsedQuestion,
    ParseResult,
    QuestionError,
    cleaned_spec,
    snippet,
    source_lines,
    too_many_questions,
)
from assessments.spec import SINGLE_CHOICE

# Full-width stops, brackets and the ideographic comma (U+FF0E, U+FF09, U+3001) are how Chinese
# keyboards often letter options; U+FF1A is the full-width colon.
_OPTION = re.compile(r"([A-Z])(?:[.)](?:\s+(.*))?|[\uff0e\uff09\u3001]\s*(.*))")
_ANSWER = re.compile(r"ANSWER\s*[:\uff1a](.*)", re.IGNORECASE)
_ANSWER_LETTER = re.compile(r"([A-Za-z])[.)]?")


@dataclass
class _Draft:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str, int]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    answer: str | None = None
    # The line that started something else before the ANSWER line came.
    interrupted_at: int | None = None


def aiken_parse(text: str) -> ParseResult:
    lines = source_lines(text)
    if isinstance(lines, ImportProblem):
        return ParseResult(problems=[lines])
    drafts: list[_Draft] = []
    draft: _Draft | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            draft = None
            continue
        if draft is None:
            draft = _Draft(line=number)
            drafts.append(draft)
        option = _OPTION.fullmatch(line)
        answer = _ANSWER.fullmatch(line)
        if answer:
            draft.source.append(line)
            draft.answer = answer.group(1).strip()
            draft = None
        elif option:
            draft.source.append(line)
            option_text = option.group(2) or option.group(3) or ""
            draft.options.append((option.group(1), option_text.strip(), number))
        elif draft.options:
            draft.interrupted_at = number
            draft = _Draft(line=number, stem=[raw.rstrip()], source=[line])
            drafts.append(draft)
        else:
            draft.source.append(line)
            draft.stem.append(raw.rstrip())
        if len(drafts) > MAX_QUESTIONS:
            return too_many_questions()
    result = ParseResult()
    for draft in drafts:
        try:
            result.questions.append(_question(draft))
        except QuestionError as error:
            source = "\n".join(draft.source)
            result.problems.append(ImportProblem(draft.line, snippet(source), error.message))
    return result


def _check_options(options: list[tuple[str, str, int]]) -> None:
    if len(options) < 2:
        raise QuestionError(
            _(
                "A question needs at least 2 options, written 'A. text' or 'A) text'; found "
                "%(count)d."
            )
            % {"count": len(options)}
        )
    seen: dict[str, int] = {}
    for letter, _text, line in options:
        if letter in seen:
            raise QuestionError(
                _("Option %(letter)s appears twice (lines %(first)d and %(second)d).")
                % {"letter": letter, "first": seen[letter], "second": line}
            )
        seen[letter] = line
    for index, (letter, _text, line) in enumerate(options):
        expected = chr(ord("A") + index)
        if letter != expected:
            raise QuestionError(
                _(
                    "Options must be lettered in order A, B, C…: line %(line)d has %(letter)s "
                    "where %(expected)s was expected."
                )
                % {"line": line, "letter": letter, "expected": expected}
            )


def _answer_letter(draft: _Draft) -> str:
    if draft.answer is None:
        if draft.interrupted_at is not None:
            raise QuestionError(
                _(
                    "Missing the 'ANSWER: X' line after the options: line %(line)d is neither "
                    "an option nor the ANSWER line, so it starts the next question."
                )
                % {"line": draft.interrupted_at}
            )
        raise QuestionError(_("Missing the 'ANSWER: X' line after the options."))
    if not draft.answer:
        raise QuestionError(_("The ANSWER line gives no letter; write it like 'ANSWER: B'."))
    letter = _ANSWER_LETTER.fullmatch(draft.answer)
    if not letter:
        raise QuestionError(
            _("Text after the answer letter in 'ANSWER: %(answer)s': write only the letter.")
            % {"answer": draft.answer[:40]}
        )
    return letter.group(1).upper()


def _question(draft: _Draft) -> ParsedQuestion:
    stem = "\n".join(draft.stem).strip()
    if not stem:
        raise QuestionError(_("The question has no text before its options."))
    _check_options(draft.options)
    answer = _answer_letter(draft)
    letters = [letter for letter, _text, _line in draft.options]
    if answer not in letters:
        raise QuestionError(
            _("ANSWER: %(answer)s is not one of the options (%(first)s to %(last)s).")
            % {"answer": answer, "first": letters[0], "last": letters[-1]}
        )
    choices = [
        {"id": "", "text": text, "fraction": 1 if letter == answer else 0, "feedback": ""}
        for letter, text, _line in draft.options
    ]
    return ParsedQuestion(
        kind=SINGLE_CHOICE,
        title="",
        stem=stem,
        spec=cleaned_spec(SINGLE_CHOICE, {"choices": choices}),
        line=draft.line,
    )
