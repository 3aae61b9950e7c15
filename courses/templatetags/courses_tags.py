from django import template
from django.utils.safestring import mark_safe

from courses.content import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    """Teacher-written Markdown as sanitized HTML (see courses.content)."""
    return mark_safe(render_markdown(text or ""))


@register.simple_tag
def percent_of(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
