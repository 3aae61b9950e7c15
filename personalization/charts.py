"""
Server-side SVG for the mastery pages: small inline pictures, no scripts, no libraries.

Colour comes from the stylesheet (`.mastery-fill` reads the `--m` custom property, 0 to 1), so
the pictures, the heatmap's cells and the legend share one scale. A picture never carries
meaning alone: the gauge sits beside its value and level in words, and the history chart is an
image with a text alternative (the page also lists its points).
"""

from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from personalization.selectors import MASTERED_AT, WEAK_BELOW, MasteryPoint, mastery_percent

HISTORY_WIDTH = 160
HISTORY_HEIGHT = 40
HISTORY_PAD = 4


def mastery_number(mastery: float | None) -> str:
    """Mastery for a `--m` property or a data attribute: dot-decimal, whatever the locale."""
    return "" if mastery is None else f"{mastery:.4f}"


def _date(at) -> str:
    return formats.date_format(timezone.localtime(at), "SHORT_DATE_FORMAT")


def mastery_gauge(mastery: float | None) -> SafeString:
    """
    A bar filled to the mastery and coloured by it, with marks at the level thresholds; an empty
    track when not assessed yet. Decorative: the page writes the value and the level beside it.
    """
    marks = format_html_join(
        "",
        '<line class="gauge-mark" x1="{0}" x2="{0}" y1="0" y2="10"></line>',
        ((round(threshold * 100),) for threshold in (WEAK_BELOW, MASTERED_AT)),
    )
    fill = ""
    if mastery is not None:
        fill = format_html(
            '<rect class="mastery-fill" x="0" y="0" width="{}" height="10" style="--m: {}"></rect>',
            f"{mastery * 100:.1f}",
            mastery_number(mastery),
        )
    return format_html(
        '<svg class="mastery-gauge{}" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false">'
        '<rect class="gauge-track" x="0" y="0" width="100" height="10"></rect>{}{}</svg>',
        "" if mastery is not None else " is-empty",
        fill,
        marks,
    )


def mastery_history_text(history: Sequence[MasteryPoint], *, name: str) -> str:
    """The history chart in words: its text alternative."""
    first, last = history[0], history[-1]
    if len(history) == 1:
        return _("Mastery of “%(name)s”: %(value)s on %(date)s.") % {
            "name": name,
            "value": mastery_percent(last.mastery),
            "date": _date(last.at),
        }
    values = [step.mastery for step in history]
    return ngettext(
        "Mastery of “%(name)s” over %(count)d refresh: from %(first)s on %(first_date)s to "
        "%(last)s on %(last_date)s; lowest %(low)s, highest %(high)s.",
        "Mastery of “%(name)s” over %(count)d refreshes: from %(first)s on %(first_date)s to "
        "%(last)s on %(last_date)s; lowest %(low)s, highest %(high)s.",
        len(history),
    ) % {
        "name": name,
        "count": len(history),
        "first": mastery_percent(first.mastery),
        "first_date": _date(first.at),
        "last": mastery_percent(last.mastery),
        "last_date": _date(last.at),
        "low": mastery_percent(min(values)),
        "high": mastery_percent(max(values)),
    }


def _history_xy(history: Sequence[MasteryPoint]) -> list[tuple[float, float]]:
    """Points on the chart: time left to right (evenly spread when no time passed), 1 at top."""
    inner_w = HISTORY_WIDTH - 2 * HISTORY_PAD
    inner_h = HISTORY_HEIGHT - 2 * HISTORY_PAD
    times = [step.at.timestamp() for step in history]
    span = times[-1] - times[0]
    xy = []
    for index, (t, step) in enumerate(zip(times, history, strict=True)):
        if span > 0:
            share = (t - times[0]) / span
        else:
            share = index / (len(history) - 1) if len(history) > 1 else 0.5
        xy.append((HISTORY_PAD + share * inner_w, HISTORY_PAD + (1 - step.mastery) * inner_h))
    return xy


def mastery_history(history: Sequence[MasteryPoint], *, name: str) -> SafeString:
    """A line of the knowledge point's mastery over its refreshes, with the level thresholds."""
    if not history:
        return SafeString("")
    xy = _history_xy(history)
    inner_h = HISTORY_HEIGHT - 2 * HISTORY_PAD
    guides = format_html_join(
        "",
        '<line class="history-guide" x1="0" x2="{0}" y1="{1}" y2="{1}"></line>',
        (
            (HISTORY_WIDTH, f"{HISTORY_PAD + (1 - threshold) * inner_h:.1f}")
            for threshold in (WEAK_BELOW, MASTERED_AT)
        ),
    )
    line = ""
    if len(xy) > 1:
        line = format_html(
            '<polyline class="history-line" points="{}"></polyline>',
            " ".join(f"{x:.1f},{y:.1f}" for x, y in xy),
        )
    dots = format_html_join(
        "",
        '<circle class="mastery-fill{}" cx="{}" cy="{}" r="{}" style="--m: {}"></circle>',
        (
            (
                " is-latest" if index == len(xy) - 1 else "",
                f"{x:.1f}",
                f"{y:.1f}",
                3 if index == len(xy) - 1 else 2,
                mastery_number(step.mastery),
            )
            for index, ((x, y), step) in enumerate(zip(xy, history, strict=True))
        ),
    )
    text = mastery_history_text(history, name=name)
    return format_html(
        '<svg class="mastery-history" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>{}{}{}</svg>",
        HISTORY_WIDTH,
        HISTORY_HEIGHT,
        text,
        text,
        guides,
        line,
        dots,
    )
