from celery import shared_task
from django.db import OperationalError

from personalization.services.learner import learner_refresh, learner_refresh_failed
from personalization.services.refresh import plan_refresh_sweep


@shared_task(
    name="personalization.learner_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def learner_refresh_task(student_id: int) -> int | None:
    """Recompute one learner's mastery and plan from their pending refresh requests."""
    try:
        plan = learner_refresh(student_id=student_id)
    except OperationalError:
        raise  # the database is away: retried with back-off
    except Exception as error:
        learner_refresh_failed(student_id=student_id, error=repr(error))
        raise
    return plan.revision if plan else None


@shared_task(name="personalization.plan_refresh_sweep", acks_late=True)
def plan_refresh_sweep_task() -> int:
    """Every minute (Celery beat): enqueue again the refreshes a dead broker or worker left."""
    return len(plan_refresh_sweep())


@shared_task(
    name="personalization.models_retrain",
    acks_late=True,
    soft_time_limit=4 * 60 * 60,
    time_limit=4 * 60 * 60 + 300,
)
def models_retrain_task() -> list[int]:
    """Nightly (Celery beat): retrain on the database when enough new answers arrived."""
    from personalization.services.training import models_retrain

    return [result.version.pk for result in models_retrain()]
