"""
Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format), read and written the way Moodle's
own qformat_gift does, for the question kinds of assessments.spec.

Reading:
- Questions are separated by blank lines; lines starting with `//` are comments. A `$CATEGORY:`
  line at the start of a block sets `category` for the questions after it.
- `::title::` and a `[markdown]` / `[plain]` / `[html]` / `[moodle]` prefix are optional; the text
  is kept as written (HTML included: the Markdown renderer sanitizes it).
- `\\~ \\= \\# \\{ \\} \\: \\\\` stand for the character itself, `\\n` for a line break; any other
  backslash is literal (so LaTeX like `$\\frac{a}{b}$` needs only its braces escaped).
- Answers in `{…}` decide the kind, in Moodle's order: `{#…}` numeric; any `~` multiple choice
  (single_choice when some answer starts with `=`, otherwise multiple_choice with partial credit,
  as Moodle makes it a multiple-answer question); `{T}` / `{TRUE}` / `{F}` / `{FALSE}` true/false;
  only `=` answers short_text. Braces in the middle of the text make a missing-word question whose
  stem shows `_____` where the answers were. `####` starts the general feedback (`explanation`).
- True/false feedback `{T#a#b}`: GIFT shows `a` when the student is wrong and `b` when right.
  `feedback_true` is what a student answering "true" sees, so for `{T#a#b}` it is `b` and
  `feedback_false` is `a`; for `{F#a#b}` `feedback_true` is `a` and `feedback_false` is `b`
  (Moodle's own mapping to its feedbacktrue / feedbackfalse).

Writing keeps every line break as `\\n`, so a question is one block whatever its Markdown. What
GIFT cannot say is left out with a `//` comment: ordering questions and short-text questions
whose only answer is a pattern are skipped; a pattern next to answers, case sensitivity and units
are dropped; an all-or-nothing multiple-choice question is written with weights (right answers
share 100%, wrong ones -100%), so it comes back with partial credit. A short-text answer
containing `->` cannot be written either: GIFT reads it back as a matching question.
"""

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

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
from assessments.spec import (
    MAX_ABS_NUMBER,
    MAX_OPTIONS,
    MULTIPLE_CHOICE,
    NUMERIC,
    ORDERING,
    SHORT_TEXT,
    SINGLE_CHOICE,
    TRUE_FALSE,
)

# Escaped characters become Unicode noncharacters (reserved for internal use) while the question
# is taken apart, so that every `~ = # { } :` left in the text is syntax.
_PLACEHOLDERS = {
    "\\": "\ufdd0",
    "~": "\ufdd1",
    "=": "\ufdd2",
    "#": "\ufdd3",
    "{": "\ufdd4",
    "}": "\ufdd5",
    ":": "\ufdd6",
    "n": "\ufdd7",
}
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_UNMASK = str.maketrans(
    {mark: "\n" if char == "n" else char for char, mark in _PLACEHOLDERS.items()}
)
_DROP_PLACEHOLDERS = dict.fromkeys(map(ord, _PLACEHOLDERS.values()))
_EXPORT_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "~": "\\~",
        "=": "\\=",
        "#": "\\#",
        "{": "\\{",
        "}": "\\}",
        ":": "\\:",
        "\n": "\\n",
        "\r": "",
    }
)
_FORMAT_PREFIX = re.compile(r"\[(?:markdown|plain|html|moodle)\]", re.IGNORECASE)
_CHOICE_MARKERS = re.compile(r"([~=])")
_WEIGHT = re.compile(r"-?\d+(?:\.\d+)?")
_CATEGORY = "$CATEGORY:"
_TRUE = ("T", "TRUE")
_FALSE = ("F", "FALSE")
_BLANK = "_____"


def _mask(text: str) -> str:
    return _ESCAPE.sub(lambda match: _PLACEHOLDERS[match.group(1)], text)


def _plain(masked: str) -> str:
    return masked.translate(_UNMASK).strip()


