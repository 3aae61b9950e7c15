"""
Signals other apps listen to. `assessments` never imports its listeners (DESIGN.md §2).

Both are sent inside the transaction that graded the answers (`send_in_savepoint`), so that a
listener's own rows (an outbox entry) commit together with the grades or not at all; a failing
listener's writes are undone and never the submission. A listener defers everything outside the
database to `transaction.on_commit`.

attempt_submitted: sent once per attempt, when it is graded and closed, with `attempt_id`,
    `student_id`, `assessment_id` and `course_id` (ids only: a receiver loads what it needs,
    usually in a Celery task).
attempts_regraded: sent after a regrade, with `attempt_ids` (the attempts whose scores may have
    changed) and `course_id`.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

attempt_submitted = Signal()
attempts_regraded = Signal()


def send_in_savepoint(signal: Signal, **kwargs) -> None:
    """
    Send `signal` inside the current transaction, its listeners' writes in one savepoint: kept
    when every listener succeeds, undone (and logged) when one fails, while the caller's own
    writes (the grades) stand either way.
    """
    try:
        with transaction.atomic():
            for _receiver, result in signal.send_robust(**kwargs):
                if isinstance(result, Exception):
                    raise result
    except Exception:
        logger.exception("A listener of %s failed; its writes were undone", signal)
