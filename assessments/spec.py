"""
What a question is made of, per kind: the `spec` a question version stores, and the answer a
student sends. Both are JSON; this module is the one place that knows their shape.

Specs (Markdown in every `text` / `feedback`; `id`s are short strings, unique in the question and
kept when a question is edited so that old answers still point at the right choice):

- single_choice:   {"choices": [{"id", "text", "fraction", "feedback"}, ...]}
  `fraction` is the credit for picking that choice, 0 to 1; at least one choice is worth 1.
- multiple_choice: {"choices": [{"id", "text", "fraction", "feedback"}, ...],
                    "partial_credit": bool}
  A choice is right when its fraction is above 0. With partial credit the fractions of the right
  choices add up to 1 and wrong ones may be negative (Moodle's weights); the score is the sum of
  the picked choices' fractions, kept between 0 and 1. Without it, only the exact set scores.
- true_false:      {"answer": bool, "feedback_true": str, "feedback_false": str}
- numeric:         {"answers": [{"value", "tolerance", "fraction", "feedback"}, ...],
                    "unit": str, "unit_required": bool}
  `value` and `tolerance` are finite numbers; an answer within value ± tolerance earns its
  fraction (the best one wins). With a unit, the student may type it after the number.
- short_text:      {"answers": [{"text", "fraction", "feedback"}, ...], "case_sensitive": bool,
                    "regex": str}
  Answers are compared after normalization (Unicode NFKC, so full-width letters and digits equal
  their ASCII forms; whitespace collapsed; case folded unless case-sensitive). `regex`, when set,
  is a pattern the whole normalized answer may match for full credit.
- ordering:        {"items": [{"id", "text"}, ...], "partial_credit": bool}
  Items are stored in the right order and shown shuffled. With partial credit, the score is the
  share of items in their right place.

Answers (what the browser sends, validated by `answer_clean`):
  single_choice {"choice": id} · multiple_choice {"choices": [id, ...]} · true_false
  {"value": bool} · numeric {"value": "3.14", "unit": "m"} (number or string) · short_text
  {"text": str} · ordering {"order": [id, ...]} (every item once).
"""

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
TRUE_FALSE = "true_false"
NUMERIC = "numeric"
SHORT_TEXT = "short_text"
ORDERING = "ordering"
KINDS = (SINGLE_CHOICE, MULTIPLE_CHOICE, TRUE_FALSE, NUMERIC, SHORT_TEXT, ORDERING)

MAX_OPTIONS = 26
MAX_OPTION_TEXT = 2_000
MAX_FEEDBACK = 2_000
MAX_ANSWER_TEXT = 1_000
MAX_REGEX = 500
# Numbers beyond this are typing accidents or attacks, never answers.
MAX_ABS_NUMBER = Decimal("1e15")
_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


def _fail(message: str) -> None:
    raise ValidationError(message, code="invalid")


def _no_control_characters(value: str, *, field: str) -> None:
    """Refuse NUL and other control characters (tabs and newlines aside), and lone surrogates."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\t\n\r"):
            _fail(_("%(field)s contains control characters.") % {"field": field})


def _text(value, *, field: str, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        _fail(_("%(field)s must be text.") % {"field": field})
    _no_control_characters(value, field=field)
    value = value.strip()
    if required and not value:
        _fail(_("%(field)s must not be empty.") % {"field": field})
    if len(value) > limit:
        _fail(
            _("%(field)s is longer than %(limit)d characters.") % {"field": field, "limit": limit}
        )
    return value


def _fraction(value, *, low: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        _fail(_("%(field)s must be a number.") % {"field": field})
    try:
        number = float(value)
    except ValueError:
        _fail(_("%(field)s must be a number.") % {"field": field})
    if not math.isfinite(number) or not low <= number <= 1:
        _fail(_("%(field)s must be between %(low)s and 1.") % {"field": field, "low": low})
    return round(number, 5)


def number_parse(value, *, field: str) -> Decimal:
    """A finite number of sensible size from a JSON number or a string ("3,5" is accepted)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        _fail(_("%(field)s must be a number.") % {"field": field})
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else value
    if isinstance(text, str) and (not text or len(text) > 40):
        _fail(_("%(field)s must be a number.") % {"field": field})
    try:
        number = Decimal(text) if isinstance(text, str) else Decimal(str(text))
    except InvalidOperation:
        _fail(_("%(field)s must be a number.") % {"field": field})
    if not number.is_finite() or abs(number) > MAX_ABS_NUMBER:
        _fail(_("%(field)s must be a finite number below 10^15.") % {"field": field})
    return number


