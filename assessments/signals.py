"""
Signals other apps listen to. `assessments` never imports its listeners (DESIGN.md §2).

attempt_submitted: sent once per attempt, after the transaction that graded it commits, with
    `attempt_id`, `student_id`, `assessment_id` and `course_id` (ids only: a receiver loads what
    it needs, usually in a Celery task).
attempts_regraded: sent after a regrade commits, with `attempt_ids` (the attempts whose scores
    may have changed) and `course_id`.
"""

from django.dispatch import Signal

attempt_submitted = Signal()
attempts_regraded = Signal()