def _rich(masked: str) -> str:
    """Question text, answer or feedback: its format prefix dropped, escapes resolved."""
    masked = masked.strip()
    prefix = _FORMAT_PREFIX.match(masked)
    if prefix:
        masked = masked[prefix.end() :]
    return _plain(masked)


def _blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines with their line numbers, comment lines left out."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            if current:
                blocks.append(current)
                current = []
        elif not stripped.startswith("//"):
            current.append((number, line))
    if current:
        blocks.append(current)
    return blocks


def gift_parse(text: str) -> ParseResult:
    lines = source_lines(text)
    if isinstance(lines, ImportProblem):
        return ParseResult(problems=[lines])
    entries: list[tuple[int, str, str]] = []
    category = ""
    for block in _blocks(lines):
        first = block[0][1].strip()
        if first.startswith(_CATEGORY):
            category = first[len(_CATEGORY) :].strip()
            block = block[1:]
        if block:
            entries.append((block[0][0], "\n".join(line for _number, line in block), category))
    if len(entries) > MAX_QUESTIONS:
        return too_many_questions()
    result = ParseResult()
    for start, source, category in entries:
        try:
            result.questions.append(_question(source, start, category))
        except QuestionError as error:
            result.problems.append(ImportProblem(start, snippet(source), error.message))
    return result


def _question(source: str, line: int, category: str) -> ParsedQuestion:
    text = _mask(source.translate(_DROP_PLACEHOLDERS)).strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise QuestionError(_("The title starts with '::' but is not closed with '::'."))
        title = _plain(text[2:end])
        text = text[end + 2 :].strip()
    opening, closing = text.find("{"), text.find("}")
    if opening < 0 and closing < 0:
        raise QuestionError(
            _("No answers in braces {…}: descriptions (text without answers) are not supported.")
        )
    if opening < 0 or 0 <= closing < opening:
        raise QuestionError(_("A '}' comes before any '{'. Write a literal brace as \\}."))
    if closing < 0:
        raise QuestionError(
            _(
                "The answers opened with '{' are never closed with '}' (a blank line ends a "
                "question). Write a literal brace as \\{."
            )
        )
    if text.find("{", opening + 1, closing) >= 0:
        raise QuestionError(
            _(
                "A second '{' comes before the '}' closing the answers. Write a literal brace "
                "as \\{."
            )
        )
    after = text[closing + 1 :]
    if "{" in after or "}" in after:
        raise QuestionError(
            _(
                "Only one set of answers {…} per question is supported. Write a literal brace "
                "as \\{ or \\}."
            )
        )
    before = text[:opening]
    stem = _rich(f"{before}{_BLANK}{after}" if after.strip() else before)
    if not stem:
        raise QuestionError(_("The question has no text, only answers."))
    answers = text[opening + 1 : closing].strip()
    explanation = ""
    general = answers.rfind("####")
    if general >= 0:
        explanation = _rich(answers[general + 4 :])
        answers = answers[:general].strip()
    kind, spec = _answers(answers)
    return ParsedQuestion(
        kind=kind,
        title=title,
        stem=stem,
        spec=cleaned_spec(kind, spec),
        explanation=explanation,
        category=category,
        line=line,
    )


def _answers(answers: str) -> tuple[str, dict]:
    if not answers:
        raise QuestionError(_("Essay questions (empty answers {}) are not supported."))
    if answers.startswith("#"):
        return _numeric(answers[1:])
    if "~" in answers:
        return _choices(answers)
    if any("->" in _split_feedback(piece)[0] for piece in answers.split("=")[1:]):
        raise QuestionError(_("Matching questions (answers with '->') are not supported."))
    if answers.split("#", 1)[0].strip().upper() in _TRUE + _FALSE:
        return _true_false(answers)
    if "=" in answers:
        return _short_text(answers)
    raise QuestionError(
        _(
            "The answers '%(answers)s' are not understood: start right answers with '=', wrong "
            "ones with '~', a number with '#', or write T or F."
        )
        % {"answers": _plain(answers)[:40]}
    )


def _split_feedback(masked: str) -> tuple[str, str]:
    text, _sep, feedback = masked.partition("#")
    return text, feedback


