from django import template

register = template.Library()


@register.simple_tag
def percent_of(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
