"""The project's URLs plus the baseline view of `python -m bench pages`."""

from django.urls import path

from bench import _views
from lms.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    *urlpatterns,
    path("bench/baseline/", _views.baseline, name="bench-baseline"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