def _ids(items: list[dict], *, prefix: str) -> list[dict]:
    """Give items without an id the next free `<prefix><n>`; refuse malformed or repeated ids."""
    seen = {item["id"] for item in items if item.get("id")}
    for item in items:
        if item.get("id") and not (isinstance(item["id"], str) and _ID.fullmatch(item["id"])):
            _fail(_("Option ids are 1 to 16 letters, digits, '-' or '_'."))
    if len({item["id"] for item in items if item.get("id")}) != sum(
        1 for i in items if i.get("id")
    ):
        _fail(_("Two options have the same id."))
    n = 0
    for item in items:
        if not item.get("id"):
            n += 1
            while f"{prefix}{n}" in seen:
                n += 1
            item["id"] = f"{prefix}{n}"
            seen.add(item["id"])
    return items


def _options(raw, *, field: str, minimum: int) -> list[dict]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        _fail(_("%(field)s must be a list of objects.") % {"field": field})
    if not minimum <= len(raw) <= MAX_OPTIONS:
        _fail(
            _("A question needs %(low)d to %(high)d %(field)s.")
            % {"low": minimum, "high": MAX_OPTIONS, "field": field}
        )
    return raw


def _choices(spec: dict, *, multiple: bool) -> dict:
    raw = _options(spec.get("choices"), field=_("choices"), minimum=2)
    choices = _ids(
        [
            {
                "id": item.get("id") or "",
                "text": _text(item.get("text"), field=_("A choice"), limit=MAX_OPTION_TEXT),
                "fraction": _fraction(
                    item.get("fraction", 0), low=-1 if multiple else 0, field=_("A choice's credit")
                ),
                "feedback": _text(
                    item.get("feedback"), field=_("Feedback"), limit=MAX_FEEDBACK, required=False
                ),
            }
            for item in raw
        ],
        prefix="c",
    )
    right = [c["fraction"] for c in choices if c["fraction"] > 0]
    if multiple:
        partial = bool(spec.get("partial_credit", False))
        if not right:
            _fail(_("Mark at least one choice as right."))
        if partial and not math.isclose(sum(right), 1, abs_tol=0.011):
            _fail(_("The credits of the right choices must add up to 100%."))
        return {"choices": choices, "partial_credit": partial}
    if not any(math.isclose(f, 1) for f in right):
        _fail(_("Mark one choice as right (worth 100%)."))
    return {"choices": choices}


def _numeric(spec: dict) -> dict:
    raw = _options(spec.get("answers"), field=_("answers"), minimum=1)
    answers = []
    for item in raw:
        value = number_parse(item.get("value"), field=_("The answer"))
        tolerance = number_parse(item.get("tolerance", 0), field=_("The tolerance"))
        if tolerance < 0:
            _fail(_("The tolerance must not be negative."))
        answers.append(
            {
                "value": str(value),
                "tolerance": str(tolerance),
                "fraction": _fraction(
                    item.get("fraction", 1), low=0, field=_("An answer's credit")
                ),
                "feedback": _text(
                    item.get("feedback"), field=_("Feedback"), limit=MAX_FEEDBACK, required=False
                ),
            }
        )
    if not any(math.isclose(a["fraction"], 1) for a in answers):
        _fail(_("One answer must be worth 100%."))
    unit = _text(spec.get("unit"), field=_("The unit"), limit=20, required=False)
    return {
        "answers": answers,
        "unit": unit,
        "unit_required": bool(unit and spec.get("unit_required")),
    }


def _short_text(spec: dict) -> dict:
    raw = spec.get("answers") or []
    regex = _text(spec.get("regex"), field=_("The pattern"), limit=MAX_REGEX, required=False)
    if regex:
        try:
            re.compile(regex)
        except re.error as error:
            _fail(_("The pattern is not a valid regular expression: %(error)s") % {"error": error})
    if not raw and not regex:
        _fail(_("Give at least one accepted answer or a pattern."))
    raw = _options(raw, field=_("answers"), minimum=0) if raw else []
    answers = [
        {
            "text": _text(item.get("text"), field=_("An accepted answer"), limit=MAX_ANSWER_TEXT),
            "fraction": _fraction(item.get("fraction", 1), low=0, field=_("An answer's credit")),
            "feedback": _text(
                item.get("feedback"), field=_("Feedback"), limit=MAX_FEEDBACK, required=False
            ),
        }
        for item in raw
    ]
    if answers and not regex and not any(math.isclose(a["fraction"], 1) for a in answers):
        _fail(_("One accepted answer must be worth 100%."))
    return {"answers": answers, "case_sensitive": bool(spec.get("case_sensitive")), "regex": regex}


