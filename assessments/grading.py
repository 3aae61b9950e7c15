"""
Grading: how much of a question's credit an answer earns. Pure functions of a question version's
spec (assessments.spec) and a cleaned answer; no database, so the same code grades a submit,
a regrade and a live-lecture question.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from assessments.spec import normalize_text, number_parse

ZERO = Decimal(0)
ONE = Decimal(1)
_QUANTUM = Decimal("0.00001")
# A pattern gets this long to decide; a catastrophic one costs the student nothing but the credit.
REGEX_INPUT_LIMIT = 1_000


@dataclass(frozen=True)
class Grade:
    fraction: Decimal
    feedback: list[str] = field(default_factory=list)

    @property
    def is_correct(self) -> bool:
        return self.fraction >= ONE


def _fraction(value: float) -> Decimal:
    clamped = min(max(Decimal(str(value)), ZERO), ONE)
    return clamped.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def _single_choice(spec: dict, answer: dict) -> Grade:
    choice = next(c for c in spec["choices"] if c["id"] == answer["choice"])
    return Grade(_fraction(choice["fraction"]), [choice["feedback"]] if choice["feedback"] else [])


def _multiple_choice(spec: dict, answer: dict) -> Grade:
    picked = set(answer["choices"])
    chosen = [c for c in spec["choices"] if c["id"] in picked]
    feedback = [c["feedback"] for c in chosen if c["feedback"]]
    if spec.get("partial_credit"):
        return Grade(_fraction(sum(c["fraction"] for c in chosen)), feedback)
    right = {c["id"] for c in spec["choices"] if c["fraction"] > 0}
    return Grade(ONE if picked == right else ZERO, feedback)


def _true_false(spec: dict, answer: dict) -> Grade:
    right = answer["value"] is spec["answer"]
    text = spec["feedback_true"] if answer["value"] else spec["feedback_false"]
    return Grade(ONE if right else ZERO, [text] if text else [])


def _unit_ok(spec: dict, unit: str) -> bool:
    if not unit:
        return not spec.get("unit_required")
    return normalize_text(unit) == normalize_text(spec.get("unit", ""))


def _numeric(spec: dict, answer: dict) -> Grade:
    value = number_parse(answer["value"], field="value")
    if not _unit_ok(spec, answer.get("unit", "")):
        return Grade(ZERO)
    best = None
    for option in spec["answers"]:
        target = Decimal(option["value"])
        tolerance = Decimal(option["tolerance"])
        if abs(value - target) <= tolerance and (
            best is None or option["fraction"] > best["fraction"]
        ):
            best = option
    if best is None:
        return Grade(ZERO)
    return Grade(_fraction(best["fraction"]), [best["feedback"]] if best["feedback"] else [])


def _short_text(spec: dict, answer: dict) -> Grade:
    case_sensitive = spec.get("case_sensitive", False)
    given = normalize_text(answer["text"], case_sensitive=case_sensitive)
    if not given:
        return Grade(ZERO)
    best = None
    for option in spec["answers"]:
        if normalize_text(option["text"], case_sensitive=case_sensitive) == given and (
            best is None or option["fraction"] > best["fraction"]
        ):
            best = option
    if best is not None and math.isclose(best["fraction"], 1):
        return Grade(ONE, [best["feedback"]] if best["feedback"] else [])
    if spec.get("regex") and len(given) <= REGEX_INPUT_LIMIT:
        flags = 0 if case_sensitive else re.IGNORECASE
        if re.fullmatch(spec["regex"], given, flags):
            return Grade(ONE)
    if best is None:
        return Grade(ZERO)
    return Grade(_fraction(best["fraction"]), [best["feedback"]] if best["feedback"] else [])


def _ordering(spec: dict, answer: dict) -> Grade:
    right = [item["id"] for item in spec["items"]]
    placed = sum(1 for given, wanted in zip(answer["order"], right, strict=True) if given == wanted)
    if spec.get("partial_credit"):
        return Grade(_fraction(placed / len(right)))
    return Grade(ONE if placed == len(right) else ZERO)


_GRADERS = {
    "single_choice": _single_choice,
    "multiple_choice": _multiple_choice,
    "true_false": _true_false,
    "numeric": _numeric,
    "short_text": _short_text,
    "ordering": _ordering,
}


def grade(kind: str, spec: dict, answer: dict | None) -> Grade:
    """The credit (0 to 1) an answer cleaned by `answer_clean` earns; no answer earns nothing."""
    if answer is None:
        return Grade(ZERO)
    return _GRADERS[kind](spec, answer)


def right_answer(kind: str, spec: dict) -> dict:
    """The answer worth full credit, in the answer's own shape (for review pages)."""
    match kind:
        case "single_choice":
            return {"choice": next(c["id"] for c in spec["choices"] if c["fraction"] >= 1)}
        case "multiple_choice":
            return {"choices": [c["id"] for c in spec["choices"] if c["fraction"] > 0]}
        case "true_false":
            return {"value": spec["answer"]}
        case "numeric":
            best = max(spec["answers"], key=lambda a: a["fraction"])
            return {"value": best["value"], "unit": spec.get("unit", "")}
        case "short_text":
            full = [a["text"] for a in spec["answers"] if a["fraction"] >= 1]
            return {"text": full[0] if full else "", "pattern": spec.get("regex", "")}
        case _:
            return {"order": [item["id"] for item in spec["items"]]}