def _weight(masked: str) -> tuple[float | None, str]:
    """A leading `%50%` as a fraction (0.5) and the rest of the answer; None when there is none."""
    if not masked.startswith("%"):
        return None, masked
    end = masked.find("%", 1)
    if end < 0:
        raise QuestionError(
            _("The weight at the start of '%(answer)s' is not closed with '%%' (like %%50%%).")
            % {"answer": _plain(masked)[:40]}
        )
    weight = masked[1:end].strip()
    if not _WEIGHT.fullmatch(weight):
        raise QuestionError(
            _("The weight '%(weight)s' is not a number; write weights like %%50%% or %%-25%%.")
            % {"weight": _plain(masked[: end + 1])[:40]}
        )
    return round(float(weight) / 100, 5), masked[end + 1 :]


def _check_count(pieces: list[str]) -> None:
    """Refuse before building them: a few hundred thousand answers would take seconds."""
    if len(pieces) > MAX_OPTIONS:
        raise QuestionError(
            _("A question takes at most %(limit)d answers; this one has %(count)d.")
            % {"limit": MAX_OPTIONS, "count": len(pieces)}
        )


def _leading_text(lead: str) -> None:
    if lead.strip():
        raise QuestionError(
            _(
                "Text '%(text)s' comes before the first answer: start each answer with '=' "
                "(right) or '~' (wrong)."
            )
            % {"text": _plain(lead)[:40]}
        )


def _choices(answers: str) -> tuple[str, dict]:
    parts = _CHOICE_MARKERS.split(answers)
    _leading_text(parts[0])
    _check_count(parts[1::2])
    choices = []
    single = False
    for marker, body in zip(parts[1::2], parts[2::2], strict=True):
        fraction, body = _weight(body.strip())
        if marker == "=":
            single = True
        if fraction is None:
            fraction = 1.0 if marker == "=" else 0.0
        text, feedback = _split_feedback(body)
        choices.append({"text": _rich(text), "fraction": fraction, "feedback": _rich(feedback)})
    if not any(choice["fraction"] > 0 for choice in choices):
        raise QuestionError(
            _(
                "No right answer: mark one with '=' or give answers positive weights like "
                "%(example)s."
            )
            % {"example": "~%50%"}
        )
    if single:
        return SINGLE_CHOICE, {"choices": choices}
    return MULTIPLE_CHOICE, {"choices": choices, "partial_credit": True}


def _true_false(answers: str) -> tuple[str, dict]:
    parts = answers.split("#")
    if len(parts) > 3:
        raise QuestionError(
            _(
                "A true/false question takes at most two feedbacks: {T#shown if wrong#shown if "
                "right}. Write a literal '#' as \\#."
            )
        )
    answer = parts[0].strip().upper() in _TRUE
    wrong = _rich(parts[1]) if len(parts) > 1 else ""
    right = _rich(parts[2]) if len(parts) > 2 else ""
    return TRUE_FALSE, {
        "answer": answer,
        "feedback_true": right if answer else wrong,
        "feedback_false": wrong if answer else right,
    }


def _short_text(answers: str) -> tuple[str, dict]:
    lead, *pieces = answers.split("=")
    _leading_text(lead)
    _check_count(pieces)
    rows = []
    for piece in pieces:
        fraction, body = _weight(piece.strip())
        text, feedback = _split_feedback(body)
        rows.append(
            {
                "text": _rich(text),
                "fraction": 1.0 if fraction is None else fraction,
                "feedback": _rich(feedback),
            }
        )
    return SHORT_TEXT, {"answers": rows, "case_sensitive": False, "regex": ""}


def _number(masked: str) -> Decimal:
    text = _plain(masked)
    try:
        number = Decimal(text.replace(",", ".")) if 0 < len(text) <= 40 else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise QuestionError(_("'%(text)s' is not a number.") % {"text": text[:40]})
    if abs(number) > MAX_ABS_NUMBER:
        raise QuestionError(_("The number %(text)s is too large.") % {"text": text[:40]})
    return number


