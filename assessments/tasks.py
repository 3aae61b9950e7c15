from celery import shared_task

from assessments.services.attempts import attempts_expired_submit


@shared_task(name="assessments.attempts_expired_submit", acks_late=True)
def attempts_expired_submit_task() -> int:
    """Every 30 s (Celery beat): submit the attempts whose time is up, with what was saved."""
    return len(attempts_expired_submit())
