"""The live results socket through the real channel layer, and the auto-submit task on a worker."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from assessments.models import Attempt, AttemptStatus, Response
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.services.authoring import assessment_update
from assessments.tasks import attempts_expired_submit_task
from tests.sockets import WATCHERS, session_for, socket, watcher_session


def _socket(assessment_id: int, session: str | None):
    return socket(f"/ws/assessments/{assessment_id}/results/", session)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("person", WATCHERS)
async def test_only_the_courses_editors_may_watch(person, exam_world, channel_layer):
    # given
    _where, refused_with = WATCHERS[person]
    session = await watcher_session(exam_world, person)
    communicator = _socket(exam_world["assessment"].pk, session)
    # when
    try:
        connected, code = await communicator.connect()
        # then
        if refused_with is None:
            assert connected
            first = await communicator.receive_json_from(timeout=5)
            assert first["type"] == "results"
            assert first["payload"]["enrolled"] == 1
        else:
            assert not connected
            assert code == refused_with
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_submit_reaches_the_watching_teacher_through_the_redis_layer(
    exam_world, channel_layer
):
    # given the teacher watching
    session = await sync_to_async(session_for)(exam_world["teacher"])
    communicator = _socket(exam_world["assessment"].pk, session)
    connected, _ = await communicator.connect()
    assert connected
    try:
        initial = await communicator.receive_json_from(timeout=5)
        assert initial["payload"]["submitted"] == 0
        # when a student starts and submits with one right answer
        student, assessment = exam_world["student"], exam_world["assessment"]
        attempt, _ = await sync_to_async(attempt_start)(assessment=assessment, student=student)
        question = exam_world["questions"]["true_false"]
        await sync_to_async(response_save)(
            attempt=attempt, question_id=question.pk, answer={"value": True}, seq=1
        )
        await sync_to_async(attempt_submit)(attempt=attempt)
        # then snapshots arrive until one counts the submit (a burst may be coalesced)
        snapshot = None
        for _ in range(5):
            message = await communicator.receive_json_from(timeout=5)
            snapshot = message["payload"]
            if snapshot["submitted"] == 1:
                break
        assert snapshot["submitted"] == 1
        assert snapshot["in_progress"] == 0
        assert snapshot["histogram"][1] == 1  # 1 of 6 points: the 10-20% band
        row = next(q for q in snapshot["questions"] if q["question"] == question.pk)
        assert row["percent_correct"] == 100.0
        assert snapshot["students"][0]["score"] == "1.00"
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_frames_from_the_page_get_an_error_frame_and_the_socket_stays_open(
    exam_world, channel_layer
):
    session = await sync_to_async(session_for)(exam_world["teacher"])
    communicator = _socket(exam_world["assessment"].pk, session)
    await communicator.connect()
    try:
        await communicator.receive_json_from(timeout=5)
        for frame in ("not json", '{"type": "results"}', "x" * 100_000):
            await communicator.send_to(text_data=frame)
            error = await communicator.receive_json_from(timeout=5)
            assert error["type"] == "error"
            assert error["detail"]
    finally:
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_auto_submits_expired_attempts_on_a_real_worker(
    exam_world, celery_worker_thread
):
    # given an attempt whose 1-minute limit ended long ago, with one answer saved
    assessment_update(assessment=exam_world["assessment"], time_limit_minutes=1)
    long_ago = timezone.now() - timedelta(minutes=10)
    attempt, _ = attempt_start(
        assessment=exam_world["assessment"], student=exam_world["student"], now=long_ago
    )
    question = exam_world["questions"]["true_false"]
    Attempt.objects.filter(pk=attempt.pk).update(deadline=long_ago + timedelta(minutes=1))
    Response.objects.filter(attempt=attempt, question=question).update(
        answer={"value": True}, answer_seq=1
    )
    # when the task runs on the worker
    submitted = attempts_expired_submit_task.delay().get(timeout=30)
    # then
    attempt.refresh_from_db()
    assert submitted == 1
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.auto_submitted
    assert attempt.score == 1