def _numeric(answers: str) -> tuple[str, dict]:
    if "~" in answers:
        raise QuestionError(
            _("Feedback for any other number ('~' in a numeric question) is not supported.")
        )
    lead, *pieces = answers.split("=")
    if lead.strip():
        pieces.insert(0, lead)
    if not pieces:
        raise QuestionError(_("The numeric question has no number after '#'."))
    _check_count(pieces)
    rows = []
    for piece in pieces:
        fraction, body = _weight(piece.strip())
        number, feedback = _split_feedback(body)
        number = number.strip()
        if not number:
            raise QuestionError(_("A numeric answer has no number."))
        low, dots, high = number.partition("..")
        if dots and low.strip():
            low_value, high_value = _number(low), _number(high)
            if high_value < low_value:
                raise QuestionError(
                    _("The range %(range)s starts above its end; write it low..high.")
                    % {"range": _plain(number)}
                )
            value, tolerance = (low_value + high_value) / 2, (high_value - low_value) / 2
        else:
            value_text, colon, tolerance_text = number.partition(":")
            value = _number(value_text)
            tolerance = _number(tolerance_text) if colon else Decimal(0)
        rows.append(
            {
                "value": str(value),
                "tolerance": str(tolerance),
                "fraction": 1.0 if fraction is None else fraction,
                "feedback": _rich(feedback),
            }
        )
    return NUMERIC, {"answers": rows, "unit": "", "unit_required": False}


# Writing


def _out(text: str | None) -> str:
    """Text escaped for GIFT, guarded so that reading it back does not take a prefix off it."""
    text = (text or "").strip()
    escaped = text.translate(_EXPORT_ESCAPES)
    return f"[markdown]{escaped}" if _FORMAT_PREFIX.match(text) else escaped


def _percent(fraction: float) -> str:
    return f"{round(float(fraction) * 100, 3):g}"


def _feedback(text: str | None) -> str:
    written = _out(text)
    return f"#{written}" if written else ""


def _comment(message: str) -> str:
    return "// " + " ".join(message.split())


def _answer_line(marker: str, fraction: float, text: str | None, feedback: str | None) -> str:
    """One `=` / `~` answer; a bare marker gets an explicit weight when the text starts with %."""
    written = _out(text)
    if marker in ("=", "~") and written.startswith("%"):
        marker = "=%100%" if marker == "=" else f"~%{_percent(fraction)}%"
    return f"\t{marker}{written}{_feedback(feedback)}"


def _single_choice_answers(spec: dict) -> list[str]:
    choices = spec.get("choices") or []
    markers = []
    for choice in choices:
        fraction = float(choice.get("fraction", 0))
        if math.isclose(fraction, 1):
            markers.append("=")
        elif fraction == 0:
            markers.append("~")
        else:
            markers.append(f"~%{_percent(fraction)}%")
    if "=" in markers and not any(marker.startswith("~") for marker in markers):
        # Only '=' answers would read back as a short-text question.
        first = markers.index("=")
        markers = [m if i == first else "~%100%" for i, m in enumerate(markers)]
    return [
        _answer_line(marker, float(c.get("fraction", 0)), c.get("text"), c.get("feedback"))
        for marker, c in zip(markers, choices, strict=True)
    ]


def _multiple_choice_answers(spec: dict) -> list[str]:
    choices = spec.get("choices") or []
    fractions = [float(choice.get("fraction", 0)) for choice in choices]
    if not spec.get("partial_credit"):
        right = sum(1 for fraction in fractions if fraction > 0)
        share = round(1 / right, 5) if right else 0.0
        fractions = [share if fraction > 0 else -1.0 for fraction in fractions]
    return [
        _answer_line(
            f"~%{_percent(fraction)}%" if fraction else "~",
            fraction,
            choice.get("text"),
            choice.get("feedback"),
        )
        for fraction, choice in zip(fractions, choices, strict=True)
    ]


