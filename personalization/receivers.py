"""Listeners to `assessments`' signals (sent inside the grading transaction, in a savepoint)."""

from personalization.services.refresh import (
    Reason,
    plan_refresh_request,
    plan_refresh_request_for_attempts,
)


def on_attempt_submitted(sender, *, attempt_id: int, student_id: int, **kwargs) -> None:
    plan_refresh_request(student_id=student_id, reason=Reason.ATTEMPT, attempt_id=attempt_id)


def on_attempts_regraded(sender, *, attempt_ids: list[int], **kwargs) -> None:
    plan_refresh_request_for_attempts(attempt_ids=attempt_ids, reason=Reason.REGRADE)
