"""The import formats by name, for the pages and the API that take a file in any of them."""

from assessments.formats import ParseResult
from assessments.formats.aiken import aiken_parse
from assessments.formats.gift import gift_parse

PARSERS = {"gift": gift_parse, "aiken": aiken_parse}


def questions_parse(*, format_name: str, text: str) -> ParseResult:
    """Parse `text` as `format_name`, one of PARSERS' keys."""
    return PARSERS[format_name](text)
