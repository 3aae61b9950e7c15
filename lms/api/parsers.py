from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """
    DRF's JSON parser, with deeply nested input (`[[[[…]]]]`) refused as a 400: Python's json
    module raises RecursionError on it, which DRF does not catch and would answer with a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error