def _weighted(marker: str, fraction: float) -> str:
    return marker if math.isclose(fraction, 1) else f"{marker}%{_percent(fraction)}%"


def _export_question(question: Any) -> tuple[str | None, list[str]]:
    """The question in GIFT with the comments to write before it; None when it is skipped."""
    kind = question.kind
    spec = question.spec or {}
    title = " ".join((question.title or "").split())
    named = {"title": title or " ".join((question.stem or "").split())[:40]}
    stem = (question.stem or "").strip().translate(_EXPORT_ESCAPES)
    head = (f"::{title.translate(_EXPORT_ESCAPES)}::" if title else "") + f"[markdown]{stem}"
    explanation = _out(question.explanation)
    general = f"####{explanation}" if explanation else ""
    notes: list[str] = []
    opening = "{"
    if kind == TRUE_FALSE:
        answer = bool(spec.get("answer"))
        right = _out(spec.get("feedback_true") if answer else spec.get("feedback_false"))
        wrong = _out(spec.get("feedback_false") if answer else spec.get("feedback_true"))
        feedback = (f"#{wrong}" if wrong or right else "") + (f"#{right}" if right else "")
        return f"{head}{{{'TRUE' if answer else 'FALSE'}{feedback}{general}}}", notes
    if kind == SINGLE_CHOICE:
        lines = _single_choice_answers(spec)
    elif kind == MULTIPLE_CHOICE:
        lines = _multiple_choice_answers(spec)
        if not spec.get("partial_credit"):
            notes.append(
                _(
                    'Question "%(title)s" is all-or-nothing, which GIFT cannot say: it is '
                    "written with weights (partial credit)."
                )
                % named
            )
    elif kind == NUMERIC:
        opening = "{#"
        lines = [
            f"\t{_weighted('=', float(row.get('fraction', 1)))}{row.get('value')}:"
            f"{row.get('tolerance') or 0}{_feedback(row.get('feedback'))}"
            for row in spec.get("answers") or []
        ]
        if spec.get("unit"):
            notes.append(
                _('Question "%(title)s": its unit "%(unit)s" was left out (GIFT has no units).')
                % {**named, "unit": spec["unit"]}
            )
    elif kind == SHORT_TEXT:
        if not spec.get("answers"):
            skipped = _(
                'Question "%(title)s" was skipped: its only accepted answer is a pattern '
                "(regex), which GIFT cannot say."
            )
            return None, [skipped % named]
        lines = [
            _answer_line(
                _weighted("=", float(row.get("fraction", 1))),
                float(row.get("fraction", 1)),
                row.get("text"),
                row.get("feedback"),
            )
            for row in spec["answers"]
        ]
        if spec.get("regex"):
            notes.append(
                _('Question "%(title)s": its pattern was left out (GIFT has no patterns).') % named
            )
        if spec.get("case_sensitive"):
            notes.append(
                _(
                    'Question "%(title)s": its answers are case-sensitive, which GIFT cannot '
                    "say; they read back as case-insensitive."
                )
                % named
            )
    elif kind == ORDERING:
        return None, [
            _('Question "%(title)s" was skipped: GIFT has no ordering questions.') % named
        ]
    else:
        return None, [_('Question "%(title)s" was skipped: its type is unknown.') % named]
    if general:
        lines.append(f"\t{general}")
    return "\n".join([head + opening, *lines, "}"]), notes


def gift_export(questions: Iterable[Any]) -> str:
    """
    GIFT text for questions (anything with kind, title, stem, spec, explanation and category),
    one block each; what GIFT cannot express is written as `//` comments.
    """
    blocks: list[str] = []
    category = ""
    for question in questions:
        body, notes = _export_question(question)
        comments = [_comment(note) for note in notes]
        if body is None:
            blocks.append("\n".join(comments))
            continue
        wanted = " ".join((question.category or "").split())
        if wanted != category:
            blocks.append(f"{_CATEGORY} {wanted}".rstrip())
            category = wanted
        blocks.append("\n".join([*comments, body]))
    return "\n\n".join(blocks) + "\n" if blocks else ""
