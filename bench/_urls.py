"""The project's URLs plus the baseline views of the benchmarks (bench/_views.py)."""

from django.urls import path

from bench import _views
from lms.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    *urlpatterns,
    path("bench/baseline/", _views.baseline, name="bench-baseline"),
    path("bench/exam-baseline/save/", _views.exam_save_baseline, name="bench-exam-save"),
    path("bench/exam-baseline/submit/", _views.exam_submit_baseline, name="bench-exam-submit"),
    path("bench/plan-baseline/", _views.plan_baseline, name="bench-plan-baseline"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
