import json
import uuid

import pytest

from lms.celery import app
from lms.tasks import ping_task
from tests.helpers import run_django


@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_broker_and_worker(celery_worker_thread):
    # given a worker listening on the configured broker (Redis in CI)
    token = uuid.uuid4().hex
    # when a task is sent through the broker and its result awaited
    result = ping_task.delay(token)
    # then the worker ran it against the database and the result came back
    assert result.get(timeout=20) == {"token": token, "database": True}
    assert result.successful()


def test_celery_is_configured_to_keep_a_task_until_it_is_done():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_embedded_mode_runs_tasks_inline_without_a_broker():
    # given the embedded default (no REDIS_URL)
    script = (
        "import django, json; django.setup(); from lms.tasks import ping_task; "
        "print(json.dumps(ping_task.delay('inline').get()))"
    )
    # when a task is sent
    result = run_django(["-c", script], DEBUG="true", DATABASE_URL="sqlite:///:memory:")
    # then it ran in the caller's process
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "token": "inline",
        "database": True,
    }
