"""
Signals other apps listen to. `assessments` never imports its listeners (DESIGN.md §2).

Both are sent inside the transaction that graded the answers, so that a listener's own rows (an
outbox entry) commit together with the grades or not at all. A listener keeps its writes in a
savepoint (`transaction.atomic()`), so that its failure never undoes a submission (the signals
are sent with `send_robust`), and defers everything outside the database to
`transaction.on_commit`.

attempt_submitted: sent once per attempt, when it is graded and closed, with `attempt_id`,
    `student_id`, `assessment_id` and `course_id` (ids only: a receiver loads what it needs,
    usually in a Celery task).
attempts_regraded: sent after a regrade, with `attempt_ids` (the attempts whose scores may have
    changed) and `course_id`.
"""

from django.dispatch import Signal

attempt_submitted = Signal()
attempts_regraded = Signal()
