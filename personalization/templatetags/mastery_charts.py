from django import template

from personalization import charts
from personalization.selectors import MasteryLevel, mastery_percent, mastery_percent_value

register = template.Library()


@register.simple_tag
def mastery_gauge(mastery):
    return charts.mastery_gauge(mastery)


@register.simple_tag
def mastery_history(history, name):
    return charts.mastery_history(history, name=name)


@register.filter
def percent(mastery) -> str:
    """Mastery as a whole percentage; a dash when there is none."""
    return "—" if mastery is None else mastery_percent(mastery)


@register.filter
def percent_number(mastery) -> str:
    """The percentage without its sign, for a heatmap cell (the caption says "percent")."""
    return "" if mastery is None else str(mastery_percent_value(mastery))


@register.filter
def mastery_number(mastery) -> str:
    return charts.mastery_number(mastery)


@register.filter
def mastery_label(level: str) -> str:
    return MasteryLevel(level).label
