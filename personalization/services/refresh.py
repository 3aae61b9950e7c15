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
from django.utils import timezone

from personalization.models import PlanRefresh, RefreshStatus

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=1)
KEEP_DONE = timedelta(days=7)
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


def _due(row: dict, now: datetime) -> bool:
    """Waited `STALE_AFTER` since it was written or last swept, doubled with every failure."""
    since = row["enqueued_at"] or row["created_at"]
    return since + STALE_AFTER * 2 ** min(row["tries"], MAX_TRIES) < now


@transaction.atomic
def plan_refresh_sweep(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """
    Enqueue again the learners whose refresh has waited too long (the broker was down, a worker
    died, or the queue is long: a second task for a learner finds nothing left to do), and
    forget requests done more than `KEEP_DONE` ago. Returns the learners enqueued.
    """
    now = now or timezone.now()
    rows = (
        PlanRefresh.objects.filter(
            status=RefreshStatus.PENDING,
            tries__lt=MAX_TRIES,
            created_at__lt=now - STALE_AFTER,
        )
        .order_by("created_at")
        .values("pk", "student_id", "created_at", "enqueued_at", "tries")[: limit * 10]
    )
    due = [row for row in rows if _due(row, now)]
    learners = list(dict.fromkeys(row["student_id"] for row in due))[:limit]
    PlanRefresh.objects.filter(pk__in=[r["pk"] for r in due if r["student_id"] in learners]).update(
        enqueued_at=now
    )
    for student_id in learners:
        transaction.on_commit(lambda student_id=student_id: _enqueue(student_id), robust=True)
    PlanRefresh.objects.filter(
        pk__in=PlanRefresh.objects.filter(
            status=RefreshStatus.DONE, done_at__lt=now - KEEP_DONE
        ).values("pk")[:10_000]
    ).delete()
    return learners


def plan_refresh_request_for_attempts(*, attempt_ids: list[int], reason: str) -> None:
    """A refresh for every learner among the attempts (after a regrade changed their scores)."""
    from assessments.models import Attempt

    students = (
        Attempt.objects.filter(pk__in=attempt_ids).values_list("student_id", flat=True).distinct()
    )
    for student_id in students:
        plan_refresh_request(student_id=student_id, reason=reason)
