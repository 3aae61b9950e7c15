"""
Panels on the role-aware home page. Higher apps register theirs in `AppConfig.ready()`, so the
home page shows their content without `lms` importing them.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from lms.models import School
from lms.registry import Registry


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[HttpRequest, School], dict]


_panels: defaultdict[str, Registry[Panel]] = defaultdict(Registry)


def register_panel(
    *, role: str, template: str, context: Callable[[HttpRequest, School], dict], order: int = 50
) -> None:
    _panels[role].add(Panel(template=template, context=context), key=template, order=order)


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    data: dict


def panels_for(*, request: HttpRequest, role: str, school: School) -> list[RenderedPanel]:
    return [
        RenderedPanel(template=p.template, data=p.context(request, school))
        for p in _panels.get(role, ())
    ]
