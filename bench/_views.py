"""
The baselines of the benchmarks: the same middleware and server as the pages they compare with,
and only the database work those pages cannot do without.

- `baseline` (`python -m bench pages`): one one-row query.
- `exam_save_baseline` and `exam_submit_baseline` (`python -m bench exam_rush`): the rows an
  autosave and a submit write, with no authentication, validation, grading or signal.
- `plan_baseline` (`python -m bench plan_latency`): enqueue the bench task that only pushes
  `plan.updated` (bench/_tasks.py): no grading, outbox, mastery or plan.
"""

import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.models import Attempt, AttemptStatus, Response
from bench._tasks import plan_baseline_task
from lms.models import User


def _int_param(request: HttpRequest, name: str) -> int:
    try:
        return int(request.GET.get(name, "0"))
    except ValueError:
        return 0


@require_GET
def baseline(request: HttpRequest) -> HttpResponse:
    """One one-row query (`?user=<id>`), no template: what any page costs at the least."""
    found = User.objects.filter(pk=_int_param(request, "user")).exists()
    return HttpResponse("ok" if found else "missing", content_type="text/plain")


# CSRF-exempt as DRF's views are (the API authenticates with a token, which needs no CSRF check).
@csrf_exempt
@require_http_methods(["PUT"])
def exam_save_baseline(request: HttpRequest) -> HttpResponse:
    """
    An autosave's write (`?attempt=<id>&position=<n>`, body `{"answer": …, "seq": n}`): the
    response row's answer, seq and time in one UPDATE, kept only when `seq` is newer.
    """
    try:
        body = json.loads(request.body)
        answer, seq = body["answer"], int(body["seq"])
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("bad body")
    updated = Response.objects.filter(
        attempt_id=_int_param(request, "attempt"),
        position=_int_param(request, "position"),
        answer_seq__lt=seq,
    ).update(answer=answer, answer_seq=seq, answered_at=timezone.now())
    return JsonResponse({"updated": updated})


@csrf_exempt
@require_POST
def exam_submit_baseline(request: HttpRequest) -> HttpResponse:
    """
    A submit's writes (`?attempt=<id>`) in one transaction: the attempt's row lock, its response
    rows' fraction and score (one UPDATE), and the attempt's status, score and times.
    """
    attempt_id = _int_param(request, "attempt")
    now = timezone.now()
    with transaction.atomic():
        # No ordering: Attempt's default one joins (and would lock) the assessment, course, ….
        locked = Attempt.objects.select_for_update(no_key=True).filter(pk=attempt_id).order_by()
        if not locked.values_list("pk", flat=True):
            return JsonResponse({"error": "no such attempt"}, status=404)
        graded = Response.objects.filter(attempt_id=attempt_id).update(
            fraction=1, score=F("points")
        )
        Attempt.objects.filter(pk=attempt_id).update(
            status=AttemptStatus.SUBMITTED, score=0, submitted_at=now, updated_at=now
        )
    return JsonResponse({"attempt": attempt_id, "responses": graded})


@csrf_exempt
@require_POST
def plan_baseline(request: HttpRequest) -> HttpResponse:
    """Enqueue the push of `plan.updated` to `?student=<id>`, tagged with `?nonce=<text>`."""
    plan_baseline_task.delay(_int_param(request, "student"), request.GET.get("nonce", "")[:64])
    return JsonResponse({"enqueued": True})