def _ordering(spec: dict) -> dict:
    raw = _options(spec.get("items"), field=_("items"), minimum=2)
    items = _ids(
        [
            {
                "id": item.get("id") or "",
                "text": _text(item.get("text"), field=_("An item"), limit=MAX_OPTION_TEXT),
            }
            for item in raw
        ],
        prefix="i",
    )
    return {"items": items, "partial_credit": bool(spec.get("partial_credit", False))}


def _true_false(spec: dict) -> dict:
    if not isinstance(spec.get("answer"), bool):
        _fail(_("Say whether the statement is true or false."))
    return {
        "answer": spec["answer"],
        "feedback_true": _text(
            spec.get("feedback_true"), field=_("Feedback"), limit=MAX_FEEDBACK, required=False
        ),
        "feedback_false": _text(
            spec.get("feedback_false"), field=_("Feedback"), limit=MAX_FEEDBACK, required=False
        ),
    }


def spec_clean(kind: str, spec) -> dict:
    """The spec in its canonical shape (ids assigned, numbers normalized), or ValidationError."""
    if kind not in KINDS:
        _fail(_("Unknown question type."))
    if not isinstance(spec, dict):
        _fail(_("The question's answers must be an object."))
    match kind:
        case "single_choice":
            return _choices(spec, multiple=False)
        case "multiple_choice":
            return _choices(spec, multiple=True)
        case "true_false":
            return _true_false(spec)
        case "numeric":
            return _numeric(spec)
        case "short_text":
            return _short_text(spec)
        case _:
            return _ordering(spec)


def normalize_text(text: str, *, case_sensitive: bool = False) -> str:
    """NFKC (full-width → ASCII forms), whitespace collapsed and trimmed, case folded."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


def _choice_id(value, ids: set[str]) -> str:
    if not isinstance(value, str) or value not in ids:
        _fail(_("That choice is not one of this question's choices."))
    return value


def answer_clean(kind: str, spec: dict, answer) -> dict:
    """The answer in canonical form for this question, or ValidationError with the reason."""
    if not isinstance(answer, dict):
        _fail(_("An answer must be an object."))
    match kind:
        case "single_choice":
            ids = {c["id"] for c in spec["choices"]}
            return {"choice": _choice_id(answer.get("choice"), ids)}
        case "multiple_choice":
            ids = {c["id"] for c in spec["choices"]}
            picked = answer.get("choices")
            if not isinstance(picked, list) or len(picked) > len(ids):
                _fail(_("Choices must be a list of this question's choices."))
            picked = [_choice_id(value, ids) for value in picked]
            if len(set(picked)) != len(picked):
                _fail(_("A choice is listed twice."))
            return {"choices": sorted(picked)}
        case "true_false":
            if not isinstance(answer.get("value"), bool):
                _fail(_("The answer must be true or false."))
            return {"value": answer["value"]}
        case "numeric":
            value = number_parse(answer.get("value"), field=_("The answer"))
            unit = _text(answer.get("unit"), field=_("The unit"), limit=20, required=False)
            return {"value": str(value), "unit": unit}
        case "short_text":
            text = answer.get("text")
            if not isinstance(text, str):
                _fail(_("The answer must be text."))
            if len(text) > MAX_ANSWER_TEXT:
                _fail(
                    _("The answer is longer than %(limit)d characters.")
                    % {"limit": MAX_ANSWER_TEXT}
                )
            _no_control_characters(text, field=_("The answer"))
            return {"text": text}
        case "ordering":
            ids = [item["id"] for item in spec["items"]]
            order = answer.get("order")
            if (
                not isinstance(order, list)
                or not all(isinstance(value, str) for value in order)
                or sorted(order) != sorted(ids)
            ):
                _fail(_("The order must list every item exactly once."))
            return {"order": order}
    _fail(_("Unknown question type."))
