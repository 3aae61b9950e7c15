"""
The outbox between a submitted assessment and a rebuilt plan (DESIGN.md §3).

A `PlanRefresh` row is written in the transaction that causes it, and a task is enqueued once
that transaction commits. The task works off every pending row of its learner at once, so a
burst of submissions costs one rebuild, and running it twice does no harm. When the broker is
down the rows wait: `plan_refresh_sweep` (Celery beat) enqueues again whatever has waited longer
than `STALE_AFTER`.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from personalization.models import PlanRefresh, RefreshStatus

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=1)
# A request that failed this often is left for a person to look at (admin), not retried.
MAX_TRIES = 8


class Reason:
    ATTEMPT = "attempt"
    REGRADE = "regrade"
    PROFILE = "profile"
    MODEL = "model"
    LIVE_ANSWER = "live_answer"


def _enqueue(student_id: int) -> None:
    from personalization.tasks import learner_refresh_task

    try:
        learner_refresh_task.delay(student_id)
    except Exception:
        # The row stays pending and the sweep retries; the request that caused it stands.
        logger.warning("Plan refresh of learner %s not enqueued", student_id, exc_info=True)


def plan_refresh_request(
    *, student_id: int, reason: str, attempt_id: int | None = None
) -> PlanRefresh:
    """Ask for the learner's mastery and plan to be recomputed once the transaction commits."""
    refresh = PlanRefresh.objects.create(
        student_id=student_id, reason=reason, attempt_id=attempt_id
    )
    transaction.on_commit(lambda: _enqueue(student_id), robust=True)
    return refresh


def plan_refresh_sweep(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Enqueue again the learners whose refresh has waited too long; returns their ids."""
    now = now or timezone.now()
    learners = list(
        PlanRefresh.objects.filter(status=RefreshStatus.PENDING, tries__lt=MAX_TRIES)
        .values("student_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=now - STALE_AFTER)
        .order_by("oldest")
        .values_list("student_id", flat=True)[:limit]
    )
    for student_id in learners:
        _enqueue(student_id)
    return learners


def plan_refresh_request_for_attempts(*, attempt_ids: list[int], reason: str) -> None:
    """A refresh for every learner among the attempts (after a regrade changed their scores)."""
    from assessments.models import Attempt

    students = (
        Attempt.objects.filter(pk__in=attempt_ids).values_list("student_id", flat=True).distinct()
    )
    for student_id in students:
        plan_refresh_request(student_id=student_id, reason=reason)
