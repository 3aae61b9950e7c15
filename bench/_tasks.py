"""
Celery side of `python -m bench plan_latency` (imported by the worker through CELERY_IMPORTS in
bench/_settings.py, and by the baseline view).

- `bench.plan_baseline`: the bare path of submit → plan, a task whose only work is to push
  `plan.updated` to the student's group, the way `learner_refresh` does (on commit, through
  `lms.services.event_send_on_commit`), with no mastery or plan work.
- With BENCH_TASK_LOG set (the bench sets it for its worker), every task run appends one JSON line
  to that file: task id and name, first argument (the student), wall-clock start and end, its own
  run time and its process's CPU time meanwhile, so the bench can split a probe's latency into
  waiting for the worker and the task itself.
"""

import json
import os
import time

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import transaction

from lms.services import event_send_on_commit, user_group_name

TASK_LOG = os.environ.get("BENCH_TASK_LOG", "")


@shared_task(name="bench.plan_baseline")
def plan_baseline_task(student_id: int, nonce: str) -> None:
    """Push `plan.updated` (revision 0, the bench's nonce as trigger) to the student's pages."""
    with transaction.atomic():
        event_send_on_commit(
            group=user_group_name(student_id),
            event="plan.updated",
            payload={"revision": 0, "trigger": {"reason": "bench_baseline", "nonce": nonce}},
        )


_started: dict[str, tuple[float, float, float]] = {}


def _on_prerun(task_id=None, **kwargs) -> None:
    _started[task_id] = (time.time(), time.perf_counter(), time.process_time())


def _on_postrun(task_id=None, task=None, args=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    line = {
        "task": task.name if task else "?",
        "student": args[0] if args else None,
        "start": started[0],
        "end": time.time(),
        "run_ms": round(1000 * (time.perf_counter() - started[1]), 3),
        "cpu_ms": round(1000 * (time.process_time() - started[2]), 3),
        "id": task_id,
        "state": state,
        "pid": os.getpid(),
    }
    # One write of one line with O_APPEND: lines of the pool's processes never interleave.
    descriptor = os.open(TASK_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (json.dumps(line) + "\n").encode())
    finally:
        os.close(descriptor)


if TASK_LOG:
    task_prerun.connect(_on_prerun, weak=False)
    task_postrun.connect(_on_postrun, weak=False)
