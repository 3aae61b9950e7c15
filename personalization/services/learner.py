"""One learner's refresh: mastery from their answers, then the plan, then the open pages told."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.models import Attempt
from lms.models import User
from lms.services import event_send_on_commit, user_group_name
from personalization.models import PlanRefresh, RefreshStatus, StudyPlan
from personalization.services.mastery import mastery_refresh
from personalization.services.plan import plan_rebuild
from personalization.services.refresh import MAX_TRIES, Reason


def _trigger(pending: list[PlanRefresh]) -> dict:
    """What the plan says caused it: the latest submitted assessment, or the latest reason."""
    attempt_ids = [r.attempt_id for r in pending if r.attempt_id]
    if attempt_ids:
        attempt_id = max(attempt_ids)
        title = (
            Attempt.objects.filter(pk=attempt_id)
            .values_list("assessment__title", flat=True)
            .first()
        )
        return {"reason": Reason.ATTEMPT, "attempt": attempt_id, "assessment": title}
    return {"reason": pending[-1].reason}


@transaction.atomic
def learner_refresh(*, student_id: int, now: datetime | None = None) -> StudyPlan | None:
    """
    Work off the learner's pending refresh requests: recompute mastery (unless only the
    profile changed), rebuild the plan, mark the requests done and push `plan.updated` to the
    learner's open pages after commit. Returns the plan, or None when nothing was pending
    (another run did it: running twice is harmless).
    """
    student = User.objects.filter(pk=student_id).first()
    if student is None:
        return None
    plan, _ = StudyPlan.objects.get_or_create(student=student)
    # The learner's lock: refreshes of one learner run one after the other.
    plan = StudyPlan.objects.select_for_update().get(pk=plan.pk)
    pending = list(
        PlanRefresh.objects.filter(
            student=student, status=RefreshStatus.PENDING, tries__lt=MAX_TRIES
        ).order_by("pk")
    )
    if not pending:
        return None
    trigger = _trigger(pending)
    version_id = plan.model_version_id
    if any(r.reason != Reason.PROFILE for r in pending):
        version_id = mastery_refresh(
            student_id=student_id, attempt_id=trigger.get("attempt"), now=now
        ).model_version_id
    plan = plan_rebuild(
        student=student, trigger=trigger, model_version_id=version_id, now=now, plan=plan
    )
    PlanRefresh.objects.filter(pk__in=[r.pk for r in pending]).update(
        status=RefreshStatus.DONE, done_at=timezone.now(), tries=F("tries") + 1
    )
    event_send_on_commit(
        group=user_group_name(student_id),
        event="plan.updated",
        payload={"revision": plan.revision, "trigger": trigger},
    )
    return plan


def learner_refresh_failed(*, student_id: int, error: str) -> None:
    """Count a failed run against the learner's pending requests (the sweep retries them)."""
    PlanRefresh.objects.filter(student_id=student_id, status=RefreshStatus.PENDING).update(
        tries=F("tries") + 1, last_error=error[:2000]
    )
