"""Reading request data that the URL patterns do not type-check."""


def posted_id(value: str | None) -> int:
    """A primary key from a form field; anything that is not a positive integer gives 0."""
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**63 else 0
