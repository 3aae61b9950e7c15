"""
Submit → plan (DESIGN.md §3): the outbox row commits with the grade, a task works it off, the
worker path runs end to end on the real broker, and nothing is lost when the broker is down or
a worker dies in the middle.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from assessments.services.attempts import attempt_start, question_regrade
from assessments.services.questions import question_update
from personalization.models import (
    MasteryEstimate,
    MasterySnapshot,
    PlanRefresh,
    RefreshStatus,
    StudyPlan,
)
from personalization.services.learner import learner_refresh
from personalization.services.refresh import plan_refresh_sweep
from personalization.tasks import learner_refresh_task
from tests import sockets
from tests.helpers import ROOT, SETTINGS_VARIABLES
from tests.personalization.conftest import take


def _wait_for(condition, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@transaction.atomic
def _take_then_fail(student, test):
    take(student, test, [True] * 4)
    raise RuntimeError("rolled back")


def test_a_submission_writes_its_refresh_request_in_the_same_transaction(plan_world):
    # given
    student = plan_world["student"]
    # when a submission is rolled back
    with pytest.raises(RuntimeError, match="rolled back"):
        _take_then_fail(student, plan_world["test"])
    # then no request was left behind
    assert not PlanRefresh.objects.exists()
    # when it commits
    attempt = take(student, plan_world["test"], [True] * 4)
    # then one pending request names the attempt
    refresh = PlanRefresh.objects.get()
    assert (refresh.student, refresh.attempt, refresh.status) == (
        student,
        attempt,
        RefreshStatus.PENDING,
    )


def test_the_request_is_enqueued_only_after_commit(plan_world, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        take(plan_world["student"], plan_world["test"], [True] * 4)
    # then the task is sent by an on-commit callback (not before the grade is visible)
    assert callbacks


def test_a_refresh_updates_mastery_history_and_plan_and_running_it_twice_is_harmless(plan_world):
    # given
    student = plan_world["student"]
    attempt = take(student, plan_world["test"], [False, False, False, True])
    # when
    plan = learner_refresh(student_id=student.pk)
    again = learner_refresh(student_id=student.pk)
    # then
    assert again is None
    assert plan.revision == 1
    assert StudyPlan.objects.get(student=student).revision == 1
    assert plan.trigger == {"reason": "attempt", "attempt": attempt.pk, "assessment": "Unit test 1"}
    estimates = {e.knowledge_point_id: e for e in MasteryEstimate.objects.filter(student=student)}
    equations = estimates[plan_world["equations"].pk]
    assert (equations.evidence, equations.correct) == (3, 0)
    assert MasterySnapshot.objects.filter(student=student, attempt=attempt).count() == 2
    assert PlanRefresh.objects.get().status == RefreshStatus.DONE


def test_mastery_moves_up_after_right_answers_and_down_after_wrong_ones(plan_world):
    # given
    student, point = plan_world["student"], plan_world["equations"]

    def mastery():
        learner_refresh(student_id=student.pk)
        return MasteryEstimate.objects.get(student=student, knowledge_point=point).mastery

    take(student, plan_world["test"], [True, False, True, True])
    start = mastery()
    # when right, then wrong
    take(student, plan_world["test"], [True] * 4)
    after_right = mastery()
    take(student, plan_world["test"], [False] * 4)
    after_wrong = mastery()
    # then
    assert after_right > start
    assert after_wrong < after_right


def test_a_regrade_asks_for_a_refresh_of_the_learners_it_touched(plan_world):
    # given an answer marked wrong by a wrong key
    student = plan_world["student"]
    take(student, plan_world["test"], [False, True, True, True])
    learner_refresh(student_id=student.pk)
    question = plan_world["test"].items.order_by("position").first().question
    # when the key is corrected and the answers regraded
    question_update(
        question=question,
        stem=question.current_version.stem,
        spec={"answer": False},
        knowledge_points=[plan_world["equations"]],
    )
    question_regrade(question=question)
    # then
    assert PlanRefresh.objects.filter(student=student, status=RefreshStatus.PENDING).count() == 1


def test_the_sweep_enqueues_only_requests_left_waiting(plan_world):
    # given one fresh request and one that has waited two minutes
    student, other = plan_world["student"], plan_world["a"]["classmate"]
    PlanRefresh.objects.create(student=student, reason="attempt")
    old = PlanRefresh.objects.create(student=other, reason="attempt")
    PlanRefresh.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    # when
    swept = plan_refresh_sweep()
    # then
    assert swept == [other.pk]


def test_a_failing_refresh_is_counted_and_retried_until_the_limit(plan_world, monkeypatch):
    # given a refresh whose plan rebuild fails
    student = plan_world["student"]
    take(student, plan_world["test"], [True] * 4)

    def broken(**kwargs):
        raise ValueError("broken model")

    monkeypatch.setattr("personalization.services.learner.plan_rebuild", broken)
    # when the task runs (inline here)
    with pytest.raises(ValueError, match="broken model"):
        learner_refresh_task.run(student.pk)
    # then the request is still pending, with the error, and nothing half-done was kept
    refresh = PlanRefresh.objects.get()
    assert (refresh.status, refresh.tries) == (RefreshStatus.PENDING, 1)
    assert "broken model" in refresh.last_error
    assert not MasteryEstimate.objects.exists()


# --- Through the real broker, worker and channel layer ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_rebuilds_the_plan_after_a_submit_over_the_api(
    plan_world, celery_worker_thread
):
    # given a student who answered a test through the API
    student, test = plan_world["student"], plan_world["test"]
    client = Client()
    client.force_login(student)
    attempt = client.post(f"/api/v1/assessments/{test.pk}/attempts/").json()
    for question in attempt["questions"]:
        saved = client.put(
            f"/api/v1/assessments/attempts/{attempt['id']}/responses/{question['question']}/",
            {"answer": {"value": False}, "seq": 1},
            content_type="application/json",
        )
        assert saved.status_code == 200
    attempt_id = attempt["id"]
    # when it is submitted
    submitted = client.post(f"/api/v1/assessments/attempts/{attempt_id}/submit/")
    assert submitted.status_code == 200
    # then the worker took the request and rebuilt the plan
    assert _wait_for(lambda: PlanRefresh.objects.filter(status=RefreshStatus.DONE).exists())
    plan = StudyPlan.objects.get(student=student)
    assert plan.revision == 1
    assert plan.items.filter(key=f"review:kp:{plan_world['equations'].pk}").exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_learners_open_pages_hear_plan_updated(plan_world):
    # given the student's events socket
    student = plan_world["student"]
    session = await database_sync_to_async(sockets.session_for)(student)
    communicator = sockets.socket("/ws/events/", session)
    try:
        assert (await communicator.connect())[0]
        # when a submission is refreshed
        await database_sync_to_async(take)(student, plan_world["test"], [True] * 4)
        await database_sync_to_async(learner_refresh)(student_id=student.pk)
        # then
        message = await communicator.receive_json_from(timeout=5)
        assert message["type"] == "plan.updated"
        assert message["payload"]["revision"] == 1
        assert message["payload"]["trigger"]["assessment"] == "Unit test 1"
    finally:
        await communicator.disconnect()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _subprocess_env(**extra) -> dict:
    """This run's test database and Redis, for a second Django process (base settings)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    name = connection.settings_dict["NAME"]
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings.base",
            "ENV_FILE": str(ROOT / "does-not-exist.env"),
            "DEBUG": "true",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
            "REDIS_URL": settings.REDIS_URL or "",
            **extra,
        }
    )
    return env


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis broker")
@pytest.mark.django_db(transaction=True)
def test_a_submit_while_the_broker_is_down_is_refreshed_once_it_is_back(
    plan_world, celery_worker_thread
):
    # given a real Redis on a port of its own, stopped
    port = _free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    redis.terminate()
    redis.wait(timeout=10)
    student = plan_world["student"]
    attempt = attempt_start(assessment=plan_world["test"], student=student)[0]
    # when a web process whose broker is that dead Redis takes the submit
    script = (
        "import django; django.setup()\n"
        "from assessments.models import Attempt\n"
        "from assessments.services.attempts import attempt_submit\n"
        f"print(attempt_submit(attempt=Attempt.objects.get(pk={attempt.pk})).status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_subprocess_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then the submit stood and its refresh request waits
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "submitted"
    refresh = PlanRefresh.objects.get()
    assert refresh.status == RefreshStatus.PENDING
    # when the sweep runs against the broker that is up (this run's)
    assert plan_refresh_sweep(now=timezone.now() + timedelta(minutes=2)) == [student.pk]
    # then the worker works it off
    assert _wait_for(lambda: PlanRefresh.objects.filter(status=RefreshStatus.DONE).exists())
    assert StudyPlan.objects.get(student=student).revision == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_refresh_loses_nothing(plan_world, celery_worker_thread, monkeypatch):
    # given a submitted test whose task is in no live worker's hands
    student = plan_world["student"]
    with monkeypatch.context() as patched:
        patched.setattr("personalization.services.refresh._enqueue", lambda student_id: None)
        take(student, plan_world["test"], [False] * 4)
    # when a worker process is killed after writing mastery, before the plan is done
    script = (
        "import django, time; django.setup()\n"
        "from personalization.services import learner\n"
        "def stall(**kwargs):\n"
        "    print('rebuilding', flush=True)\n"
        "    time.sleep(120)\n"
        "learner.plan_rebuild = stall\n"
        f"learner.learner_refresh(student_id={student.pk})\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "rebuilding", worker.stderr.read()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    # then its half-done work is gone and the request still waits
    assert not MasteryEstimate.objects.filter(student=student).exists()
    assert PlanRefresh.objects.get().status == RefreshStatus.PENDING
    # when the sweep hands it to a live worker
    plan_refresh_sweep(now=timezone.now() + timedelta(minutes=2))
    # then it is done
    assert _wait_for(lambda: PlanRefresh.objects.filter(status=RefreshStatus.DONE).exists())
    assert MasteryEstimate.objects.filter(student=student).exists()


def test_the_sweep_backs_off_after_failures_and_after_its_own_enqueue(plan_world):
    # given a request that failed twice, written three minutes ago
    student = plan_world["student"]
    failed = PlanRefresh.objects.create(student=student, reason="attempt", tries=2)
    PlanRefresh.objects.filter(pk=failed.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    # then it waits four minutes (one, doubled twice), not one
    assert plan_refresh_sweep() == []
    assert plan_refresh_sweep(now=timezone.now() + timedelta(minutes=2)) == [student.pk]
    # and once swept, it waits again before the next sweep takes it
    assert plan_refresh_sweep(now=timezone.now() + timedelta(minutes=3)) == []


def test_the_sweep_forgets_requests_done_a_week_ago(plan_world):
    student = plan_world["student"]
    old = PlanRefresh.objects.create(student=student, reason="attempt", status=RefreshStatus.DONE)
    PlanRefresh.objects.filter(pk=old.pk).update(done_at=timezone.now() - timedelta(days=8))
    recent = PlanRefresh.objects.create(
        student=student, reason="attempt", status=RefreshStatus.DONE, done_at=timezone.now()
    )
    plan_refresh_sweep()
    assert list(PlanRefresh.objects.values_list("pk", flat=True)) == [recent.pk]
