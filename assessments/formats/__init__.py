"""
Question bank import and export formats (Moodle GIFT, Aiken) as pure text work, no database.

Parsers never raise on bad input: every question they cannot take becomes an ImportProblem saying
why, and the others still parse. Every ParsedQuestion's spec has been through `spec_clean`.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments.spec import spec_clean

MAX_INPUT_BYTES = 2 * 1024 * 1024
MAX_QUESTIONS = 2_000
SNIPPET_LENGTH = 80


@dataclass
class ParsedQuestion:
    kind: str
    title: str
    stem: str
    spec: dict
    explanation: str = ""
    category: str = ""
    line: int = 0


@dataclass
class ImportProblem:
    line: int
    snippet: str
    message: str


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


class QuestionError(Exception):
    """Why one question cannot be imported, worded for the person importing it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def source_lines(text: str) -> list[str] | ImportProblem:
    """The lines of an uploaded text (BOM dropped, any line ending), or the problem refusing it."""
    # A str is never shorter than its UTF-8 encoding, so huge inputs are refused before encoding.
    if len(text) > MAX_INPUT_BYTES or len(text.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
        return ImportProblem(
            line=0,
            snippet="",
            message=_("The file is larger than %(limit)d MB; split it into smaller files.")
            % {"limit": MAX_INPUT_BYTES // (1024 * 1024)},
        )
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def too_many_questions() -> ParseResult:
    return ParseResult(
        problems=[
            ImportProblem(
                line=0,
                snippet="",
                message=_(
                    "The file has more than %(limit)d questions; split it into smaller files."
                )
                % {"limit": MAX_QUESTIONS},
            )
        ]
    )


def snippet(source: str) -> str:
    """The start of a question's source on one line, to recognize it in a list of problems."""
    return " ".join(source[: SNIPPET_LENGTH * 4].split())[:SNIPPET_LENGTH]


def cleaned_spec(kind: str, spec: dict) -> dict:
    try:
        return spec_clean(kind, spec)
    except ValidationError as error:
        raise QuestionError("; ".join(error.messages)) from None
